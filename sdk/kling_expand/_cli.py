"""``kling-expand``: expand photos from the command line.

Commands::

    kling-expand run IMAGE... (--up R --down R --left R --right R | --all R | --aspect W:H)
                 [--anchor A] [--prompt TEXT] [-n N] [--watermark] [--out DIR]
                 [--no-wait] [--compare]
    kling-expand status TASK [--external]
    kling-expand list [--limit N]
    kling-expand mock [ARGS...]        (the offline mock server; ARGS go to ``kling-mock serve``)
    kling-expand demo [--out DIR]      (start the mock, run the sample photo through it)

The key comes from ``COMETAPI_KEY`` (or ``--api-key-env NAME``); to call Kling
directly, set ``KLING_ACCESS_KEY`` and ``KLING_SECRET_KEY`` instead (or
``--access-key-env``/``--secret-key-env``; ``--gateway kling`` when both kinds are
set). The service comes from ``KLING_BASE_URL`` or ``--base-url``. Progress goes
to stderr, results to stdout (one path per line, or JSON with ``--json``). Errors
are one line on stderr; ``--debug`` shows the traceback.

Exit codes (:data:`EXIT_CODES`): 0 done; 1 unexpected error; 2 bad usage or
input (caught before anything was sent); 3 the service refused (an API error);
4 no answer from the API (connection or timeout); 5 a task failed; 6 the wait's
deadline passed; 7 a result could not be downloaded (an HTTP error, also one
retried until the retries ran out, or no answer from the image host); 130
interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from ._batch import BatchEvent, BatchItem, BatchOutcome
from ._client import KlingExpand
from ._engine import CreateArgs, choose_ratios
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    ConfigurationError,
    DownloadError,
    InputValidationError,
    KlingError,
    TaskFailedError,
    WaitTimeoutError,
)
from ._gateway import ACCESS_KEY_ENV, API_KEY_ENV, GATEWAYS, SECRET_KEY_ENV
from ._images import prepare_image
from ._models import Task
from ._ratios import ANCHORS, Ratios
from ._sheet import compose_before_after
from ._version import installed_version

# Exception class -> exit status; the first match in order wins.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (InputValidationError, 2),
    (ConfigurationError, 2),
    (TaskFailedError, 5),
    (WaitTimeoutError, 6),
    (DownloadError, 7),
    (APIConnectionError, 4),
    (APIStatusError, 3),
    (KlingError, 1),
    (ValueError, 2),
    (KeyboardInterrupt, 130),
)
EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_FAILED_TASK = 5


def exit_code_for(error: BaseException) -> int:
    """The documented exit status for ``error``."""
    for error_class, code in EXIT_CODES:
        if isinstance(error, error_class):
            return code
    return EXIT_UNEXPECTED


def _ratio(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line on stderr and exit 2, as documented."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see --help)\n")


def _add_globals(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """The options every command takes, before or after the command's name.

    After the command their defaults are suppressed, so a value given before the
    command is not overwritten by the default.
    """

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if after_command else value

    parser.add_argument(
        "--version", action="version", version=f"kling-expand {installed_version()}"
    )
    parser.add_argument(
        "--base-url",
        default=default(None),
        help="the service (default: $KLING_BASE_URL or CometAPI)",
    )
    parser.add_argument(
        "--api-key-env",
        default=default(API_KEY_ENV),
        metavar="NAME",
        help=f"environment variable holding CometAPI's key (default: {API_KEY_ENV})",
    )
    parser.add_argument(
        "--access-key-env",
        default=default(ACCESS_KEY_ENV),
        metavar="NAME",
        help=f"environment variable holding Kling's access key (default: {ACCESS_KEY_ENV})",
    )
    parser.add_argument(
        "--secret-key-env",
        default=default(SECRET_KEY_ENV),
        metavar="NAME",
        help=f"environment variable holding Kling's secret key (default: {SECRET_KEY_ENV})",
    )
    parser.add_argument(
        "--gateway",
        choices=GATEWAYS,
        default=default(None),
        help="CometAPI (a key) or Kling directly (access and secret key); default: the one "
        "whose keys are set, CometAPI's first",
    )
    parser.add_argument(
        "--timeout", type=_positive_float, default=default(60.0), help="seconds per request"
    )
    parser.add_argument("--max-retries", type=_count(0), default=default(2))
    parser.add_argument(
        "--json", action="store_true", default=default(False), help="machine-readable output"
    )
    parser.add_argument(
        "--debug", action="store_true", default=default(False), help="show tracebacks"
    )


def _positive_float(text: str) -> float:
    value = _ratio(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is less than {minimum}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kling-expand",
        description="Expand photos beyond their borders with Kling (through CometAPI or directly).",
        epilog="exit codes: 0 done, 1 unexpected, 2 bad input, 3 API error, 4 no answer, "
        "5 task failed, 6 deadline passed, 7 download failed, 130 interrupted",
    )
    _add_globals(parser, after_command=False)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="expand one or more images")
    run.add_argument("images", nargs="+", metavar="IMAGE", help="a file or an http(s) URL")
    sides = run.add_argument_group("how far to expand (choose one way)")
    for side in ("up", "down", "left", "right"):
        sides.add_argument(f"--{side}", type=_ratio, metavar="R", help=f"{side} ratio")
    sides.add_argument("--all", type=_ratio, metavar="R", help="the same ratio on all four sides")
    sides.add_argument("--aspect", metavar="W:H", help="the largest canvas with this aspect")
    run.add_argument(
        "--anchor",
        default="center",
        choices=ANCHORS,
        help="where the original sits with --aspect (default: center)",
    )
    run.add_argument("--prompt", help="what to paint in the new area")
    run.add_argument("-n", type=int, dest="n", help="how many results per image")
    run.add_argument("--watermark", action="store_true", help="also ask for watermarked copies")
    run.add_argument("--out", default="kling-out", help="where results go (default: kling-out)")
    run.add_argument("--no-wait", action="store_true", help="submit and print the task ids")
    run.add_argument("--wait-timeout", type=float, default=600.0, metavar="S")
    run.add_argument("--poll-interval", type=float, default=5.0, metavar="S")
    run.add_argument("--concurrency", type=_count(1), default=4)
    run.add_argument(
        "--compare", action="store_true", help="also write a before/after PNG per image"
    )

    status = commands.add_parser("status", help="show one task")
    status.add_argument("task", metavar="TASK")
    status.add_argument("--external", action="store_true", help="TASK is your external_task_id")

    listing = commands.add_parser("list", help="list the account's tasks, newest first")
    listing.add_argument("--limit", type=int, default=30)

    mock = commands.add_parser(
        "mock", help="start the offline mock server (arguments go to kling-mock serve)"
    )
    mock.add_argument("mock_args", nargs=argparse.REMAINDER, help="e.g. --port 4010")

    demo = commands.add_parser(
        "demo", help="start the mock and expand the shipped sample photo through it"
    )
    demo.add_argument("--out", default="out/demo", help="where results go (default: out/demo)")
    for command in (run, status, listing, mock, demo):
        _add_globals(command, after_command=True)
    return parser


def _mock_arguments(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str] | None:
    """What follows ``mock`` when it is the command (argparse would take its options)."""
    takes_value = {
        option
        for action in parser._actions
        if action.nargs != 0 and action.option_strings
        for option in action.option_strings
    }
    index = 0
    while index < len(argv) and argv[index].startswith("-"):
        index += 2 if argv[index] in takes_value else 1
    if index < len(argv) and argv[index] == "mock":
        return list(argv[index + 1 :])
    return None


class _Output:
    """Where results (stdout) and progress and errors (stderr) go."""

    def __init__(self, as_json: bool, stdout: TextIO, stderr: TextIO) -> None:
        self.as_json = as_json
        self.stdout = stdout
        self.stderr = stderr
        self.console = Console(file=stderr, stderr=True)

    def result(self, human: str, machine: object) -> None:
        if self.as_json:
            print(json.dumps(machine), file=self.stdout)
        elif human:
            print(human, file=self.stdout)

    def error(self, message: str) -> None:
        print(f"kling-expand: error: {message}", file=self.stderr)

    def warn(self, message: str) -> None:
        print(f"kling-expand: warning: {message}", file=self.stderr)

    def progress(self) -> Progress:
        return Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            disable=self.as_json or not self.console.is_terminal,
        )


def _task_json(task: Task) -> dict[str, Any]:
    return task.record.to_dict()


def _create_args(args: argparse.Namespace) -> CreateArgs:
    """The ratio options as the SDK takes them (``--all R`` is four equal sides); the SDK
    chooses the ratios from them, with its own rules and errors."""
    given = {side: getattr(args, side) for side in ("up", "down", "left", "right")}
    sides = {side: value for side, value in given.items() if value is not None}
    ways = [bool(sides), args.all is not None, bool(args.aspect)]
    if sum(ways) != 1:
        raise InputValidationError(
            [("ratios", "give exactly one of --up/--down/--left/--right, --all or --aspect")]
        )
    ratios = Ratios.all(args.all) if args.all is not None else None
    return CreateArgs(**sides, ratios=ratios, aspect=args.aspect or None, anchor=args.anchor)


def _ratios_for(image: str, args: argparse.Namespace, client: KlingExpand) -> Ratios:
    info = prepare_image(image, client.constraints).info if args.aspect else None
    size = None if info is None else (info.width, info.height)
    return choose_ratios(_create_args(args), size, client.constraints)


def _params(args: argparse.Namespace, ratios: Ratios) -> dict[str, Any]:
    params: dict[str, Any] = {"ratios": ratios}
    if args.prompt is not None:
        params["prompt"] = args.prompt
    if args.n is not None:
        params["n"] = args.n
    if args.watermark:
        params["watermark"] = True
    return params


def _run(client: KlingExpand, args: argparse.Namespace, out: _Output) -> int:
    ratios = {image: _ratios_for(image, args, client) for image in args.images}
    for image in args.images:  # every request is checked before anything is sent
        client.check(image, **_params(args, ratios[image]))
    if args.no_wait:
        for image in args.images:
            task = client.submit(image, **_params(args, ratios[image]))
            out.result(task.id, {"image": image, "task": _task_json(task)})
        return EXIT_OK
    items = [BatchItem(image, _params(args, ratios[image])) for image in args.images]
    with out.progress() as progress:
        outcomes = client.expand_many(
            items,
            out_dir=args.out,
            concurrency=args.concurrency,
            timeout=args.wait_timeout,
            poll_interval=args.poll_interval,
            on_event=_progress_reporter(progress, items),
        )
    # The before/after sheet needs the original's pixels: a URL's are not at hand.
    originals = {
        image: prepare_image(image, client.constraints).data if args.compare else None
        for image in args.images
    }
    return _report(args.images, outcomes, ratios, originals, args, out)


def _progress_reporter(
    progress: Progress, items: Sequence[BatchItem]
) -> Callable[[BatchEvent], None]:
    names = {item.identity(): Path(str(item.image)).name for item in items}
    bars: dict[str, TaskID] = {
        key: progress.add_task(f"{name}: waiting", total=None) for key, name in names.items()
    }

    def report(event: BatchEvent) -> None:
        bar = bars[event.key]
        name = names[event.key]
        if event.stage in ("submitted", "polled") and event.task is not None:
            progress.update(bar, description=f"{name}: {event.task.status_text}")
            if event.task.succeeded:
                progress.update(bar, total=len(event.task.images), completed=0)
        elif event.stage == "saved":
            progress.update(bar, description=f"{name}: downloading", advance=1)
        elif event.stage in ("failed", "skipped"):
            progress.update(bar, description=f"{name}: {event.stage}")

    return report


def _report(
    images: Sequence[str],
    outcomes: Sequence[BatchOutcome],
    ratios: dict[str, Ratios],
    originals: Mapping[str, bytes | None],
    args: argparse.Namespace,
    out: _Output,
) -> int:
    worst = EXIT_OK
    for image, outcome in zip(images, outcomes, strict=True):
        files = [str(saved.path) for saved in outcome.saved]
        comparison = None
        original = originals.get(image)
        if outcome.status == "saved" and args.compare and outcome.saved:
            if original is None:
                out.warn(f"{image}: --compare skipped: the original is not at hand (only its URL)")
            else:
                target = Path(args.out) / f"{Path(image).stem}_before_after.png"
                sheet = compose_before_after(original, outcome.saved[0].path, ratios[image], target)
                comparison = str(sheet)
        record = {
            "image": image,
            "status": outcome.status,
            "task_id": outcome.task_id,
            "files": files,
            "comparison": comparison,
            "error": outcome.error,
        }
        if outcome.status == "saved":
            out.result("\n".join(files + ([comparison] if comparison else [])), record)
            continue
        out.error(f"{image}: {outcome.error}")
        if out.as_json:
            out.result("", record)
        code = EXIT_FAILED_TASK
        if outcome.exception is not None:
            code = exit_code_for(outcome.exception)
        worst = max(worst, code)
    return worst


def _status(client: KlingExpand, args: argparse.Namespace, out: _Output) -> int:
    task = client.get_by_external_id(args.task) if args.external else client.get(args.task)
    lines = [f"{task.id}  {task.status_text}  {task.status_message}".rstrip()]
    lines += [f"  [{image.index}] {image.url}" for image in task.images]
    out.result("\n".join(lines), _task_json(task))
    return EXIT_FAILED_TASK if task.failed else EXIT_OK


def _list(client: KlingExpand, args: argparse.Namespace, out: _Output) -> int:
    tasks: list[Task] = []
    for task in client.list():
        if len(tasks) >= args.limit:
            break
        tasks.append(task)
    human = "\n".join(f"{t.id}  {t.status_text}  {t.created_at:%Y-%m-%d %H:%M}" for t in tasks)
    out.result(human, [_task_json(t) for t in tasks])
    return EXIT_OK


def _mock(argv: Sequence[str]) -> int:
    """``kling-mock serve ARGS`` in its own process; the SDK never imports the mock."""
    if importlib.util.find_spec("kling_mock") is None:
        raise ConfigurationError(
            "the mock server is not installed (it comes with the kling_mock package)"
        )
    return subprocess.call([sys.executable, "-m", "kling_mock", "serve", *argv])


def _demo(
    args: argparse.Namespace,
    stdout: TextIO,
    stderr: TextIO,
    client_factory: Callable[..., KlingExpand],
) -> int:
    from ._demo import run_demo

    def run_cli(arguments: Sequence[str], *, environ: Mapping[str, str]) -> int:
        return main(
            arguments, stdout=stdout, stderr=stderr, client_factory=client_factory, environ=environ
        )

    passed_on = ["--json"] if args.json else []
    passed_on += ["--debug"] if args.debug else []
    return run_demo(args.out, run_cli=run_cli, stderr=stderr, extra_arguments=passed_on)


_COMMANDS: dict[str, Callable[[KlingExpand, argparse.Namespace, _Output], int]] = {
    "run": _run,
    "status": _status,
    "list": _list,
}


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    client_factory: Callable[..., KlingExpand] = KlingExpand,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run the command line; return its exit status (see the module docstring).

    ``environ`` is where the key is looked up (default: ``os.environ``).
    """
    out_stream, err_stream = stdout or sys.stdout, stderr or sys.stderr
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    mock_arguments = _mock_arguments(parser, arguments)
    if mock_arguments is not None:
        arguments = arguments[: len(arguments) - len(mock_arguments)]
    try:
        with contextlib.redirect_stdout(out_stream), contextlib.redirect_stderr(err_stream):
            args = parser.parse_args(arguments)
            out_dir = getattr(args, "out", None)
            if out_dir is not None and Path(out_dir).exists() and not Path(out_dir).is_dir():
                parser.error(f"--out {out_dir} names a file, not a folder")
    except SystemExit as exit_:  # argparse has printed its message already
        return int(exit_.code or 0)
    out = _Output(args.json, out_stream, err_stream)
    try:
        if args.command == "mock":
            return _mock(mock_arguments or [])
        if args.command == "demo":
            return _demo(args, out_stream, err_stream, client_factory)
        with client_factory(
            **_credentials(args, os.environ if environ is None else environ),
            base_url=args.base_url,
            timeout=args.timeout,
            max_retries=args.max_retries,
        ) as client:
            return _COMMANDS[args.command](client, args, out)
    except (KlingError, KeyboardInterrupt, OSError, ValueError) as error:
        if args.debug:
            traceback.print_exc(file=err_stream)
        out.error("interrupted" if isinstance(error, KeyboardInterrupt) else _one_line(error))
        return exit_code_for(error)


def _credentials(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, Any]:
    """The client's gateway and keys, from the variables the options name.

    The SDK decides the gateway (``_gateway.py``); only the lookup of renamed
    variables happens here.
    """
    api_key = environ.get(args.api_key_env) or None
    access_key = environ.get(args.access_key_env) or None
    secret_key = environ.get(args.secret_key_env) or None
    gateway = args.gateway or (
        "kling" if api_key is None and (access_key or secret_key) else "cometapi"
    )
    if gateway == "kling":
        return {"gateway": gateway, "access_key": access_key, "secret_key": secret_key}
    return {"gateway": gateway, "api_key": api_key}


def _one_line(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return " ".join(text.split())


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
