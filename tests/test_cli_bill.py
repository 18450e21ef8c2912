"""The ``offduty`` command line: ``bill`` (a file or ``-``), ``agencies``, ``check-agency``.

Most cases call ``offduty_core.cli.main`` in-process (fast); a few run the installed console
script with this interpreter to check the real exit code and streams.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest

from billing_helpers import CHANDLER, GRANTSVILLE, WVC, before, cancel, story
from offduty_core.cli import main

AMOUNT = re.compile(r"^-?\d+\.\d{2}$")
START, END4 = "2027-03-10T10:00", "2027-03-10T14:00"

# West Valley City, 4 h with a vehicle, 49 h notice (Emergency), released early, paid by card:
# 4 h x 85.50 = 342.00 (full shift), vehicle 4 x 1.14 = 4.56, subtotal 346.56,
# card 3 % = 10.3968 -> 10.40; vendor 356.96; officer 4 x 75.00 = 300.00; city 4 x 1.00 = 4.00;
# net 356.96 - 300.00 - 4.00 = 52.96.
WVC_STORY = story(WVC, START, END4, received_at=before(START, hours=49), vehicle=True, payment="card",
                  events=[{"type": "assign", "slot": 0, "officer": "117"},
                          {"type": "release", "slot": 0, "at": "2027-03-10T12:00"}])


def run_main(capsys, argv, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def console(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The installed ``offduty`` entry point, run with this interpreter."""
    return subprocess.run([sys.executable, "-c", "import sys; from offduty_core.cli import main; sys.exit(main())",
                           *args], input=stdin, capture_output=True, text=True, timeout=60)


def check_output(out: str) -> dict:
    data = json.loads(out)
    for key in ("request_id", "vendor_total", "officer_pay_total", "city_total", "operator_net", "lines", "ledger"):
        assert key in data, key
    for key in ("vendor_total", "officer_pay_total", "city_total", "operator_net"):
        assert AMOUNT.match(data[key]), (key, data[key])
    for line in data["lines"]:
        for key in ("party", "description", "hours", "rate", "amount", "rule"):
            assert key in line, (key, line)
        assert AMOUNT.match(line["amount"])
    for tx in data["ledger"]:
        assert sum(float(p["amount"]) for p in tx["postings"]) == pytest.approx(0)
    return data


def test_bill_file(tmp_path, capsys):
    path = tmp_path / "story.json"
    path.write_text(json.dumps(WVC_STORY))
    code, out, err = run_main(capsys, ["bill", str(path)])
    assert code == 0 and err == ""
    data = check_output(out)
    assert data["request_id"] == "R-1"
    assert (data["vendor_total"], data["officer_pay_total"], data["city_total"], data["operator_net"]) == \
        ("356.96", "300.00", "4.00", "52.96")  # see WVC_STORY
    vendor = sorted((l["rate"], l["hours"], l["amount"]) for l in data["lines"]
                    if l["party"] == "vendor" and l["rate"] is not None)
    assert vendor == [("1.14", "4.00", "4.56"), ("85.50", "4.00", "342.00")]
    card = [l for l in data["lines"] if l["party"] == "vendor" and l["rate"] is None]
    assert [l["amount"] for l in card] == ["10.40"]


def test_bill_stdin(capsys, monkeypatch):
    code, out, err = run_main(capsys, ["bill", "-"], stdin=json.dumps(WVC_STORY), monkeypatch=monkeypatch)
    assert code == 0 and err == ""
    assert check_output(out)["vendor_total"] == "356.96"


def test_bill_chandler_cancellation_shows_absorbed_pay(capsys, monkeypatch):
    data = story(CHANDLER, START, END4, events=[cancel(before(START, hours=24))])
    code, out, _ = run_main(capsys, ["bill", "-"], stdin=json.dumps(data), monkeypatch=monkeypatch)
    assert code == 0
    result = check_output(out)
    # 2 h x 75.03 = 150.06 + fee 4 x 8.25 = 33.00 -> 183.06; officer 3 x 75.03 = 225.09
    assert (result["vendor_total"], result["officer_pay_total"], result["operator_net"]) == \
        ("183.06", "225.09", "-42.03")
    absorbed = [p for tx in result["ledger"] for p in tx["postings"]
                if p["account"] == "expenses:absorbed-officer-pay"]
    assert [p["amount"] for p in absorbed] == ["75.03"]  # 225.09 - 150.06


