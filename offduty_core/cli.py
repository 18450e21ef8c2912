"""The ``offduty`` command line.

Exit codes: 0 success; 1 a self-check found a problem, or an internal error; 2 bad input or
a refused request (one line on stderr, nothing on stdout); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Callable, Sequence

from .errors import OffdutyError, message
from .plugins import Registry, default_registry

#: Subcommands added by later layers: name -> (configure parser, run).  Filled by modules
#: that extend the CLI (rosters, simulation) through :func:`subcommand`.
_EXTRA: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def subcommand(name: str, help: str):
    """Decorator pair for CLI extensions: ``@subcommand(name, help)`` on a ``configure``
    function returning the ``run`` function."""

    def wrap(configure: Callable[[argparse.ArgumentParser], Callable[[argparse.Namespace], int]]):
        _EXTRA[name] = (help, configure, None)  # type: ignore[assignment]
        return configure

    return wrap


def _table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    fmt_row = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    return "\n".join([fmt_row(headers), fmt_row(["-" * w for w in widths])] + [fmt_row(r) for r in rows])


def cmd_agencies(args: argparse.Namespace, registry: Registry) -> int:
    rows = [[e.info.name, e.info.title, e.info.timezone, e.source, ""] for e in registry.agencies.values()]
    rows += [[name, "", "", e.source, f"BROKEN: {e.broken}"] for name, e in registry.broken.items()]
    if args.json:
        print(json.dumps([dict(zip(["name", "title", "timezone", "source", "broken"], r[:4] + [r[4][8:] or None]))
                          for r in rows], indent=2))
    else:
        print(_table(rows, ["name", "title", "time zone", "source", "status"]))
    return 0


def cmd_check_agency(args: argparse.Namespace, registry: Registry) -> int:
    findings = registry.self_check(args.name)
    rules = registry.rules(args.name)
    print(f"{rules.info.name}: {rules.info.title} ({rules.info.timezone}, {rules.source})")
    for f in findings:
        print(f"  [{'ok' if f.ok else 'DIFF'}] {f.check}: {f.message}")
    problems = [f for f in findings if not f.ok]
    print(f"{len(findings)} checks, {len(problems)} difference{'s' if len(problems) != 1 else ''}")
    return 1 if problems and args.strict else 0


def cmd_bill(args: argparse.Namespace, registry: Registry) -> int:
    """Bill every story given.  A refused story is reported on stderr (one line, naming its
    file or its line of JSON Lines) and the others are still billed; exit 2 if any was
    refused.  A single story prints its JSON as it always has; several print JSON Lines, one
    result a line with its ``source``; ``--format csv`` prints every bill's lines as one table."""
    from .cli_bill import bill_stories

    return bill_stories(args.files, registry, args.format, lambda exc: _report(exc, args.debug))


