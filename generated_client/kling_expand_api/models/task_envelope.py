from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.task_record import TaskRecord


T = TypeVar("T", bound="TaskEnvelope")


@_attrs_define
class TaskEnvelope:
    code: int | str
    """ Response code. `0` means the task request was accepted. """
    message: str
    """ Response message. """
    data: TaskRecord
    request_id: str | Unset = UNSET
    """ Request identifier returned when present. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code: int | str
        code = self.code

        message = self.message

        data = self.data.to_dict()

        request_id = self.request_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
                "data": data,
            }
        )
        if request_id is not UNSET:
            field_dict["request_id"] = request_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.task_record import TaskRecord  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_code(data: object) -> int | str:
            return cast(int | str, data)

        code = _parse_code(d.pop("code"))

        message = d.pop("message")

        data = TaskRecord.from_dict(d.pop("data"))

        request_id = d.pop("request_id", UNSET)

        task_envelope = cls(
            code=code,
            message=message,
            data=data,
            request_id=request_id,
        )

        task_envelope.additional_properties = d
        return task_envelope

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
