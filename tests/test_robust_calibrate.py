"""``offduty calibrate``: the reproducers of issue 13, each refused in one line that lists
every bad cell (the first 50 and the count), before any fitting or writing."""

from __future__ import annotations

from offduty_core.limits import MAX_PROBLEMS
from robust_helpers import HISTORY, refused, run, write  # noqa: F401 - run is a fixture

HEAD = "request_id,vendor,category,received_at,start,end,officers\n"


def row(rid: str = "a", officers: str = "1", start: str = "2027-01-02T10:00-07:00",
        end: str = "2027-01-02T12:00-07:00", received: str = "2027-01-01T10:00-07:00") -> str:
    return f"{rid},v,security,{received},{start},{end},{officers}\n"


def test_every_bad_cell_is_reported_not_only_the_first(run, tmp_path):
    text = HEAD + row("a", "\u00b2") + row("b", "99999999999999999999999") + row("c", start="0001-01-01T00:00+05:00") \
        + row("d", end="2027-01-02T09:00-07:00") + row("a")
    line = refused(run("calibrate", write(tmp_path, "h.csv", text), "--out", tmp_path / "x.toml"), "5 problems")
    for says in ("line 2, officers: '²'", "line 3, officers: '99999999999999999999999'",
                 "line 4, start: '0001-01-01T00:00+05:00'", "years 1900 to 2200", "line 5, end:",
                 "line 6, request_id: 'a' already on line 2"):
        assert says in line, says
    assert not (tmp_path / "x.toml").exists()


def test_more_than_50_problems_are_counted(run, tmp_path):
    text = HEAD + "".join(row(str(i), "0") for i in range(80))
    line = refused(run("calibrate", write(tmp_path, "h.csv", text), "--out", tmp_path / "x.toml"), "80 problems")
    assert line.count("officers: '0'") == MAX_PROBLEMS and line.endswith("; and 30 more")


def test_a_history_that_is_not_utf8_is_refused(run, tmp_path):
    path = write(tmp_path, "h.csv", (HEAD + row()).replace("v,", "v\u00e9,", 1).encode("latin-1"))
    refused(run("calibrate", path, "--out", tmp_path / "x.toml"), "line 2: byte 0xE9 is not UTF-8")


def test_a_parser_message_stays_on_one_line(run, tmp_path):
    refused(run("calibrate", write(tmp_path, "h.csv", HEAD + '"a,b\n'), "--out", tmp_path / "x.toml"),
            "is not a readable CSV")


def test_an_unwritable_out_is_refused_before_fitting(run, tmp_path):
    refused(run("calibrate", HISTORY, "--out", tmp_path / "missing" / "x.toml"), "--out", "does not exist")
    refused(run("calibrate", HISTORY, "--out", tmp_path), "--out", "is a folder")


def test_crlf_and_a_bom_are_read_and_the_out_file_is_whole(run, tmp_path):
    text = "\ufeff" + HISTORY.read_text().replace("\n", "\r\n")
    code, out, err, _ = run("calibrate", write(tmp_path, "h.csv", text), "--out", tmp_path / "x.toml")
    assert code == 0, err
    assert (tmp_path / "x.toml").read_text().startswith("# Fitted by")
    assert {p.name for p in tmp_path.iterdir()} == {"h.csv", "x.toml"}  # no temporary file left


def test_times_outside_the_supported_years_are_refused_not_wrapped(run, tmp_path):
    refused(run("calibrate", write(tmp_path, "h.csv", HEAD + row(start="9999-12-31T23:00+05:00",
                                                                 end="9999-12-31T23:30+05:00")),
                "--out", tmp_path / "x.toml"), "line 2, start", "years 1900 to 2200")