def cmd_new_agency(args: argparse.Namespace, registry: Registry) -> int:
    from pathlib import Path

    from .scaffold import create

    root = create(args.name, Path(args.dir), title=args.title, timezone=args.timezone, state=args.state)
    print(f"wrote {root}")
    print(f"next: pip install -e {root} && offduty agencies && (cd {root} && pytest)")
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("offduty")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="offduty",
        description="Run and forecast police off-duty programs: bill job stories exactly, check agency "
                    "plugins, and simulate a year of shifts, fill and money.",
        epilog="--debug (anywhere) shows the traceback behind an error. "
               "'offduty COMMAND --help' describes a command.")
    parser.add_argument("--version", action="version", version=f"offduty {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("agencies", help="list installed agency plugins")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=cmd_agencies)
    p = sub.add_parser("check-agency", help="run an agency plugin's self-check")
    p.add_argument("name", metavar="NAME", help="installed agency name (see `offduty agencies`)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a check finds a difference")
    p.set_defaults(run=cmd_check_agency)
    p = sub.add_parser("bill", help="bill job stories (JSON files, or - for stdin: one story, or JSON Lines)")
    p.add_argument("files", metavar="FILE", nargs="+",
                   help="a story JSON file; - reads stdin (one story, or JSON Lines: one story a line)")
    p.add_argument("--format", choices=("json", "csv"), default="json",
                   help="json (default: one story's JSON, or JSON Lines for several) or csv (every bill's lines)")
    p.set_defaults(run=cmd_bill)
    p = sub.add_parser("new-agency", help="write an installable agency plugin package to start from")
    p.add_argument("name", help="agency name, e.g. springfield-il (a US state suffix sets the zone)")
    p.add_argument("--dir", default=".", help="folder to write offduty-agency-NAME/ into (default: .)")
    p.add_argument("--title", help="e.g. 'Springfield Police Department (IL)'")
    p.add_argument("--timezone", help="IANA zone, e.g. America/Chicago (default: from the state)")
    p.add_argument("--state", help="US state for holiday dates (default: the name's suffix)")
    p.set_defaults(run=cmd_new_agency)
    for name, (help_text, configure, _) in sorted(_EXTRA.items()):
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(run=configure(p))
    for summary in sub._choices_actions:  # each command's --help opens with its one-line summary
        command = sub.choices[summary.dest]
        command.description = command.description or summary.help
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors as one line (it prints the usage and the error)."""

    def error(self, message: str):  # type: ignore[override]
        command = self.prog.partition(" ")[2]
        self.exit(2, f"offduty: {command + ': ' if command else ''}{' '.join(message.split())} "
                     f"(see {self.prog} --help)\n")


def _report(exc: BaseException, debug: bool, internal: bool = False) -> None:
    if debug:
        import traceback

        traceback.print_exception(exc.__cause__ if isinstance(exc, OffdutyError) and exc.__cause__ else exc,
                                  file=sys.stderr)
    if internal:
        print(f"offduty: internal error: {type(exc).__name__}: {message(exc)[:300]} "
              "(run again with --debug for the traceback, and please report it)", file=sys.stderr)
    else:
        print(f"offduty: {message(exc)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command: 0 on success, 2 on refused input (one line on stderr), 1 on an
    internal error (one line; ``--debug`` adds the traceback), 130 on Ctrl-C."""
    _load_extensions()
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if debug:
        argv.remove("--debug")
    previous = _catch_sigint()
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # --help, or a usage error already printed in one line
            return exc.code if isinstance(exc.code, int) else 2
        args.debug = debug
        return args.run(args, default_registry())
    except OffdutyError as exc:
        _report(exc, debug)
        return 2
    except BrokenPipeError:
        # The reader went away (`offduty bill x.json | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print("offduty: interrupted", file=sys.stderr)
        return 130
    except (RecursionError, MemoryError) as exc:
        # Input nested or sized past what a reader bounds: refused, not a crash.
        print(f"offduty: the input is too large or too deeply nested ({type(exc).__name__}); "
              "see docs/limits.md", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - an internal error: one line, traceback with --debug
        _report(exc, debug, internal=True)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _catch_sigint():
    """Ctrl-C reaches every process of the terminal's group, the sweep's pool workers too.
    A worker forked from this process leaves quietly (the parent reports the interruption in
    one line); this process raises KeyboardInterrupt as usual.  Returns the handler to
    restore (None when signals cannot be set here, off the main thread)."""
    main_pid = os.getpid()

    def on_sigint(signum, frame):
        if os.getpid() != main_pid:
            os._exit(130)
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGINT, on_sigint)
    except ValueError:
        return None


def _load_extensions() -> None:
    import importlib

    for name in ("offduty_core.cli_roster", "offduty_simulations.cli", "offduty_service.cli"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


if __name__ == "__main__":  # pragma: no cover
    # ``python -m offduty_core.cli``: run the importable module's main, so that extensions
    # (offduty_simulations.cli) register their subcommands in the table it reads.
    from offduty_core.cli import main as _main

    sys.exit(_main())
