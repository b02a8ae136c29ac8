from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.watermark_info import WatermarkInfo


T = TypeVar("T", bound="ExpandImageRequest")


@_attrs_define
class ExpandImageRequest:
    image: str
    """ Source image to expand. Image URL or raw Base64 string without a `data:` prefix. Supported formats: JPG,
    JPEG, PNG. Maximum 10 MB, minimum 300x300 px, aspect ratio between 1:2.5 and 2.5:1. """
    up_expansion_ratio: float
    """ Upward expansion ratio as a multiple of the original image dimension. Range: 0-2. Send `0` for sides you do
    not want to expand. """
    down_expansion_ratio: float
    """ Downward expansion ratio as a multiple of the original image dimension. Range: 0-2. Send `0` for sides you
    do not want to expand. """
    left_expansion_ratio: float
    """ Leftward expansion ratio as a multiple of the original image dimension. Range: 0-2. Send `0` for sides you
    do not want to expand. """
    right_expansion_ratio: float
    """ Rightward expansion ratio as a multiple of the original image dimension. Range: 0-2. Send `0` for sides you
    do not want to expand. """
    prompt: str | Unset = UNSET
    """ Optional text prompt to guide the expanded area content. Maximum 2500 characters. """
    n: int | Unset = 1
    """ Number of expanded images to generate. Range: 1-9. """
    watermark_info: WatermarkInfo | Unset = UNSET
    """ Watermark options. """
    callback_url: str | Unset = UNSET
    """ Webhook URL for task status notifications. """
    external_task_id: str | Unset = UNSET
    """ Optional user-defined task ID for your own tracking. Must be unique per account. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        image = self.image

        up_expansion_ratio = self.up_expansion_ratio

        down_expansion_ratio = self.down_expansion_ratio

        left_expansion_ratio = self.left_expansion_ratio

        right_expansion_ratio = self.right_expansion_ratio

        prompt = self.prompt

        n = self.n

        watermark_info: dict[str, Any] | Unset = UNSET
        if not isinstance(self.watermark_info, Unset):
            watermark_info = self.watermark_info.to_dict()

        callback_url = self.callback_url

        external_task_id = self.external_task_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "image": image,
                "up_expansion_ratio": up_expansion_ratio,
                "down_expansion_ratio": down_expansion_ratio,
                "left_expansion_ratio": left_expansion_ratio,
                "right_expansion_ratio": right_expansion_ratio,
            }
        )
        if prompt is not UNSET:
            field_dict["prompt"] = prompt
        if n is not UNSET:
            field_dict["n"] = n
        if watermark_info is not UNSET:
            field_dict["watermark_info"] = watermark_info
        if callback_url is not UNSET:
            field_dict["callback_url"] = callback_url
        if external_task_id is not UNSET:
            field_dict["external_task_id"] = external_task_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.watermark_info import WatermarkInfo  # noqa: PLC0415

        d = dict(src_dict)
        image = d.pop("image")

        up_expansion_ratio = d.pop("up_expansion_ratio")

        down_expansion_ratio = d.pop("down_expansion_ratio")

        left_expansion_ratio = d.pop("left_expansion_ratio")

        right_expansion_ratio = d.pop("right_expansion_ratio")

        prompt = d.pop("prompt", UNSET)

        n = d.pop("n", UNSET)

        _watermark_info = d.pop("watermark_info", UNSET)
        watermark_info: WatermarkInfo | Unset
        if isinstance(_watermark_info, Unset):
            watermark_info = UNSET
        else:
            watermark_info = WatermarkInfo.from_dict(_watermark_info)

        callback_url = d.pop("callback_url", UNSET)

        external_task_id = d.pop("external_task_id", UNSET)

        expand_image_request = cls(
            image=image,
            up_expansion_ratio=up_expansion_ratio,
            down_expansion_ratio=down_expansion_ratio,
            left_expansion_ratio=left_expansion_ratio,
            right_expansion_ratio=right_expansion_ratio,
            prompt=prompt,
            n=n,
            watermark_info=watermark_info,
            callback_url=callback_url,
            external_task_id=external_task_id,
        )

        expand_image_request.additional_properties = d
        return expand_image_request

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
