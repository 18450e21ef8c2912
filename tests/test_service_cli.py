"""``offduty service ...`` from the command line: tokens, the roster, replay under a proposed
spec, and refusals as one line with exit 2 (SQLite files; the API tests cover PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.service_support import bearer

ROOT = Path(__file__).resolve().parents[1]
OFFDUTY = str(Path(sys.executable).with_name("offduty"))
ROSTER = str(ROOT / "examples" / "roster-chandler.csv")


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([OFFDUTY, *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    done = run("service", "import-roster", "--db", url, ROSTER)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imported 11 officers")
    return url


@pytest.mark.parametrize("args, field", [
    (["--role", "sheriff", "--agency", "chandler-az"], "--role"),
    (["--role", "officer", "--agency", "chandler-az"], "--badge"),
    (["--role", "vendor", "--agency", "chandler-az"], "--vendor"),
    (["--role", "vendor", "--agency", "nowhere-xx", "--vendor", "V"], "nowhere-xx"),
    (["--role", "coordinator"], "--agency"),
])
def test_add_user_refuses_in_one_line(db, args, field):
    done = run("service", "add-user", "--db", db, *args)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and field in done.stderr


def test_add_user_prints_a_token_that_is_not_stored(db, tmp_path):
    done = run("service", "add-user", "--db", db, "--role", "vendor", "--agency", "chandler-az", "--vendor", "V")
    token = done.stdout.strip()
    assert done.returncode == 0 and token.startswith("odt_")
    assert token.encode() not in (tmp_path / "live.db").read_bytes()


def test_a_bad_roster_or_database_is_one_line(tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_text("badge,agency,seniority_date\n117,chandler-az,2019-13-01\n")
    done = run("service", "import-roster", "--db", f"sqlite:///{tmp_path / 'x.db'}", str(bad))
    assert done.returncode == 2 and done.stdout == "" and "seniority_date" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    for url in ("mysql://localhost/x", "not a url", f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"):
        done = run("service", "migrate", "--db", url)
        assert done.returncode == 2 and done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr


def test_replay_under_a_proposal_prints_the_money_that_moves(db, tmp_path):
    from fastapi.testclient import TestClient

    from offduty_service.app import create_app
    from offduty_service.auth import add_user
    from tests.service_support import open_store

    store = open_store(db)
    with store.engine.begin() as conn:
        vendor = add_user(conn, "V", "vendor", "chandler-az", vendor="Desert Ridge Stadium")
        officer = add_user(conn, "117", "officer", "chandler-az", badge="117")
        operator = add_user(conn, "op", "operator", None)
    client = TestClient(create_app(store, poll_seconds=None))
    made = client.post("/api/v1/requests", headers=bearer(vendor),
                       json={"category": "special_event", "start": "2027-06-02T18:00", "end": "2027-06-02T23:00"})
    rid = made.json()["id"]
    assert client.post(f"/api/v1/requests/{rid}/slots/0/accept", headers=bearer(officer)).json() == {"status": "awarded"}
    assert client.post("/api/v1/clock/advance", headers=bearer(operator), json={"hours": 64}).status_code == 200

    same = run("service", "replay", "--db", db, "--spec", "offduty_plugins.agencies.chandler_az")
    assert same.returncode == 0, same.stderr
    assert same.stdout.splitlines()[-1] == "no money moves"

    proposal = tmp_path / "proposal.py"
    source = (ROOT / "plugins" / "agencies" / "chandler_az.py").read_text()
    proposal.write_text(source.replace('total="83.28", share="75.03"', 'total="85.00", share="76.58"'))
    moved = run("service", "replay", "--db", db, "--spec", str(proposal))
    assert moved.returncode == 0, moved.stderr
    lines = moved.stdout.splitlines()
    assert lines[0] == "chandler-az: 1 settled jobs re-priced under the proposal"
    # 5 h of regular time (+8.60) and the workers' comp line unchanged: 430.30 -> 438.90
    assert "vendor Desert Ridge Stadium: 430.30 -> 438.90 (+8.60)" in lines
    regular = [line.strip() for line in lines if "[chandler-az:rate.regular]" in line]
    assert any(line.startswith("~ vendor slot 0") and line.endswith("5.00 h x 83.28 = 416.40 -> 5.00 h x 85.00 = 425.00 (+8.60)")
               for line in regular), regular
    assert any(line.startswith("payroll week of 2027-05-31, officer 117: 375.15 -> 382.90") for line in lines)


def test_replay_refuses_a_proposal_that_does_not_load(db, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('half-written')\n")
    for spec in (str(broken), "no_such_module_xyz", str(tmp_path / "missing.py")):
        done = run("service", "replay", "--db", db, "--spec", spec)
        assert done.returncode == 2 and done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr


def test_serve_refuses_a_port_in_use_before_touching_the_database(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("serve", "--db", f"sqlite:///{tmp_path / 'live.db'}", "--port", str(port))
    assert done.returncode == 2 and done.stdout == "" and len(done.stderr.splitlines()) == 1
    assert "--port" in done.stderr and str(port) in done.stderr
    assert not (tmp_path / "live.db").exists()


def test_reading_commands_refuse_a_database_that_holds_no_program(tmp_path):
    typo = tmp_path / "typo.db"
    for args in (["service", "export-history"], ["service", "replay", "--spec", "offduty_plugins.agencies.chandler_az"]):
        done = run(*args, "--db", f"sqlite:///{typo}")
        assert done.returncode == 2 and done.stdout == "" and "holds no offduty program" in done.stderr
        assert len(done.stderr.splitlines()) == 1
    assert not typo.exists()  # and nothing was created


def test_import_users_adds_all_or_none_and_prints_each_token(db, tmp_path):
    good = tmp_path / "users.csv"
    good.write_text("role,agency,badge,vendor,name\nofficer,chandler-az,117,,Pat Alvarez\n"
                    "vendor,chandler-az,,Desert Ridge Stadium,\n")
    done = run("service", "import-users", "--db", db, str(good))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "name,role,agency,badge,vendor,token" and len(lines) == 3
    assert lines[1].startswith("Pat Alvarez,officer,chandler-az,117,,odt_")
    bad = tmp_path / "bad.csv"
    bad.write_text("role,agency,badge\nofficer,chandler-az,119\nofficer,chandler-az,\n")
    done = run("service", "import-users", "--db", db, str(bad))
    assert done.returncode == 2 and done.stdout == "" and len(done.stderr.splitlines()) == 1
    assert "line 3, badge" in done.stderr
    from sqlalchemy import create_engine, text
    with create_engine(db).connect() as conn:  # line 2 was not kept either
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 2
