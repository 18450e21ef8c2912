"""``offduty bill`` refuses every reproducer of issue 13 in one line, and bills batches.

Each case is a minimal input that once ended in a traceback, a hang or a two-line message.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from offduty_core import cli as cli_module
from offduty_core.limits import MAX_EVENTS, MAX_POSITIONS, MAX_SHIFT_HOURS, MAX_STORY_BYTES
from robust_helpers import EXAMPLE, ROOT, refused, run, story, write  # noqa: F401 - run is a fixture

BAD_STORIES = {
    "far future end": (story(end="9999-12-31T23:59"), ["request.end", "years 1900 to 2200"]),
    "year 1 with an offset": (story(received_at="0001-01-01T00:00+05:00"),
                              ["request.received_at", "years 1900 to 2200"]),
    "a year-1 story names its field": (story(received_at="0001-01-01T00:00", start="0001-03-01T10:00",
                                             end="0001-03-01T14:00"), ["request.received_at", "years"]),
    "an unhashable event type": ({**EXAMPLE, "events": [{"type": []}]}, ["events[0].type", "event types are"]),
    "a billion officers": (story(positions={"officer": 10 ** 9}), ["request.positions.officer",
                                                                   f"from 0 to {MAX_POSITIONS}"]),
    "positions over the total": (story(positions={"officer": 150, "scribe": 150}),
                                 ["request.positions", f"at most {MAX_POSITIONS} positions"]),
    "a century-long shift": (story(end="2127-06-20T23:00"), ["request.end", f"at most {MAX_SHIFT_HOURS} h"]),
    "a newline inside an unknown key": (story(**{"bad\nkey": 1}), [r"request.'bad\nkey'", "unknown field"]),
    "a clock record of a year": ({**EXAMPLE, "events": [{"type": "clock", "slot": 0, "in": "2027-06-20T18:00",
                                                          "out": "2028-06-20T18:00"}]},
                                 ["events[0].out", "a clock record lasts at most"]),
    "too many events": ({**EXAMPLE, "events": [{"type": "unfilled", "slot": 0}] * (MAX_EVENTS + 1)},
                        ["events", f"at most {MAX_EVENTS}"]),
    "a site that is a list": (story(site=["a"]), ["request.site", "must be a string"]),
}


@pytest.mark.parametrize("data, says", BAD_STORIES.values(), ids=list(BAD_STORIES))
def test_a_bad_story_is_refused_in_one_line(run, tmp_path, data, says):
    refused(run("bill", write(tmp_path, "s.json", data)), *says)
    refused(run("bill", "-", stdin=json.dumps(data, indent=1)), *says)


@pytest.mark.parametrize("text, says", [
    ('{"agency": ' + "9" * 5000 + "}", ["4,300 digits"]),
    ("[" * 50000 + "]" * 50000, ["50000 levels of nesting", "at most 64"]),
    ('{"agency": NaN}', ["NaN and Infinity"]),
    ("{", ["line 1 column 2", "valid JSON"]),
    ("", ["valid JSON"]),
], ids=["5000 digits", "deep nesting", "NaN", "truncated", "empty"])
def test_malformed_json_is_refused_in_one_line(run, tmp_path, text, says):
    refused(run("bill", write(tmp_path, "s.json", text)), *says)


@pytest.mark.parametrize("encode, says", [
    (lambda t: t.replace("Desert", "D\u00e9sert").encode("latin-1"), ["line 5: byte 0xE9 is not UTF-8", "save it as UTF-8"]),
    (lambda t: t.encode("utf-16"), ["UTF-16", "save it as UTF-8"]),
    (lambda t: t.encode("utf-16-le"), ["not text", "save it as UTF-8"]),
], ids=["latin-1", "utf-16", "utf-16 without a BOM"])
def test_a_story_that_is_not_utf8_is_refused_from_a_file_or_stdin(run, tmp_path, encode, says):
    data = encode(json.dumps(EXAMPLE, indent=1))
    refused(run("bill", write(tmp_path, "s.json", data)), *says)
    refused(run("bill", "-", stdin=data), *says)


@pytest.mark.parametrize("encode", [
    lambda t: b"\xef\xbb\xbf" + t.encode(),
    lambda t: t.replace("\n", "\r\n").encode(),
    lambda t: t.replace("\n", "\r").encode(),
], ids=["BOM", "CRLF", "CR"])
def test_a_bom_and_any_line_ending_are_read(run, tmp_path, encode):
    code, out, err, _ = run("bill", write(tmp_path, "s.json", encode(json.dumps(EXAMPLE, indent=1))))
    assert code == 0 and err == "" and json.loads(out)["request_id"] == "C-77"


def test_files_past_the_size_bound_and_folders_are_refused(run, tmp_path):
    big = write(tmp_path, "big.json", b" " * (MAX_STORY_BYTES + 1))
    refused(run("bill", big), "larger than 1,000,000 bytes")
    refused(run("bill", tmp_path), "is a folder")
    refused(run("bill", tmp_path / "missing.json"), "cannot be read")


def test_vendor_names_and_badges_are_escaped_in_ledger_accounts(run, tmp_path):
    data = story(vendor="Acme: Market\nrow 2")
    data["events"] = [{"type": "assign", "slot": 0, "officer": "117:\t7"}]
    code, out, err, _ = run("bill", write(tmp_path, "s.json", data))
    assert code == 0, err
    accounts = {p["account"] for tx in json.loads(out)["ledger"] for p in tx["postings"]}
    assert "assets:receivable:vendor:Acme%3A Market%0Arow 2" in accounts
    assert "liabilities:payable:officer:117%3A%097" in accounts
    assert all(a.count(":") <= 3 and a.isprintable() for a in accounts)


def test_a_usage_error_is_one_line(run):
    line = refused(run("bill"))
    assert "the following arguments are required: FILE" in line
    refused(run("bill", "x.json", "--format", "xml"), "invalid choice")


def test_an_internal_error_is_one_line_and_debug_shows_the_traceback(run, tmp_path, monkeypatch):
    def broken(*args, **kw):
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr("offduty_core.cli_bill.bill_story", broken)
    path = write(tmp_path, "s.json", EXAMPLE)
    code, out, err, _ = run("bill", path)
    assert code == 1 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("offduty: internal error: RuntimeError: a bug over two lines (run again with --debug")
    code, out, err, _ = run("bill", path, "--debug")
    assert code == 1 and "Traceback" in err and err.splitlines()[-1].startswith("offduty: internal error")


def test_ctrl_c_is_one_line_and_exit_130(run, tmp_path, monkeypatch):
    def interrupted(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr("offduty_core.cli_bill.bill_story", interrupted)
    code, out, err, _ = run("bill", write(tmp_path, "s.json", EXAMPLE))
    assert (code, out, err) == (130, "", "offduty: interrupted\n")


def test_long_values_are_shortened_in_the_message(run, tmp_path):
    line = refused(run("bill", write(tmp_path, "s.json", story(start="x" * 10000))), "request.start")
    assert len(line) < 300 and "..." in line


# --- batches (issue 12): several files, JSON Lines on stdin, --format csv ---------------------


def _other() -> dict:
    data = json.loads(json.dumps(EXAMPLE))
    data["request"]["id"] = "C-78"
    return data


def test_several_files_give_one_result_each_and_a_refused_one_is_named(run, tmp_path):
    good, bad = write(tmp_path, "a.json", EXAMPLE), write(tmp_path, "b.json", story(positions={"officer": -1}))
    other = write(tmp_path, "c.json", _other())
    code, out, err, _ = run("bill", good, bad, other)
    assert code == 2
    results = [json.loads(line) for line in out.splitlines()]
    assert [(r["source"], r["request_id"]) for r in results] == [(str(good), "C-77"), (str(other), "C-78")]
    assert err.splitlines() == [f"offduty: {bad}: request.positions.officer: -1 is not allowed; "
                                f"must be from 0 to {MAX_POSITIONS}"]
    code, out, err, _ = run("bill", good, other)
    assert code == 0 and err == "" and len(out.splitlines()) == 2


def test_json_lines_on_stdin_bill_each_line_and_name_the_refused_line(run):
    lines = [json.dumps(EXAMPLE), "", "{not json", json.dumps(_other()), json.dumps(story(end="9999-01-01T00:00"))]
    code, out, err, _ = run("bill", "-", stdin="\n".join(lines) + "\n")
    assert code == 2
    assert [json.loads(x)["source"] for x in out.splitlines()] == ["stdin line 1", "stdin line 4"]
    errors = err.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("offduty: stdin line 3: 'line 1 column 2' is not allowed; must be valid JSON")
    assert errors[1].startswith("offduty: stdin line 5: request.end")


def test_one_story_on_one_line_of_stdin_prints_its_json_as_before(run):
    code, out, err, _ = run("bill", "-", stdin=json.dumps(EXAMPLE) + "\n")
    assert code == 0 and json.loads(out)["request_id"] == "C-77" and "source" not in json.loads(out)


def test_a_bad_byte_on_one_line_of_json_lines_refuses_that_line_only(run):
    data = json.dumps(EXAMPLE).encode() + b"\n" + json.dumps(_other()).replace("Desert", "D\xe9sert").encode(
        "latin-1") + b"\n" + json.dumps(_other()).encode() + b"\n"
    code, out, err, _ = run("bill", "-", stdin=data)
    assert code == 2 and len(out.splitlines()) == 2
    assert err.startswith("offduty: stdin line 2 line 1: byte 0xE9 is not UTF-8")
    assert len(err.splitlines()) == 1


def test_csv_writes_every_line_of_every_bill(run, tmp_path):
    card = json.loads((ROOT / "examples" / "wvc-emergency-release.json").read_text())  # paid by card
    a, c = write(tmp_path, "a.json", card), write(tmp_path, "c.json", _other())
    code, out, err, _ = run("bill", a, c, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["request_id"] for r in rows} == {"R-100", "C-78"}
    for path in (a, c):
        bill = json.loads(run("bill", path)[1])
        mine = [r for r in rows if r["source"] == str(path)]
        assert len(mine) == len(bill["lines"])
        for party, total in (("vendor", "vendor_total"), ("officer", "officer_pay_total"), ("city", "city_total")):
            assert sum(Decimal(r["amount"]) for r in mine if r["party"] == party) == Decimal(bill[total]), party
    code, out, err, _ = run("bill", write(tmp_path, "bad.json", "{"), "--format", "csv")
    assert code == 2 and out == ""
