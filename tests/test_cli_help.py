"""The command line's first screen: ``--version`` and help for every argument of every
subcommand, written for a user (no source paths)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from importlib.metadata import version

from offduty_core import cli


def parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    """Every parser the ``offduty`` command builds, nested subcommands included."""
    cli._load_extensions()
    found, todo = [], [("offduty", cli.build_parser())]
    while todo:
        name, parser = todo.pop()
        found.append((name, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += [(f"{name} {sub}", p) for sub, p in action.choices.items()]
    return found


def test_version_is_the_package_metadata_version():
    result = subprocess.run([sys.executable, "-m", "offduty_core.cli", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout == f"offduty {version('offduty')}\n"


def test_every_subcommand_is_reached():
    names = {name for name, _ in parsers()}
    assert {"offduty bill", "offduty simulate", "offduty sweep", "offduty calibrate", "offduty scenario",
            "offduty roster validate", "offduty explain", "offduty new-agency"} <= names


def test_every_argument_of_every_subcommand_has_help():
    missing = [f"{name} {'/'.join(a.option_strings) or a.dest}" for name, parser in parsers()
               for a in parser._actions
               if not isinstance(a, argparse._SubParsersAction) and not (a.help or "").strip()]
    assert missing == []


def test_every_command_help_says_what_it_does():
    assert [name for name, parser in parsers() if not (parser.description or "").strip()] == []


def test_help_names_no_source_paths():
    source_path = re.compile(r"\b(offduty_core|offduty_plugins|simulations|plugins|notebooks|tests)/|\.py\b")
    for name, parser in parsers():
        text = parser.format_help()
        assert not source_path.search(text), f"{name} --help: {source_path.search(text).group()!r}"