BAD = [
    pytest.param(json.dumps(story(GRANTSVILLE, START, END4, received_at=before(START, hours=10))),
                 ["grantsville-ut", "24 h notice", "10 h"], id="grantsville-10h-notice"),
    pytest.param(json.dumps(story(CHANDLER, START, END4, category="polygraph")),
                 ["chandler-az", "polygraph"], id="chandler-prohibited"),
    pytest.param(json.dumps(story("lynnwood-wa", START, END4, events=[cancel(before(START, days=1), channel="phone")])),
                 ["lynnwood-wa", "writing", "phone"], id="lynnwood-phone-cancel"),
    pytest.param(json.dumps(story("lynnwood-wa", START, END4,
                                  events=[cancel(before(START, days=1), request_id="R-9")])),
                 ["lynnwood-wa", "R-9"], id="lynnwood-wrong-request-number"),
    pytest.param('{"agency": "west-valley-city-ut", "request": ', ["line", "JSON"], id="malformed-json"),
    pytest.param(json.dumps({**story(WVC, START, END4), "agency": "nowhere-zz"}), ["agency", "nowhere-zz"],
                 id="unknown-agency"),
    pytest.param(json.dumps({"agency": WVC, "request": {k: v for k, v in story(WVC, START, END4)["request"].items()
                                                         if k != "start"}}),
                 ["request.start", "required"], id="missing-start"),
    pytest.param(json.dumps(story(WVC, "2027-03-10T25:00", END4, received_at="2027-02-01T10:00")), ["request.start"], id="bad-time"),
    pytest.param(json.dumps(story(WVC, START, "2027-03-10T09:00")), ["request.end"], id="end-before-start"),
    pytest.param(json.dumps(story(WVC, START, END4, events=[{"type": "teleport"}])), ["events[0].type"],
                 id="unknown-event"),
    pytest.param(json.dumps(story(WVC, START, END4, events=[{"type": "release", "slot": 4, "at": "2027-03-10T12:00"}])),
                 ["events[0].slot"], id="slot-out-of-range"),
    pytest.param(json.dumps(story(WVC, START, END4, payment="bitcoin")), ["payment.method", "bitcoin"],
                 id="unknown-payment-method"),
    pytest.param(json.dumps(story(WVC, "2027-03-14T02:30", "2027-03-14T06:00")), ["request.start"],
                 id="time-skipped-by-dst"),
]


@pytest.mark.parametrize("text,words", BAD)
def test_bill_refused_or_malformed(capsys, monkeypatch, text, words):
    code, out, err = run_main(capsys, ["bill", "-"], stdin=text, monkeypatch=monkeypatch)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_bill_missing_file(capsys, tmp_path):
    code, out, err = run_main(capsys, ["bill", str(tmp_path / "nope.json")])
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "FILE" in err


def test_console_script_success_and_refusal():
    ok = console("bill", "-", stdin=json.dumps(WVC_STORY))
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["operator_net"] == "52.96"
    bad = console("bill", "-", stdin=json.dumps(story(GRANTSVILLE, START, END4, received_at=before(START, hours=10))))
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert len(bad.stderr.splitlines()) == 1
    assert "24 h notice" in bad.stderr and "10 h" in bad.stderr


def test_agencies(capsys):
    code, out, _ = run_main(capsys, ["agencies"])
    assert code == 0
    for name in ("lynnwood-wa", "grantsville-ut", "chandler-az", "west-valley-city-ut"):
        row = [l for l in out.splitlines() if l.startswith(name)]
        assert len(row) == 1, name
        assert "built-in" in row[0]
    assert "America/Phoenix" in out and "America/Los_Angeles" in out and "America/Denver" in out


def test_check_agency_chandler_reports_the_scribe_cent(capsys):
    code, out, _ = run_main(capsys, ["check-agency", "chandler-az"])
    assert code == 0
    scribe = [l for l in out.splitlines() if "scribe" in l.lower()]
    assert scribe, out
    text = " ".join(scribe)
    assert "66.65" in text
    assert "60.05" in text
    assert "1 cent" in text or "0.01" in text


def test_check_agency_unknown(capsys):
    code, out, err = run_main(capsys, ["check-agency", "nowhere-zz"])
    assert code == 2 and out == ""
    assert "nowhere-zz" in err
