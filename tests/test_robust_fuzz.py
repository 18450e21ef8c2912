"""The fuzz suite: no input makes a command crash, hang or bill an unbalanced ledger.

Every interface -- ``bill`` (files and JSON Lines), ``roster validate`` and ``explain``,
``calibrate``, ``scenario`` and ``simulate`` -- is fed inputs drawn by
:mod:`fuzz_strategies` and the reproducers in ``tests/robust_corpus/``, and must keep the
contract: exit 0, or exit 2 with nothing on stdout and one line on stderr (``roster
validate``: its documented list, one line a problem and a count line).  Every accepted story's
ledger balances and its totals are the sums of its lines.

The default profile draws a few hundred inputs (under a minute in all, for CI). For the
deep profile, at least 10,000 inputs per interface, run::

    OFFDUTY_FUZZ=deep python -m pytest tests/test_robust_fuzz.py -p no:cacheprovider -s

(``-s`` prints the counts of accepted and refused inputs and the slowest call per interface).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_strategies as fs
from offduty_core.cli import main
from offduty_simulations.scenario import load

DEEP = os.environ.get("OFFDUTY_FUZZ") == "deep"
#: Inputs per interface: (default, deep).
EXAMPLES = {"bill": (250, 10_000), "jsonl": (30, 1_000), "roster": (200, 10_000), "explain": (100, 10_000),
            "history": (60, 10_000),
            "scenario": (150, 10_000), "simulate": (4, 300)}
CORPUS = Path(__file__).parent / "robust_corpus"
ROSTER = Path(__file__).resolve().parent.parent / "examples" / "roster-chandler.csv"
STORY = Path(__file__).resolve().parent.parent / "examples" / "chandler-cancel-inside.json"

STATS: dict[str, Counter] = defaultdict(Counter)
SLOWEST: dict[str, float] = defaultdict(float)


def fuzz(interface: str):
    return settings(max_examples=EXAMPLES[interface][DEEP], deadline=None, database=None, derandomize=not DEEP,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def offduty(interface: str, *argv, stdin: bytes | None = None) -> tuple[int, str, str]:
    """Run ``offduty *argv`` in this process; count the outcome and the time."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    began = time.perf_counter()
    if hasattr(signal, "setitimer"):  # a hang becomes an internal error (exit 1), not a stuck suite
        signal.signal(signal.SIGALRM, _hung)
        signal.setitimer(signal.ITIMER_REAL, 60)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in argv])
    finally:
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdin = saved
    seconds = time.perf_counter() - began
    SLOWEST[interface] = max(SLOWEST[interface], seconds)
    STATS[interface]["accepted" if code == 0 else f"exit {code}"] += 1
    assert seconds < 10, f"{interface} took {seconds:.1f} s"  # a hang guard, not a speed test
    return code, out.getvalue(), err.getvalue()


class Hung(Exception):
    """A call ran past a minute."""


def _hung(signum, frame):
    raise Hung("no answer within 60 s")


def contract(code: int, out: str, err: str) -> None:
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err, err
    if code == 2:
        assert out == "", out
        assert len(err.splitlines()) == 1 and err.startswith("offduty: "), err
    else:
        assert err == "", err


