"""Results appear all at once or not at all: --out is claimed before the work, replaced only with
--force, and never left holding a mix of two runs, even when the run is killed while writing."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from offduty_core.cli import main
from offduty_core.errors import InputError
from offduty_simulations.calibrate import dumps_toml
from offduty_simulations.writing import RESULT_FILES, OutFolder, atomic_file, check_file
from sim_helpers import ROOT, small


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def fill(folder: Path, text: str) -> None:
    for name in RESULT_FILES:
        (folder / name).write_text(f"{text} {name}")


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


# --- OutFolder ----------------------------------------------------------------------------------


def test_a_new_folder_appears_only_when_committed(tmp_path):
    out = tmp_path / "deep" / "run"
    with OutFolder(out) as folder:
        assert folder.tmp.parent == out.parent and folder.tmp.is_dir()
        fill(folder.tmp, "new")
        assert not out.exists()
        folder.commit()
    assert digest(out) == digest(out) and (out / "summary.json").read_text() == "new summary.json"
    assert leftovers(out.parent) == []
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~_umask())


def _umask() -> int:
    mask = os.umask(0o22)
    os.umask(mask)
    return mask


def test_existing_results_are_refused_without_force_and_replaced_with_it(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    fill(out, "old")
    with pytest.raises(InputError, match=r"--out: .* already holds results \(.*ledger.parquet, .*give --force"):
        OutFolder(out)
    assert leftovers(tmp_path) == []
    with OutFolder(out, force=True) as folder:
        fill(folder.tmp, "new")
        assert (out / "summary.json").read_text() == "old summary.json"
        folder.commit()
    assert {(out / n).read_text() for n in RESULT_FILES} == {f"new {n}" for n in RESULT_FILES}
    assert leftovers(tmp_path) == []


def test_without_an_atomic_exchange_the_old_folder_is_renamed_away_first(tmp_path, monkeypatch):
    from offduty_simulations import writing

    calls = []
    monkeypatch.setattr(writing, "_exchange", lambda a, b: calls.append((a, b)) or False)
    out = tmp_path / "run"
    out.mkdir()
    fill(out, "old")
    with OutFolder(out, force=True) as folder:
        fill(folder.tmp, "new")
        folder.commit()
    assert calls and (out / "ledger.parquet").read_text() == "new ledger.parquet" and leftovers(tmp_path) == []


@pytest.mark.parametrize("out", [".", "..", "../here"])
def test_the_current_folder_is_never_replaced(tmp_path, monkeypatch, out):
    # Swapping it would leave the shell that ran offduty in a deleted folder.
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    with pytest.raises(InputError, match=r"holds the current folder, .* e.g. ./out"):
        OutFolder(out)
    assert leftovers(tmp_path) == [] and here.is_dir()


def test_an_empty_folder_is_used_without_force(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    with OutFolder(out) as folder:
        fill(folder.tmp, "new")
        folder.commit()
    assert sorted(p.name for p in out.iterdir()) == sorted(RESULT_FILES)


def test_a_folder_holding_other_files_is_never_replaced(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    fill(out, "old")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match=r"holds other files \(notes.txt\); results replace the whole folder"):
        OutFolder(out, force=True)
    assert (out / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("make", ["file", "under a file"])
def test_an_out_that_cannot_be_a_folder_is_refused(tmp_path, make):
    blocker = tmp_path / "x"
    blocker.write_text("a file")
    out = blocker if make == "file" else blocker / "run"
    with pytest.raises(InputError, match="--out"):
        OutFolder(out)
    assert blocker.read_text() == "a file" and leftovers(tmp_path) == []


def test_an_error_while_writing_leaves_the_old_results(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    fill(out, "old")
    with pytest.raises(RuntimeError):
        with OutFolder(out, force=True) as folder:
            (folder.tmp / "shifts.parquet").write_text("half")
            raise RuntimeError("disk full")
    assert (out / "shifts.parquet").read_text() == "old shifts.parquet" and leftovers(tmp_path) == []


def test_a_folder_filled_by_someone_else_meanwhile_is_not_replaced(tmp_path):
    out = tmp_path / "run"
    with OutFolder(out) as folder:
        fill(folder.tmp, "new")
        out.mkdir()
        (out / "theirs.txt").write_text("x")
        with pytest.raises(InputError, match="holds other files"):
            folder.commit()
    assert sorted(p.name for p in out.iterdir()) == ["theirs.txt"] and leftovers(tmp_path) == []


# --- single files -------------------------------------------------------------------------------


def test_a_file_is_refused_if_it_exists_and_replaced_whole_with_force(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("old")
    with pytest.raises(InputError, match="already exists; give --force"):
        check_file(path)
    check_file(path, force=True)
    with pytest.raises(RuntimeError):
        with atomic_file(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError
    assert path.read_text() == "old" and leftovers(tmp_path) == []
    with atomic_file(path) as tmp:
        tmp.write_text("new")
    assert path.read_text() == "new" and leftovers(tmp_path) == []
    with pytest.raises(InputError, match="cannot be written"):
        check_file(path / "under-a-file.csv")


# --- the commands -------------------------------------------------------------------------------


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(dumps_toml(small(days=7, officers=15)))
    return path


def _refused_before_the_work(monkeypatch, capsys, argv, work):
    """Run ``argv`` in this process with ``work`` (module, name) made to fail if reached."""
    module, name = work

    def reached(*a, **k):
        raise AssertionError(f"{name} ran before --out was refused")

    monkeypatch.setattr(module, name, reached)
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("offduty: --out: ")
    return lines[0]


def test_simulate_refuses_an_out_holding_results_before_simulating(tmp_path, scenario, monkeypatch, capsys):
    from offduty_simulations.model import YearModel

    out = tmp_path / "run"
    out.mkdir()
    fill(out, "old")
    line = _refused_before_the_work(monkeypatch, capsys, ["simulate", "--scenario", str(scenario), "--out", str(out)],
                                    (YearModel, "run"))
    assert "already holds results" in line and "--force" in line
    assert (out / "summary.json").read_text() == "old summary.json" and leftovers(tmp_path) == []


def test_simulate_refuses_an_out_it_cannot_write_before_simulating(tmp_path, scenario, monkeypatch, capsys):
    from offduty_simulations.model import YearModel

    (tmp_path / "file").write_text("x")
    line = _refused_before_the_work(monkeypatch, capsys, ["simulate", "--scenario", str(scenario), "--out",
                                                          str(tmp_path / "file" / "run")], (YearModel, "run"))
    assert "cannot be written" in line


def test_sweep_and_calibrate_refuse_an_existing_out_before_the_work(tmp_path, scenario, monkeypatch, capsys):
    from offduty_simulations import calibrate, runner

    table = tmp_path / "sweep.csv"
    table.write_text("old")
    line = _refused_before_the_work(monkeypatch, capsys, ["sweep", "--scenario", str(scenario), "-n", "1", "--workers",
                                                          "1", "--out", str(table)], (runner, "execute"))
    assert "already exists" in line and table.read_text() == "old"
    fitted = tmp_path / "fitted.toml"
    fitted.write_text("old")
    line = _refused_before_the_work(monkeypatch, capsys, ["calibrate", "simulations/data/history-chandler-az.csv",
                                                          "--out", str(fitted)], (calibrate, "fit"))
    assert "already exists" in line and fitted.read_text() == "old"


def test_calibrate_with_force_replaces_its_file(tmp_path, capsys):
    fitted = tmp_path / "fitted.toml"
    fitted.write_text("old")
    assert main(["calibrate", str(ROOT / "simulations/data/history-chandler-az.csv"), "--out", str(fitted),
                 "--force"]) == 0
    assert fitted.read_text().startswith("# Fitted by") and leftovers(tmp_path) == []


def offduty(*args):
    return subprocess.run([sys.executable, "-m", "offduty_core.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_simulate_with_force_replaces_the_results_whole(tmp_path, scenario):
    out, reference = tmp_path / "run", tmp_path / "reference"
    assert offduty("simulate", "--scenario", str(scenario), "--seed", "1", "--out", str(out)).returncode == 0
    first = digest(out)
    again = offduty("simulate", "--scenario", str(scenario), "--seed", "2", "--out", str(out))
    assert again.returncode == 2 and again.stdout == "" and digest(out) == first
    assert offduty("simulate", "--scenario", str(scenario), "--seed", "2", "--out", str(out), "--force").returncode == 0
    assert offduty("simulate", "--scenario", str(scenario), "--seed", "2", "--out", str(reference)).returncode == 0
    assert digest(out) == digest(reference) != first  # the same command writes the same bytes anywhere
    command = json.loads((out / "summary.json").read_text())["provenance"]["command"]
    assert command == f"offduty simulate --scenario {scenario} --seed 2"  # without --out and --force
    assert leftovers(tmp_path) == []


# --- killed while writing -----------------------------------------------------------------------

#: ``offduty`` with each Parquet file's write slowed down and announced on stderr, so a signal
#: can be sent while the files are being written.
SLOW_WRITER = """
import sys, time
import pyarrow.parquet as pq
from offduty_core.cli import main

