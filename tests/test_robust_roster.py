"""``offduty roster validate`` and ``offduty explain``: the reproducers of issue 13.

``roster validate`` keeps its documented format (one stderr line per problem, then a count
line), now listing every bad column of a line and capped at the first 50; every other
command refuses a bad roster in one line that names the first problem and the count.
"""

from __future__ import annotations

import json

from offduty_core.limits import MAX_PROBLEMS, MAX_ROSTER_BYTES
from robust_helpers import EXAMPLE, ROSTER, refused, run, write  # noqa: F401 - run is a fixture

HEADER = "badge,agency,seniority_date,rank,approved,active,schedule,shift_start,history,qualifications\n"
GOOD = "1,chandler-az,2010-01-01,officer,,,,,,\n"


def test_a_roster_that_is_not_utf8_is_refused_naming_the_line(run, tmp_path):
    path = write(tmp_path, "r.csv", (HEADER + GOOD + "2,chandler-az,2011-01-01,officer,,,,,,\u00e9\n").encode("latin-1"))
    refused(run("roster", "validate", path), "r.csv line 3: byte 0xE9 is not UTF-8", "save it as UTF-8")
    refused(run("explain", "--roster", path, write(tmp_path, "s.json", EXAMPLE)), "line 3: byte 0xE9")
    refused(run("roster", "validate", write(tmp_path, "u.csv", (HEADER + GOOD).encode("utf-16"))), "UTF-16")


def test_old_mac_line_endings_crlf_and_a_bom_are_read(run, tmp_path):
    for name, text in (("cr", (HEADER + GOOD).replace("\n", "\r")), ("crlf", (HEADER + GOOD).replace("\n", "\r\n")),
                       ("bom", "\ufeff" + HEADER + GOOD)):
        code, out, err, _ = run("roster", "validate", write(tmp_path, f"{name}.csv", text))
        assert code == 0 and err == "" and "1 officers, valid" in out, (name, err)


def test_a_cell_longer_than_the_csv_modules_default_is_read(run, tmp_path):
    code, out, err, _ = run("roster", "validate", write(tmp_path, "r.csv", HEADER.replace("qualifications", "name")
                                                         + "1,chandler-az,2010-01-01,officer,,,,,," + "x" * 200_000 + "\n"))
    assert code == 0, err


def test_a_roster_past_the_size_bound_is_refused_at_once(run, tmp_path):
    refused(run("roster", "validate", write(tmp_path, "r.csv", b"x" * (MAX_ROSTER_BYTES + 1))),
            f"larger than {MAX_ROSTER_BYTES:,} bytes")


def test_a_superscript_badge_validates_and_explain_does_not_crash(run, tmp_path):
    path = write(tmp_path, "r.csv", HEADER + GOOD + "\u00b2,chandler-az,2011-01-01,officer,,,,,,\n")
    assert run("roster", "validate", path)[0] == 0
    code, out, err, _ = run("explain", "--roster", path, write(tmp_path, "s.json", EXAMPLE), "--json")
    assert code == 0, err
    assert {v["badge"] for v in json.loads(out)["verdicts"]} == {"1", "\u00b2"}


def test_every_bad_column_of_a_line_is_listed(run, tmp_path):
    path = write(tmp_path, "r.csv", HEADER + "1 2,nope,2010-13-01,general,maybe,perhaps,weekly,25:00,x:y,SSO!\n")
    code, out, err, _ = run("roster", "validate", path)
    assert code == 2 and out == ""
    columns = [line.split(", ", 1)[1].split(":")[0] for line in err.splitlines()[:-1]]
    assert sorted(columns) == sorted(["badge", "agency", "rank", "qualifications", "seniority_date", "approved",
                                      "active", "schedule", "history"])
    assert err.splitlines()[-1] == f"{path}: 9 problems; fix them and run again"


def test_validate_lists_the_first_50_problems_and_counts_them_all(run, tmp_path):
    rows = "".join(f"{i},chandler-az,2010-13-01,officer,,,,,,\n" for i in range(120))
    code, out, err, _ = run("roster", "validate", write(tmp_path, "r.csv", HEADER + rows))
    lines = err.splitlines()
    assert code == 2 and len(lines) == MAX_PROBLEMS + 1
    assert lines[-1].endswith(f"120 problems (the first {MAX_PROBLEMS} are listed); fix them and run again")


def test_explain_refuses_a_bad_roster_in_one_line_with_the_count(run, tmp_path):
    path = write(tmp_path, "r.csv", HEADER + "1,nope,2010-13-01,,,,,,,\n")
    refused(run("explain", "--roster", path, write(tmp_path, "s.json", EXAMPLE)),
            "line 2, agency: 'nope'", "(and 1 more problem)", "offduty roster validate FILE")


def test_an_unclosed_quote_is_one_problem_not_a_traceback(run, tmp_path):
    code, out, err, _ = run("roster", "validate", write(tmp_path, "r.csv", HEADER + '"1,chandler-az\n' + "x" * 10))
    assert code == 2 and "Traceback" not in err


def test_explain_a_request_approved_after_it_arrived(run, tmp_path):
    """Found by the fuzz suite: the board posts such a request at its approval, which explain
    did not wait for (AttributeError on the slot's missing posting)."""
    data = json.loads(json.dumps(EXAMPLE))
    data["request"]["approved_at"] = "2027-06-01T09:00"
    path = write(tmp_path, "s.json", data)
    code, out, err, _ = run("explain", "--roster", ROSTER, path, "--slot", 1, "--method", "sequencing")
    assert code == 0, err
    assert "may be offered the shift" in out
    refused(run("explain", "--roster", ROSTER, path, "--at", "2027-06-01T08:30"),
            "--at", "posted when it is approved, 2027-06-01T09:00-07:00")


def test_explain_refuses_an_event_for_a_slot_the_request_does_not_have(run, tmp_path):
    # Found by the deep fuzz profile: an assign to slot 1 of a one-slot request crashed explain
    # (IndexError) instead of being refused as billing refuses it.
    data = {"agency": "chandler-az",
            "request": {"id": "R-1", "vendor": "Acme", "category": "security", "received_at": "2027-03-01T07:00",
                        "start": "2027-03-01T08:00", "end": "2027-03-01T09:00",
                        "positions": {"officer": 1, "supervisor": 0, "scribe": 0}, "vehicle": False},
            "events": [{"type": "unfilled", "slot": 0}, {"type": "assign", "slot": 1, "officer": "117"}]}
    refused(run("explain", "--roster", ROSTER, write(tmp_path, "s.json", data), "--slot", "0",
                "--at", "2027-03-01T08:00"), "events[1].slot: 1 is not allowed; slots are 0..0 for this request")