def balanced(bill: dict) -> None:
    """The ledger balances and each total is the sum of its lines."""
    for tx in bill["ledger"]:
        assert sum(Decimal(p["amount"]) for p in tx["postings"]) == 0, tx
    lines = defaultdict(lambda: Decimal(0))
    for line in bill["lines"]:
        lines[line["party"]] += Decimal(line["amount"])
    assert Decimal(bill["vendor_total"]) == lines["vendor"]
    assert Decimal(bill["officer_pay_total"]) == lines["officer"]
    assert Decimal(bill["city_total"]) == lines["city"]
    assert Decimal(bill["operator_net"]) == lines["vendor"] - lines["officer"] - lines["city"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    yield tmp_path_factory.mktemp("fuzz")
    if STATS:
        print("\nfuzz inputs per interface (outcome: count), slowest call:", file=sys.__stderr__)
        for name in sorted(STATS):
            counts = ", ".join(f"{k} {v}" for k, v in sorted(STATS[name].items()))
            print(f"  {name}: {sum(STATS[name].values())} inputs ({counts}); slowest {SLOWEST[name]:.2f} s",
                  file=sys.__stderr__)


@fuzz("bill")
@given(data=fs.story_bytes())
def test_bill_keeps_the_contract_and_balances(folder, data):
    path = folder / "story.json"
    path.write_bytes(data)
    code, out, err = offduty("bill", "bill", path)
    contract(code, out, err)
    if code == 0:
        balanced(json.loads(out))


@fuzz("jsonl")
@given(stories=st.lists(st.one_of(fs.good_story(), fs.spoiled(fs.good_story())), min_size=2, max_size=6),
       junk=st.lists(st.sampled_from([b"", b"{", b"\xff\xfe", b"[" * 100, b"null"]), max_size=2))
def test_json_lines_bill_every_good_line_and_name_every_refused_one(folder, stories, junk):
    lines = [json.dumps(s).encode() for s in stories] + junk
    code, out, err = offduty("jsonl", "bill", "-", stdin=b"\n".join(lines) + b"\n")
    assert code in (0, 2) and "Traceback" not in err
    results = [json.loads(x) for x in out.splitlines()]
    for r in results:
        balanced(r)
    refusals = err.splitlines()
    assert all(x.startswith("offduty: stdin line ") for x in refusals), err
    assert len(results) + len(refusals) == sum(1 for x in lines if x.strip())
    assert (code == 2) == bool(refusals)


@fuzz("roster")
@given(data=fs.roster_bytes(), slot=st.integers(0, 5),
       method=st.sampled_from([None, "seniority", "fairness", "bidding", "sequencing", "immediate-release", "x"]))
def test_roster_validate_and_explain_keep_the_contract(folder, data, slot, method):
    path = folder / "roster.csv"
    path.write_bytes(data)
    code, out, err = offduty("roster", "roster", "validate", path)
    assert code in (0, 2) and "Traceback" not in err, err
    if code == 2:
        lines = err.splitlines()
        assert out == "" and lines and len(lines) <= 51, err
        assert lines[-1].startswith("offduty: ") or " problem" in lines[-1], err
    args = ["explain", "--roster", path, STORY, "--slot", slot] + (["--method", method] if method else [])
    contract(*offduty("explain", *args))


@fuzz("explain")
@given(data=fs.story_bytes(), slot=st.integers(0, 5),
       method=st.sampled_from([None, "seniority", "fairness", "bidding", "sequencing", "immediate-release"]),
       at=st.sampled_from([None, "2027-03-01T08:00", "2027-03-14T02:30", "2027-06-01T08:00", "2099-01-01T00:00"]))
def test_explain_any_story_keeps_the_contract(folder, data, slot, method, at):
    path = folder / "explain.json"
    path.write_bytes(data)
    args = ["explain", "--roster", ROSTER, path, "--slot", slot] + (["--method", method] if method else []) + (
        ["--at", at] if at else [])
    contract(*offduty("explain-story", *args))


@fuzz("history")
@given(data=fs.history_bytes())
def test_calibrate_keeps_the_contract_and_writes_a_loadable_scenario(folder, data):
    path, out_file = folder / "history.csv", folder / "fitted.toml"
    path.write_bytes(data)
    out_file.unlink(missing_ok=True)
    code, out, err = offduty("history", "calibrate", path, "--out", out_file, "--agency", "chandler-az")
    contract(code, out, err)
    if code == 0:
        load(out_file)
    else:
        assert not out_file.exists()


@fuzz("scenario")
@given(data=fs.scenario_data())
def test_scenario_load_keeps_the_contract(folder, data):
    path = folder / "scenario.toml"
    path.write_text(fs.toml_text(data))
    contract(*offduty("scenario", "scenario", path))


@fuzz("simulate")
@given(data=st.one_of(fs.scenario_data(wild=False), fs.scenario_data()))
def test_an_accepted_scenario_simulates(folder, data):
    path, out_dir = folder / "sim.toml", folder / f"sim-{time.perf_counter_ns()}"
    agency = data.get("agency") if isinstance(data, dict) else None
    if isinstance(agency, dict) and isinstance(agency.get("days"), int) and agency["days"] > 3:
        agency["days"] = 3  # a long year is a speed question (benchmarks/), not a robustness one
    path.write_text(fs.toml_text(data))
    code, out, err = offduty("simulate", "simulate", "--scenario", path, "--out", out_dir, "--quiet", "--seed", 1)
    assert code in (0, 2) and "Traceback" not in err, err
    if code == 0:
        assert json.loads((out_dir / "summary.json").read_text())["ledger"]["balanced"] is True
    else:
        assert out == "" and len(err.splitlines()) == 1


# --- the corpus: every reproducer of issue 13, and inputs the fuzzer found --------------------

COMMANDS = {
    "bill": lambda f: ["bill", f],
    "roster": lambda f: ["explain", "--roster", f, STORY],
    "history": lambda f: ["calibrate", f, "--out", f.parent / "__never__.toml"],
    "scenario": lambda f: ["scenario", f],
    "explain": lambda f: ["explain", "--roster", ROSTER, f, "--slot", 1, "--method", "sequencing"],
}


@pytest.mark.parametrize("path", sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md"),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_corpus_is_refused_in_one_line(path, tmp_path):
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    code, out, err = offduty(f"corpus-{path.parent.name}", *COMMANDS[path.parent.name](copy))
    contract(code, out, err)
    assert code == (0 if path.name.startswith("ok-") else 2), err
