"""``offduty roster validate`` and ``offduty explain``: readable output, exit codes, errors."""

from __future__ import annotations

import json
import shutil
import sys
import subprocess
from pathlib import Path

import pytest

from offduty_core.cli import main

ROOT = Path(__file__).resolve().parents[1]
ROSTER = ROOT / "examples" / "roster-chandler.csv"
STORY = ROOT / "examples" / "chandler-cancel-inside.json"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_summarises_a_good_roster(capsys):
    code, out, err = run(capsys, "roster", "validate", ROSTER)
    assert code == 0 and err == ""
    assert out.splitlines()[0] == f"{ROSTER}: 11 officers, valid"
    assert "  agencies: chandler-az 10, grantsville-ut 1" in out
    assert "  not approved: 1, inactive: 1" in out
    assert "  on-duty schedules: 4x10 1, 5x8 5, dates 1, days_off 2, none 1, pitman 1" in out
    code, out, _ = run(capsys, "roster", "validate", ROSTER, "--json")
    assert json.loads(out)["supervisors"] == 2


def test_validate_lists_every_problem_with_its_line_and_exits_2(capsys, tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_text("badge,agency,seniority_date,rank,schedule,shift_start,anchor\n"
                   "1,chandler-az,2010-01-01,officer,,,\n"
                   "2,chandler-az,2019-13-01,officer,,,\n"
                   "3,springfield-il,2019-01-01,officer,,,\n"
                   "4,chandler-az,2019-01-01,officer,pitman,18:00,\n"
                   "1,chandler-az,2011-01-01,officer,,,\n")
    code, out, err = run(capsys, "roster", "validate", bad)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"{bad} line 3, seniority_date: '2019-13-01' is not a date (YYYY-MM-DD)",
        f"{bad} line 4, agency: 'springfield-il' is not an installed agency; agencies are chandler-az, "
        "grantsville-ut, lynnwood-wa, west-valley-city-ut",
        f"{bad} line 5, anchor: '' is required for a pitman schedule (the first on-duty day of the cycle, YYYY-MM-DD)",
        f"{bad} line 6, badge: '1' is already used on line 2",
        f"{bad}: 4 problems; fix them and run again",
    ]


