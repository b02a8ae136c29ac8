"""Benchmarks: the mock against Prism and a bare Starlette ceiling, the payload path,
the mock's memory, and the SDK's overhead. Run them with ``make bench``.

The mock and the SDK plug in through :mod:`kling_bench._seams`; everything else
(Prism, the ceiling app, wrk) is started and stopped here.

>>> from kling_bench import Workload
>>> [w.value for w in Workload]
['create', 'get-task', 'mixed']
"""

from ._ceiling import create_ceiling_app
from ._ports import pick_free_port, wait_for_port
from ._report import CellResult, ComparisonRow, Target, comparison_rows, evaluate_targets
from ._run import RunResult, Settings, run_benchmarks
from ._servers import LiveServer, ServerSpec, default_servers, running
from ._wrk import Workload, WrkSummary, parse_wrk_output, wrk_command

__all__ = [
    "CellResult",
    "ComparisonRow",
    "LiveServer",
    "RunResult",
    "ServerSpec",
    "Settings",
    "Target",
    "Workload",
    "WrkSummary",
    "comparison_rows",
    "create_ceiling_app",
    "default_servers",
    "evaluate_targets",
    "parse_wrk_output",
    "pick_free_port",
    "run_benchmarks",
    "running",
    "wait_for_port",
    "wrk_command",
]
