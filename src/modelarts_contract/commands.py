"""`modelarts-contract`: the console script, a tool with commands.

`run` (the default when the first argument is no command, so `modelarts-contract -q` runs the suite)
hands everything after it to pytest, as `cli.main` always did. The other commands are the project's
own entry points, which keep working as `python -m modelarts_contract.drift` and so on.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from typing import Any, cast

import pytest

from modelarts_contract import __version__


# Each command's module is imported when that command runs: the suite pulls in schemathesis and the
# drift check docutils, about a second of start-up that `compare` and `history` need not pay.
def _run(argv: list[str]) -> int:
    from modelarts_contract.cli import main as run_suite

    return run_suite(argv)


def _compare(argv: list[str]) -> int:
    from modelarts_contract.history.cli import compare_main

    return compare_main(argv)


def _history(argv: list[str]) -> int:
    from modelarts_contract.history.cli import history_main

    return history_main(argv)


def _drift(argv: list[str]) -> int:
    from modelarts_contract.drift.__main__ import main as drift

    return drift(argv)


def _report(argv: list[str]) -> int:
    from modelarts_contract.report.__main__ import main as report

    return report(argv)


def _reference(argv: list[str]) -> int:
    from modelarts_contract.matrix.serve import main as reference  # with the catalogue: --variant

    return reference(argv)


COMMANDS: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "run": (_run, "run the contract suite (the default: `modelarts-contract -q` runs it too)"),
    "compare": (_compare, "what changed between two runs (OLD NEW); exit 1 on a newly broken clause"),
    "history": (_history, "an HTML page and a Markdown twin of many runs (DIR... -o OUT)"),
    "drift": (_drift, "compare a published API reference page with the spec"),
    "report": (_report, "write the conformance report of a --report-dir again"),
    "reference": (_reference, "serve the reference server, a local stand-in for the API"),
}
EXIT_STATUSES = (
    "0 the target kept the contract (known breakage of --baseline aside), 1 it broke a clause, a "
    "baseline entry expired or an answer was slower than --max-response-time, 4 usage error, 6 environment problem, "
    "7 a limit (budget, --max-duration) reached first"
)


class _OptionRecorder:
    """Stands in for pytest's parser: collects the suite's options as the plugin declares them."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str]] = []

    def getgroup(self, name: str, description: str = "") -> _OptionRecorder:
        return self

    def addoption(self, *flags: str, **attrs: Any) -> None:
        takes_value = attrs.get("action") not in ("store_true", "store_false")
        default = flags[-1].lstrip("-").replace("-", "_").upper() if takes_value else None
        metavar = attrs.get("metavar", default)
        self.rows.append((" ".join(flags) + (f" {metavar}" if metavar else ""), str(attrs.get("help", ""))))


def suite_options() -> list[tuple[str, str]]:
    """(flag, help) of every option of the suite, from the plugin itself: never out of step."""
    from modelarts_contract.pytest_plugin import pytest_addoption

    recorder = _OptionRecorder()
    pytest_addoption(cast(pytest.Parser, recorder))
    return recorder.rows


def help_text() -> str:
    width = max(len(name) for name in COMMANDS) + 2
    commands = [f"  {name:<{width}}{about}" for name, (_, about) in COMMANDS.items()]
    options = []
    for flag, about in suite_options():
        options.append(f"  {flag}")
        options += textwrap.wrap(about, 96, initial_indent=" " * 6, subsequent_indent=" " * 6)
    return "\n".join(
        [
            "usage: modelarts-contract [run] [SUITE OPTIONS] [PYTEST OPTIONS]",
            "       modelarts-contract COMMAND [ARGS]",
            "",
            'Contract tests for the ModelArts API "Obtaining User Image Groups" (GET /v1/{project_id}/images/group).',
            "",
            "commands:",
            *commands,
            "",
            "`modelarts-contract COMMAND --help` tells more; `modelarts-contract run --help` adds pytest's options.",
            "",
            "suite options (each also read from the environment; the command line wins):",
            *options,
            "",
            *textwrap.wrap(f"exit statuses of run: {EXIT_STATUSES}", 100, subsequent_indent="  "),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(help_text())
        return 0
    if args and args[0] == "--version":
        print(f"modelarts-contract {__version__}")
        return 0
    if args and args[0] in COMMANDS:
        command, _ = COMMANDS[args[0]]
        try:
            return command(args[1:])
        except SystemExit as exc:  # a command's argparse (--help, bad usage): its status, returned
            return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return _run(args)


if __name__ == "__main__":
    sys.exit(main())
