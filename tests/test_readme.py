"""The README's first screen shows the two commands, and CI runs exactly its test command."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    first_screen = "\n".join(text.splitlines()[:25])
    return re.findall(r"```sh\n(.+?)\n```", first_screen)


def test_first_screen_has_setup_and_test_commands():
    setup, test = readme_commands()[:2]
    assert "pip install" in setup and ".venv/bin/offduty simulate" in setup
    # Running needs only the base dependencies; tests, notebooks and Dask are extras.
    install = next(part for part in setup.split("&&") if "pip install" in part)
    assert shlex.split(install)[-2:] == ["-e", "."]
    assert test.endswith("python -m pytest")


def test_ci_runs_exactly_the_readme_test_command():
    ci = [line for line in (ROOT / ".ci/run").read_text().splitlines()
          if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert ci == [readme_commands()[1]]


def test_setup_command_runs_the_main_job(tmp_path):
    """The main job the README runs works (with this environment's offduty), writing its
    frames and a summary whose ledger balances."""
    import json

    setup = readme_commands()[0]
    argv = shlex.split(setup.split("&&")[-1].strip())
    assert argv[0] == ".venv/bin/offduty"
    argv[argv.index("--out") + 1] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "offduty_core.cli", *argv[1:]], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "ledger balanced True" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert 0 < summary["fill_rate"] <= 1
    assert {p.name for p in tmp_path.iterdir()} >= {"shifts.parquet", "officers.parquet", "ledger.parquet"}
