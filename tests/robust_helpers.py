"""The command line's contract on bad input, checked the same way by every robustness test.

:func:`cli` runs ``offduty_core.cli.main`` in-process (stdin given as bytes or text) and
returns what the user sees; :func:`refused` asserts the contract: exit 2, nothing on stdout,
exactly one line on stderr starting ``offduty:``, no traceback, within two seconds.
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import pytest

from offduty_core.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = json.loads((ROOT / "examples" / "chandler-cancel-inside.json").read_text())
ROSTER = ROOT / "examples" / "roster-chandler.csv"
HISTORY = ROOT / "simulations" / "data" / "history-chandler-az.csv"


class _Stdin(io.TextIOWrapper):
    """A text stdin with a ``buffer`` of bytes, as a real one has."""


def cli(capsys, monkeypatch, *argv, stdin: bytes | str | None = None) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, seconds) of ``offduty *argv``."""
    if stdin is not None:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", _Stdin(io.BytesIO(data), encoding="utf-8"))
    began = time.perf_counter()
    code = main([str(a) for a in argv])
    seconds = time.perf_counter() - began
    out, err = capsys.readouterr()
    return code, out, err, seconds


def refused(result, *says: str) -> str:
    """Assert the refusal contract; return the stderr line (each of ``says`` must be in it)."""
    code, out, err, seconds = result
    assert code == 2, (code, out, err)
    assert out == "", out
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("offduty: "), err
    assert "Traceback" not in err
    assert seconds < 2, f"took {seconds:.2f} s to refuse"
    for text in says:
        assert text in lines[0], (text, lines[0])
    return lines[0]


def story(**request) -> dict:
    """The example Chandler story with some request fields replaced."""
    data = json.loads(json.dumps(EXAMPLE))
    data["request"].update(request)
    return data


def write(tmp_path, name: str, content: bytes | str | dict) -> Path:
    path = tmp_path / name
    if isinstance(content, dict):
        content = json.dumps(content)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.fixture
def run(capsys, monkeypatch):
    return lambda *argv, stdin=None: cli(capsys, monkeypatch, *argv, stdin=stdin)
