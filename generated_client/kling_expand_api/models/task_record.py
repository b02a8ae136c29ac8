from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_status import TaskStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.balance_deduction import BalanceDeduction
    from ..models.task_info import TaskInfo
    from ..models.task_result import TaskResult
    from ..models.watermark_info import WatermarkInfo


T = TypeVar("T", bound="TaskRecord")


@_attrs_define
class TaskRecord:
    task_id: str
    """ System-generated task ID. """
    task_status: str | TaskStatus
    created_at: int
    """ Task creation time as a Unix timestamp in milliseconds. """
    updated_at: int
    """ Task update time as a Unix timestamp in milliseconds. """
    task_status_msg: None | str | Unset = UNSET
    """ Task status detail when present. """
    task_info: TaskInfo | Unset = UNSET
    task_result: None | TaskResult | Unset = UNSET
    """ Task result payload. `{}` or null while the task runs; on success it holds one image per requested `n`. """
    final_unit_deduction: str | Unset = UNSET
    """ Units deducted for the task, once it is final. """
    final_balance_deduction: BalanceDeduction | Unset = UNSET
    """ What the task cost the account, once it is final. """
    watermark_info: WatermarkInfo | Unset = UNSET
    """ Watermark options. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.task_result import TaskResult  # noqa: PLC0415

        task_id = self.task_id

        task_status: str
        if isinstance(self.task_status, TaskStatus):
            task_status = self.task_status.value
        else:
            task_status = self.task_status

        created_at = self.created_at

        updated_at = self.updated_at

        task_status_msg: None | str | Unset
        if isinstance(self.task_status_msg, Unset):
            task_status_msg = UNSET
        else:
            task_status_msg = self.task_status_msg

        task_info: dict[str, Any] | Unset = UNSET
        if not isinstance(self.task_info, Unset):
            task_info = self.task_info.to_dict()

        task_result: dict[str, Any] | None | Unset
        if isinstance(self.task_result, Unset):
            task_result = UNSET
        elif isinstance(self.task_result, TaskResult):
            task_result = self.task_result.to_dict()
        else:
            task_result = self.task_result

        final_unit_deduction = self.final_unit_deduction

        final_balance_deduction: dict[str, Any] | Unset = UNSET
        if not isinstance(self.final_balance_deduction, Unset):
            final_balance_deduction = self.final_balance_deduction.to_dict()

        watermark_info: dict[str, Any] | Unset = UNSET
        if not isinstance(self.watermark_info, Unset):
            watermark_info = self.watermark_info.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "task_id": task_id,
                "task_status": task_status,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
        if task_status_msg is not UNSET:
            field_dict["task_status_msg"] = task_status_msg
        if task_info is not UNSET:
            field_dict["task_info"] = task_info
        if task_result is not UNSET:
            field_dict["task_result"] = task_result
        if final_unit_deduction is not UNSET:
            field_dict["final_unit_deduction"] = final_unit_deduction
        if final_balance_deduction is not UNSET:
            field_dict["final_balance_deduction"] = final_balance_deduction
        if watermark_info is not UNSET:
            field_dict["watermark_info"] = watermark_info

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.balance_deduction import BalanceDeduction  # noqa: PLC0415
        from ..models.task_info import TaskInfo  # noqa: PLC0415
        from ..models.task_result import TaskResult  # noqa: PLC0415
        from ..models.watermark_info import WatermarkInfo  # noqa: PLC0415

        d = dict(src_dict)
        task_id = d.pop("task_id")

        def _parse_task_status(data: object) -> str | TaskStatus:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                task_status_type_0 = TaskStatus(data)

                return task_status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(str | TaskStatus, data)

        task_status = _parse_task_status(d.pop("task_status"))

        created_at = d.pop("created_at")

        updated_at = d.pop("updated_at")

        def _parse_task_status_msg(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        task_status_msg = _parse_task_status_msg(d.pop("task_status_msg", UNSET))

        _task_info = d.pop("task_info", UNSET)
        task_info: TaskInfo | Unset
        if isinstance(_task_info, Unset):
            task_info = UNSET
        else:
            task_info = TaskInfo.from_dict(_task_info)

        def _parse_task_result(data: object) -> None | TaskResult | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                task_result_type_0 = TaskResult.from_dict(data)

                return task_result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TaskResult | Unset, data)

        task_result = _parse_task_result(d.pop("task_result", UNSET))

        final_unit_deduction = d.pop("final_unit_deduction", UNSET)

        _final_balance_deduction = d.pop("final_balance_deduction", UNSET)
        final_balance_deduction: BalanceDeduction | Unset
        if isinstance(_final_balance_deduction, Unset):
            final_balance_deduction = UNSET
        else:
            final_balance_deduction = BalanceDeduction.from_dict(
                _final_balance_deduction
            )

        _watermark_info = d.pop("watermark_info", UNSET)
        watermark_info: WatermarkInfo | Unset
        if isinstance(_watermark_info, Unset):
            watermark_info = UNSET
        else:
            watermark_info = WatermarkInfo.from_dict(_watermark_info)

        task_record = cls(
            task_id=task_id,
            task_status=task_status,
            created_at=created_at,
            updated_at=updated_at,
            task_status_msg=task_status_msg,
            task_info=task_info,
            task_result=task_result,
            final_unit_deduction=final_unit_deduction,
            final_balance_deduction=final_balance_deduction,
            watermark_info=watermark_info,
        )

        task_record.additional_properties = d
        return task_record

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
