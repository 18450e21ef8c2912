"""Commands that do not need the data stack do not import it: pandas, pyarrow, scipy, dask and
matplotlib are imported only where they are used (the simulator's outputs, sweeps' intervals,
calibration, notebooks), so ``offduty agencies`` or ``offduty bill`` start without paying for them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sim_helpers import ROOT

HEAVY = ("pandas", "pyarrow", "scipy", "dask", "distributed", "matplotlib")

PROBE = """
import json, sys
from offduty_core.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # --help
    code = exc.code
print(json.dumps({"code": code, "heavy": sorted(m for m in %r if m in sys.modules)}), file=sys.stderr)
""" % (HEAVY,)


@pytest.mark.parametrize("argv", [
    ["agencies"],
    ["agencies", "--json"],
    ["check-agency", "chandler-az"],
    ["bill", "examples/chandler-cancel-inside.json"],
    ["roster", "validate", "examples/roster-chandler.csv"],
    ["explain", "--roster", "examples/roster-chandler.csv", "examples/chandler-cancel-inside.json"],
    ["scenario"],
    ["scenario", "simulations/scenarios/chandler-az.toml"],
    ["simulate", "--help"],
    ["sweep", "--help"],
], ids=" ".join)
def test_a_command_that_does_not_need_the_data_stack_does_not_import_it(argv):
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT)
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, result.stderr
    assert report["heavy"] == [], f"offduty {' '.join(argv)} imported {report['heavy']}"


def test_the_probe_sees_an_import_when_there_is_one(tmp_path):
    # The same probe on a command that writes Parquet: pyarrow and pandas are there.
    from offduty_simulations.calibrate import dumps_toml
    from sim_helpers import small

    scenario = tmp_path / "s.toml"
    scenario.write_text(dumps_toml(small(days=2, officers=5)))
    argv = ["simulate", "--scenario", str(scenario), "--out", str(tmp_path / "out")]
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT)
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["code"] == 0 and {"pandas", "pyarrow"} <= set(report["heavy"])