def test_validate_any_agency_and_unreadable_files(capsys, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("badge,agency,seniority_date\n1,springfield-il,2010-01-01\n")
    assert run(capsys, "roster", "validate", other)[0] == 2
    assert run(capsys, "roster", "validate", other, "--any-agency")[0] == 0
    code, out, err = run(capsys, "roster", "validate", tmp_path / "missing.csv")
    assert code == 2 and "cannot be read" in err and out == ""


def test_explain_gives_every_officer_a_verdict_and_a_reason(capsys):
    code, out, err = run(capsys, "explain", "--roster", ROSTER, STORY)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "C-77 slot 0 (officer, special_event) at chandler-az: Sun 2027-06-20 18:00 to 23:00 (UTC-0700)"
    assert lines[1] == "method: immediate-release"
    rows = {line.split()[0]: line for line in lines[5:] if line.startswith("  ") and line.split()[0] != "also:"}
    assert "offered      sees it at once" in rows["117"]
    assert "on duty 2027-06-20 18:00-2027-06-21 06:00 (pitman from 2027-06-19 at 18:00)" in rows["118"]
    assert "only 7 h rest before going on duty at 2027-06-21 06:00; the minimum is 8 h" in rows["121"]
    assert "not approved for off-duty work" in rows["122"]
    assert "not active (on leave or suspended)" in rows["123"]
    assert "grantsville-ut officers are not in the audience of C-77 slot 0 (posted to chandler-az)" in rows["G-41"]
    assert lines[-1] == "5 of 11 officers may be offered the shift."


def test_explain_in_the_methods_order(capsys):
    code, out, _ = run(capsys, "explain", "--roster", ROSTER, STORY, "--method", "seniority", "--json")
    result = json.loads(out)
    offered = [(v["badge"], v["place"]) for v in result["verdicts"] if v["verdict"] == "offered"]
    assert offered == [("126", 1), ("117", 2), ("124", 3), ("119", 4), ("127", 5)]  # seniority dates
    assert result["method"].startswith("seniority (window_hours=24.0")
    code, out, _ = run(capsys, "explain", "--roster", ROSTER, STORY, "--method", "fairness", "--json")
    offered = [v["badge"] for v in json.loads(out)["verdicts"] if v["verdict"] == "offered"]
    assert offered == ["126", "127", "119", "117", "124"]  # 0, 0, 8, 9, 12 h this year; ties by seniority
    code, out, _ = run(capsys, "explain", "--roster", ROSTER, STORY, "--slot", "4", "--json")
    offered = [v["badge"] for v in json.loads(out)["verdicts"] if v["verdict"] == "offered"]
    assert offered == ["126"]  # the only supervisor free that evening


def test_explain_as_of_a_time_applies_the_storys_events(capsys, tmp_path):
    roster = tmp_path / "lynnwood.csv"
    roster.write_text("badge,agency,seniority_date\nL-311,lynnwood-wa,2008-01-01\nL-122,lynnwood-wa,2010-01-01\n"
                      "L-408,lynnwood-wa,2012-01-01\n")
    story = ROOT / "examples" / "lynnwood-change-start.json"
    code, out, _ = run(capsys, "explain", "--roster", roster, story, "--slot", "1", "--at", "2027-11-24T12:00", "--json")
    verdicts = {v["badge"]: v for v in json.loads(out)["verdicts"]}
    assert verdicts["L-122"]["verdict"] == "not offered"
    assert verdicts["L-122"]["reasons"][0].startswith("badge L-122: barred from L-2027-0412 slot 1")
    assert verdicts["L-311"]["reasons"][0].startswith("badge L-311: already booked on L-2027-0412 slot 0")
    assert verdicts["L-408"]["verdict"] == "holds"  # its assign, listed after the change, follows it
    assert json.loads(out)["start"] == "2027-11-26T18:00-08:00"  # the moved start


@pytest.mark.parametrize("extra,message", [
    (["--slot", "9"], "--slot: 9 is not allowed; slots of C-77 are 0 officer, 1 officer, 2 officer, 3 officer, "
                      "4 supervisor, 5 scribe"),
    (["--method", "senority"], "installed methods are bidding, fairness, immediate-release, seniority, sequencing"),
    (["--method", "seniority", "--param", "window=3"], "unknown parameter of seniority; its parameters are "
                                                       "window_hours, close_before_start_hours"),
    (["--param", "window_hours=3"], "give --method with its parameters"),
    (["--at", "2027-05-01T00:00"], "--at: '2027-05-01T00:00-07:00' is not allowed; must not be before the request "
                                   "was received"),
])
def test_explain_errors_are_one_readable_line(capsys, extra, message):
    code, out, err = run(capsys, "explain", "--roster", ROSTER, STORY, *extra)
    assert code == 2 and out == ""
    assert err.startswith("offduty: ") and message in err and len(err.splitlines()) == 1


def test_explain_a_refused_request(capsys, tmp_path):
    story = ROOT / "examples" / "grantsville-short-notice.json"
    roster = tmp_path / "g.csv"
    roster.write_text("badge,agency,seniority_date\nG1,grantsville-ut,2010-01-01\n")
    code, out, err = run(capsys, "explain", "--roster", roster, story)
    assert code == 2 and "requests need 24 h notice; this one gave 10 h" in err


def test_console_script(tmp_path):
    # The script pip installed beside this interpreter (the venv need not be activated).
    beside = Path(sys.executable).with_name("offduty")
    exe = str(beside) if beside.exists() else shutil.which("offduty")
    if exe is None:
        pytest.skip("offduty console script not installed")
    done = subprocess.run([exe, "roster", "validate", str(ROSTER)], capture_output=True, text=True)
    assert done.returncode == 0 and "11 officers, valid" in done.stdout


def test_explain_a_staged_posting(capsys):
    args = ["explain", "--roster", ROSTER, STORY, "--method", "seniority", "--group", "sso",
            "--backup-agency", "grantsville-ut", "--release-before-start-hours", "72", "--json"]
    result = json.loads(run(capsys, *args)[1])
    assert result["audience"] == ("chandler-az officers holding sso; all chandler-az officers, grantsville-ut "
                                  "from 2027-06-17T18:00-07:00")
    verdicts = {v["badge"]: v["verdict"] for v in result["verdicts"]}
    assert [b for b, v in verdicts.items() if v == "offered"] == ["117", "119"]  # the SSO officers
    assert verdicts["126"] == "later"  # eligible, once the shift opens beyond the group
    later = json.loads(run(capsys, *args, "--at", "2027-06-18T12:00")[1])
    assert later["audience"].endswith("(open now)")
    assert sum(v["verdict"] == "offered" for v in later["verdicts"]) == 5
    code, _, err = run(capsys, *args[:-3])  # no release time
    assert code == 2 and "need release_after or release_before_start" in err


def test_the_documented_example_is_what_the_command_prints(capsys):
    doc = (ROOT / "docs" / "distribution.md").read_text()
    block = doc.split("$ offduty explain --roster examples/roster-chandler.csv "
                      "examples/chandler-cancel-inside.json --method fairness\n", 1)[1].split("```", 1)[0]
    code, out, _ = run(capsys, "explain", "--roster", ROSTER, STORY, "--method", "fairness")
    assert code == 0 and out == block
