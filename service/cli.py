"""``offduty serve`` and ``offduty service ...``: run a live program, and manage its users,
roster and history from the command line.

Only argparse is imported here: the service's libraries (FastAPI, SQLAlchemy, Alembic,
uvicorn) come with the ``serve`` extra and are imported when a command runs, so a plain
install's ``offduty`` still starts, and says in one line what to install.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from offduty_core.cli import subcommand
from offduty_core.errors import InputError, OffdutyError


def _need_extra() -> None:
    try:
        import alembic  # noqa: F401
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ModuleNotFoundError as exc:
        raise OffdutyError(f"the live service needs {exc.name}, which is not installed: "
                           "pip install 'offduty[serve]' (from a checkout: pip install -e '.[serve]')") from None


def open_store(url: str, registry, clock=None, create: bool = True):
    """The store of ``--db URL``, its schema migrated to the current revision.  ``create``
    False (commands that only read a program: export-history, replay): a database that holds
    no program is refused, so a mistyped URL is not answered with an empty one."""
    _need_extra()
    from .db import engine_for
    from .migrate import current_revision, migrate
    from .store import Store

    engine = engine_for(url)
    if not create:
        from pathlib import Path

        from sqlalchemy.engine import make_url

        parsed = make_url(url)  # engine_for has checked it
        missing = parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file())
        try:
            missing = missing or current_revision(engine) is None
        except Exception:  # noqa: BLE001 - cannot be reached: said below in one line
            missing = True
        if missing:
            raise InputError("--db", url, "holds no offduty program (check the URL; `offduty serve` or "
                                          "`offduty service import-roster` creates one)")
    try:
        migrate(engine)
    except Exception as exc:  # noqa: BLE001 - a database that cannot be reached or written
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            raise InputError("--db", url, f"cannot be opened ({' '.join(str(exc.orig or exc).split())[:200]})") from None
        raise
    return Store(engine, registry, clock)


def _start(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise InputError("--start", value, "give an ISO time with its offset, e.g. 2027-06-01T08:00:00-07:00") from None
    if start.tzinfo is None:
        raise InputError("--start", value, "give the time with its offset, e.g. 2027-06-01T08:00:00-07:00")
    return start


@subcommand("serve", "run a live program: the API at /api/v1, the pages, the poller and the outbox")
def configure_serve(parser: argparse.ArgumentParser):
    parser.add_argument("--db", required=True, help="database URL: sqlite:///offduty.db or postgresql://HOST:PORT/DB")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--clock", choices=("system", "manual"), default="system",
                        help="system (default), or manual: time moves only by POST /api/v1/clock/advance")
    parser.add_argument("--start", help="with --clock manual: the clock's first time (ISO with offset; default now)")
    parser.add_argument("--outbox", default="offduty-outbox.log",
                        help="file the default sender appends notifications to (default offduty-outbox.log)")
    parser.add_argument("--sender", help="module:function that sends a notification instead (e.g. by email)")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between the poller's turns (default 2)")
    parser.add_argument("--allow-changed-rules", action="store_true",
                        help="start even when the log no longer replays to the records it wrote (an agency's rules "
                             "changed under a running program); logged invoices stay as billed")
    return run_serve


def _check_port(host: str, port: int) -> None:
    """Refuse, in one line and before the database is touched, a port that cannot be listened
    on (uvicorn would log an error and exit 3 after start-up)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise InputError("--host", host, "is not an address of this machine") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError("--port", port, f"cannot be listened on at {host} ({exc.strerror}); give another") from None


