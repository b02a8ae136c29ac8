"""The one uvicorn command line every Python server under test runs with.

Production settings, the same for the mock and the ceiling so their figures
compare: one process, no reload, no access log, warnings only, and uvicorn's
fast stack named explicitly (the httptools parser and the uvloop event loop,
both project dependencies), so a missing one fails the run instead of quietly
measuring the pure-Python h11 parser.

>>> command = uvicorn_factory_command("pkg.mod:make", "127.0.0.1", 8000)
>>> command[3:9]
['--factory', 'pkg.mod:make', '--host', '127.0.0.1', '--port', '8000']
>>> command[9:]
['--no-access-log', '--log-level', 'warning', '--http', 'httptools', '--loop', 'uvloop']
"""

from __future__ import annotations

import sys

UVICORN_PRODUCTION_ARGS = (
    "--no-access-log",
    "--log-level",
    "warning",
    "--http",
    "httptools",
    "--loop",
    "uvloop",
)


def uvicorn_factory_command(factory: str, host: str, port: int) -> list[str]:
    """``python -m uvicorn --factory FACTORY`` on ``host:port`` with production settings."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        host,
        "--port",
        str(port),
        *UVICORN_PRODUCTION_ARGS,
    ]