write_table = pq.write_table

def slow(*args, **kwargs):
    print("writing", file=sys.stderr, flush=True)
    time.sleep(0.2)
    write_table(*args, **kwargs)
    time.sleep(0.2)

pq.write_table = slow
sys.exit(main(sys.argv[1:]))
"""


def test_a_run_killed_while_writing_leaves_the_old_set_or_the_new_one(tmp_path, scenario):
    out, new = tmp_path / "run", tmp_path / "new"
    assert offduty("simulate", "--scenario", str(scenario), "--seed", "1", "--out", str(out)).returncode == 0
    assert offduty("simulate", "--scenario", str(scenario), "--seed", "2", "--out", str(new)).returncode == 0
    old_set, new_set = digest(out), digest(new)
    assert old_set != new_set
    script = tmp_path / "slow_offduty.py"
    script.write_text(SLOW_WRITER)
    rng = random.Random(11)
    seen = {"old": 0, "new": 0}
    for trial in range(6):
        sig = signal.SIGINT if trial % 3 == 2 else signal.SIGTERM
        proc = subprocess.Popen([sys.executable, str(script), "simulate", "--scenario", str(scenario), "--seed", "2",
                                 "--out", str(out), "--force"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, cwd=ROOT)
        assert proc.stderr.readline().strip() == "writing"  # the first file is being written
        time.sleep(rng.uniform(0.0, 1.0))  # ... into the files (1.2 s), the summary, the swap, or after
        proc.send_signal(sig)
        proc.communicate(timeout=60)
        state = digest(out)
        assert state in (old_set, new_set), f"trial {trial}: a mix of two runs"
        assert leftovers(tmp_path) == [], f"trial {trial}: temporary folder left behind"
        seen["old" if state == old_set else "new"] += 1
        if state == new_set:  # start the next trial from the old set again
            proc = offduty("simulate", "--scenario", str(scenario), "--seed", "1", "--out", str(out), "--force")
            assert proc.returncode == 0 and digest(out) == old_set
    assert seen["old"] >= 3, seen  # most signals landed while writing, and changed nothing