def run_serve(args: argparse.Namespace, registry) -> int:
    _need_extra()
    if not 0 < args.port < 65536:
        raise InputError("--port", args.port, "give a port from 1 to 65535")
    if args.poll <= 0:
        raise InputError("--poll", args.poll, "give a positive number of seconds")
    _check_port(args.host, args.port)
    from .outbox import load_sender, log_sender
    from .store import Clock

    store = open_store(args.db, registry, Clock(manual=args.clock == "manual", start=_start(args.start)))
    sender = load_sender(args.sender) if args.sender else log_sender(args.outbox)
    import uvicorn

    from .app import create_app

    app = create_app(store, poll_seconds=args.poll, sender=sender)
    # The log must replay to the records it wrote, or the service does not start (unless told).
    replayed, difference = store.verify(strict=not args.allow_changed_rules)
    if difference is not None:
        print(f"offduty serve: warning: {difference}; going on under the installed rules "
              "(--allow-changed-rules): logged invoices stay as billed", file=sys.stderr, flush=True)
    print(f"offduty serve: {args.db}, {replayed} inputs replayed, clock {args.clock}; "
          f"http://{args.host}:{args.port}/ (API /api/v1, OpenAPI /openapi.json)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


@subcommand("service", "manage a live program's database: users and tokens, the roster, history, replay")
def configure_service(parser: argparse.ArgumentParser):
    sub = parser.add_subparsers(dest="service_command", required=True, metavar="ACTION")

    def action(name: str, summary: str, run, description: str | None = None) -> argparse.ArgumentParser:
        """A ``service`` action: every one names its database."""
        p = sub.add_parser(name, help=summary, description=description or summary)
        p.add_argument("--db", required=True, help="database URL: sqlite:///offduty.db or postgresql://HOST:PORT/DB")
        p.set_defaults(action=run)
        return p

    p = action("add-user", "add a user and print its token (shown once)", run_add_user)
    p.add_argument("--role", required=True, help="operator, agency_admin, coordinator, officer, vendor, auditor")
    p.add_argument("--agency", help="the user's agency (every role but operator)")
    p.add_argument("--badge", help="an officer's badge")
    p.add_argument("--vendor", help="a vendor's name, as its requests give it")
    p.add_argument("--clients", help="a coordinator's vendors, separated by ';' (default: every vendor of its agency)")
    p.add_argument("--name", help="display name (default: the badge, vendor or role)")
    p = action("import-users", "add the users of a CSV file; print each with its token (CSV)", run_import_users,
               "add the users of a CSV file (columns role, agency, badge, vendor, name, clients; all or none) and "
               "print each with its new token as CSV")
    p.add_argument("file", metavar="FILE", help="users CSV")
    p = action("import-roster", "import a roster CSV (officers join or are updated; logged as an input)",
               run_import_roster)
    p.add_argument("file", metavar="FILE", help="roster CSV (see offduty roster validate)")
    p = action("export-history", "write the history CSV that offduty calibrate reads", run_export_history)
    p.add_argument("--agency", help="only this agency's requests")
    p.add_argument("--out", help="file to write (default: stdout)")
    p = action("replay", "re-price the settled jobs under a proposed agency spec; print the money diff", run_replay,
               "re-price every settled job of the live log under a proposed agency spec and print the money that "
               "moves: by vendor, then by request line and officer week")
    p.add_argument("--spec", required=True, help="the proposed agency plugin: a Python file or a module's import name")
    p.add_argument("--limit", type=int, default=200, help="at most this many difference lines (default 200)")
    action("migrate", "bring the database's schema to this version (serve does it too)", run_migrate)
    return lambda args, registry: args.action(args, registry)


def run_add_user(args: argparse.Namespace, registry) -> int:
    store = open_store(args.db, registry)
    from .auth import add_user

    name = args.name or args.badge or args.vendor or args.role
    with store.engine.begin() as conn:
        token = add_user(conn, name, args.role, args.agency, badge=args.badge, vendor=args.vendor, registry=registry,
                         clients=args.clients.split(";") if args.clients is not None else None)
    print(token)
    return 0


USER_COLUMNS = ("role", "agency", "badge", "vendor", "name", "clients")


def run_import_users(args: argparse.Namespace, registry) -> int:
    """Add every user of a CSV file (columns :data:`USER_COLUMNS`, ``role`` required) in one
    transaction, and print each with its token as CSV: every line is checked first, and a bad
    line (named with its line number) adds nobody."""
    import csv
    import io

    from offduty_core.limits import MAX_ROSTER_BYTES
    from offduty_core.readers import read_text

    text = read_text(args.file, "FILE", MAX_ROSTER_BYTES)
    reader = csv.DictReader(io.StringIO(text))
    unknown = [c for c in reader.fieldnames or () if c not in USER_COLUMNS]
    if not reader.fieldnames or "role" not in reader.fieldnames or unknown:
        raise InputError(f"{args.file} line 1", ",".join(reader.fieldnames or ()),
                         f"columns are {', '.join(USER_COLUMNS)} (role required)")
    rows = list(reader)
    store = open_store(args.db, registry)
    from .auth import add_user

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "role", "agency", "badge", "vendor", "token"])
    with store.engine.begin() as conn:  # all or nothing
        for line, row in enumerate(rows, start=2):
            cell = {k: (row.get(k) or "").strip() or None for k in USER_COLUMNS}
            name = cell["name"] or cell["badge"] or cell["vendor"] or cell["role"] or ""
            try:
                token = add_user(conn, name, cell["role"] or "", cell["agency"], badge=cell["badge"],
                                 vendor=cell["vendor"], registry=registry,
                                 clients=cell["clients"].split(";") if cell["clients"] else None)
            except InputError as exc:
                raise InputError(f"{args.file} line {line}, {exc.field.lstrip('-')}", exc.value, exc.allowed) from None
            writer.writerow([name, cell["role"], cell["agency"] or "", cell["badge"] or "", cell["vendor"] or "", token])
    sys.stdout.write(out.getvalue())
    return 0


def run_import_roster(args: argparse.Namespace, registry) -> int:
    from offduty_core.limits import MAX_ROSTER_BYTES
    from offduty_core.readers import read_text
    from offduty_core.roster_csv import parse_roster

    text = read_text(args.file, "FILE", MAX_ROSTER_BYTES)
    roster = parse_roster(text, args.file, agencies=registry.names())  # refused here, in one line, before logging
    store = open_store(args.db, registry)
    store.submit("roster", {"csv": text, "source": args.file}, actor="command line", role="operator",
                 agencies=roster.agencies)
    print(f"imported {len(roster)} officers ({', '.join(roster.agencies)}); "
          f"the program has {store.read(lambda program, conn: len(program.roster))}")
    return 0


def run_export_history(args: argparse.Namespace, registry) -> int:
    store = open_store(args.db, registry, create=False)
    from .history import history_csv

    text = store.read(lambda program, conn: history_csv(program, args.agency))
    if args.out:
        from pathlib import Path

        Path(args.out).write_text(text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def run_migrate(args: argparse.Namespace, registry) -> int:
    store = open_store(args.db, registry)
    from .migrate import current_revision

    print(json.dumps({"db": args.db, "revision": current_revision(store.engine)}))
    return 0


def run_replay(args: argparse.Namespace, registry) -> int:
    store = open_store(args.db, registry, create=False)
    from .replay import load_spec, replay_diff, settled_stories

    proposal = load_spec(args.spec)
    stories = store.read(lambda program, conn: settled_stories(conn, None))
    for line in replay_diff(stories, registry, proposal, limit=args.limit):
        print(line)
    return 0
