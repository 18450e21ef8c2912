"""docs/service.md's demo, run as a new user would: the shell block as written (on a free
port), against a real ``offduty serve`` with a manual clock."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the demo drives the API with curl")


def demo_block() -> str:
    text = (ROOT / "docs" / "service.md").read_text()
    section = text.split("## A demo agency, end to end", 1)[1]
    return re.search(r"```sh\n(.+?)\n```", section, re.S).group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_demo_runs_end_to_end(tmp_path):
    block = demo_block()
    assert "offduty serve" in block and "clock/advance" in block
    port = str(free_port())
    script = block.replace("localhost:8000", f"localhost:{port}").replace("--port 8000", f"--port {port}")
    script = script.replace("examples/roster-chandler.csv", str(ROOT / "examples" / "roster-chandler.csv"))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["bash", "-e", "-c", "set -m\n" + script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert '"status":"awarded"' in out and '"status":"clocked_out"' in out
    assert "chandler-az,2027-06-14,2027-06-20,2027-06-25,117," in out  # the payroll pays badge 117
    invoices = json.loads(next(line for line in out.splitlines() if line.startswith('[{') and '"bill":' in line))
    (invoice,) = invoices
    billed = subprocess.run([str(Path(sys.executable).with_name("offduty")), "bill", "story.json"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert json.loads(billed.stdout) == invoice["bill"]
    assert out.rstrip().endswith(billed.stdout.rstrip())  # the block's last command printed it too
    history = (tmp_path / "history.csv").read_text().splitlines()
    assert history[0].startswith("request_id,agency,vendor") and len(history) == 2
