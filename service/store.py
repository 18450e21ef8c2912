"""The service's write path: every input is logged, applied and answered in one transaction.

:meth:`Store.submit` is the one way to change the program.  Under the program's write lock
(``BEGIN IMMEDIATE`` on SQLite, an advisory lock per agency on PostgreSQL) it

1. catches the in-memory program up with inputs other processes logged (:meth:`catch_up`);
2. stamps the input with the server's time and applies it to the board;
3. appends it to ``inputs`` with the answer it got, and writes in the same transaction the
   records the board emitted and the read models they touch (the request and its slots,
   bookings, the invoice and ledger postings of a settled job, the pending wake-ups, the
   outbox).

A crash before the commit loses the whole input (the client saw no answer, and retries with
its idempotency key); after it, nothing is lost.  A program whose commit failed is rebuilt
from the log before its next use, so memory never holds what the log does not.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from offduty_core.board_records import Awarded, Billed, Offered, AlertSent, Record
from offduty_core.errors import InputError
from offduty_core.plugins import Registry

from . import tables as t
from .codec import local, record_json, story_json
from .db import lock_agencies
from .program import Program

Answer = tuple[int, Any]  # (HTTP status, JSON body)

#: The advisory locks a write takes on PostgreSQL.  Every agency on the roster shares the one
#: board (caps, rest and overlap span the jobs of every agency an officer works for), and the
#: log is one sequence, so a write holds the program's lock as well as its agencies': two
#: writers for two agencies would otherwise both read the log's end and append the same ``seq``.
PROGRAM_LOCKS = ("offduty program",)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Clock:
    """The service's time: the system clock, or (``manual``) a time kept in the database that
    moves only when an operator advances it."""

    def __init__(self, manual: bool = False, start: datetime | None = None):
        self.manual = manual
        self.start = start

    def now(self, conn: Connection) -> datetime:
        if not self.manual:
            return datetime.now(timezone.utc).replace(microsecond=0)
        row = conn.execute(select(t.clock.c.now).where(t.clock.c.id == 1)).first()
        if row is None:
            start = (self.start or datetime.now(timezone.utc)).replace(microsecond=0)
            conn.execute(insert(t.clock).values(id=1, now=iso(start)))
            return start.astimezone(timezone.utc)
        return from_iso(row[0])

    def set(self, conn: Connection, to: datetime) -> None:
        conn.execute(update(t.clock).where(t.clock.c.id == 1).values(now=iso(to)))


class Store:
    """The program in memory and its database; thread-safe (one writer at a time per process,
    one per program across processes)."""

    def __init__(self, engine: Engine, registry: Registry, clock: Clock | None = None,
                 settle_after: timedelta = timedelta(hours=24)):
        self.engine = engine
        self.registry = registry
        self.clock = clock or Clock()
        self.settle_after = settle_after
        self.program = Program(registry, settle_after)
        self._lock = threading.RLock()
        self._stale = False

    # --- the log ---------------------------------------------------------------------------

    def catch_up(self, conn: Connection) -> int:
        """Apply the inputs logged after the program's last one (by this process before a
        failed commit, or by another process); the number applied."""
        if self._stale:
            self.program = Program(self.registry, self.settle_after)
            self._stale = False
        rows = conn.execute(select(t.inputs.c.seq, t.inputs.c.kind, t.inputs.c.payload, t.inputs.c.at)
                            .where(t.inputs.c.seq > self.program.seq).order_by(t.inputs.c.seq)).all()
        for seq, kind, payload, at in rows:
            self.program.apply(seq, kind, json.loads(payload), from_iso(at))
        return len(rows)

    def verify(self, strict: bool = True) -> tuple[int, str | None]:
        """Replay the whole log into a fresh program and check that every input makes the very
        records its transaction wrote; the number of inputs replayed, and the first difference
        (None: none; with ``strict`` a difference is raised instead).

        ``offduty serve`` runs this at start.  A difference means the installed agency plugins
        (or offduty) no longer decide as they did when the log was written, so the program in
        memory would not be the one its invoices and payroll came from: it is refused in one
        line naming the first input that differs (``offduty service replay`` shows the money
        such a change moves)."""
        with self._lock:
            with self.engine.connect().execution_options(write=False) as conn:
                with conn.begin():
                    stored: dict[int, list] = {}
                    for seq, body in conn.execute(select(t.records.c.input_seq, t.records.c.body)
                                                  .order_by(t.records.c.id)):
                        stored.setdefault(seq, []).append(json.loads(body))
                    program = Program(self.registry, self.settle_after)
                    rows = conn.execute(select(t.inputs.c.seq, t.inputs.c.kind, t.inputs.c.payload, t.inputs.c.at)
                                        .order_by(t.inputs.c.seq)).all()
                    difference = None
                    for seq, kind, payload, at in rows:
                        made = [json.loads(json.dumps(self._record_body(program, r)))  # as read back
                                for r in program.apply(seq, kind, json.loads(payload), from_iso(at))]
                        if difference is None and made != stored.get(seq, []):
                            first = next((m, s) for m, s in zip(made + [None] * 9, stored.get(seq, []) + [None] * 9)
                                         if m != s)
                            difference = (f"input {seq} ({kind}) replays to records other than those logged "
                                          f"(logged {_brief(first[1])}, now {_brief(first[0])})")
                            if strict:
                                raise InputError("--db", f"input {seq} ({kind})", difference.partition(") ")[2] +
                                                 ": the agency rules changed since it was written? `offduty service "
                                                 "replay` shows the money; --allow-changed-rules starts anyway")
                    self.program, self._stale = program, False
                    return len(rows), difference

    def _record_body(self, program: Program, record: Record) -> dict[str, Any]:
        """A record as the ``records`` table holds it: JSON, instants in its agency's zone."""
        agency = program.agency_of.get(record.request_id)
        return record_json(record, self.registry.rules(agency).info.tz if agency else timezone.utc)

    def read(self, fn: Callable[[Program, Connection], Any]) -> Any:
        """``fn(program, conn)`` on the program caught up with the log (no write lock)."""
        with self._lock:
            with self.engine.connect().execution_options(write=False) as conn:
                with conn.begin():
                    self.catch_up(conn)
                    return fn(self.program, conn)

    def submit(self, kind: str, payload: Mapping[str, Any], *, actor: str, role: str,
               agencies: Iterable[str] = (), idempotency_key: str | None = None,
               evidence: Mapping[str, Any] | None = None,
               answer: Callable[[Program, list[Record]], Answer] | None = None,
               prepare: Callable[[Program, datetime], Mapping[str, Any]] | None = None) -> Answer:
        """Log and apply one input; its answer.

        ``prepare(program, at)``, when given, makes the payload from the caught-up program and
        the stamped time (a clock-out needs its clock-in).  ``answer(program, records)`` turns
        the records into the HTTP answer (default 200 with the records).  An input the board
        cannot take (:class:`InputError`) is not logged and its error is raised; wake-ups it
        ran first are logged as a ``tick``."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    with self.engine.begin() as conn:
                        result = self._submit(conn, kind, payload, actor, role, agencies, idempotency_key,
                                              evidence, answer, prepare)
                    break
                except IntegrityError:
                    # Another writer logged the same seq or job version first (it cannot under
                    # the program's lock, but a database is not to be trusted on that alone):
                    # nothing was committed, so rebuild and try once more.
                    self._stale = True
                    if attempt == 2:
                        raise
                except BaseException:
                    self._stale = True  # memory may hold what the log does not: rebuild next time
                    raise
            if isinstance(result, Exception):
                raise result  # after the commit of the wake-ups it ran, if any
            return result

    def _submit(self, conn, kind, payload, actor, role, agencies, idempotency_key, evidence, answer, prepare):
        lock_agencies(conn, PROGRAM_LOCKS + tuple(agencies))
        if idempotency_key is not None:
            row = conn.execute(select(t.inputs.c.response, t.inputs.c.kind, t.inputs.c.request_id)
                               .where(t.inputs.c.idempotency_key == idempotency_key)).first()
            if row is not None:
                if row.kind != kind or (payload.get("request_id") or row.request_id) != row.request_id:
                    return InputError("Idempotency-Key", idempotency_key.partition(":")[2],
                                      f"was used for another input ({row.kind} of {row.request_id}); "
                                      "a retry sends the same key with the same request, a new request a new key")
                done = json.loads(row.response)
                return done["status"], done["body"]
        self.catch_up(conn)
        program = self.program
        at = self.clock.now(conn)
        if program.now is not None and at < program.now:
            at = program.now
        if prepare is not None:
            try:
                payload = prepare(program, at)
            except Exception as exc:  # noqa: BLE001 - refused before anything was applied
                return exc
        seq = program.seq + 1
        try:
            records = program.apply(seq, kind, payload, at)
        except InputError as exc:
            if program.pending:  # wake-ups ran before the input failed: they are logged
                records, program.pending = program.pending, []
                self._log(conn, seq, "tick", {}, at, actor, role, None, None, (200, None), records)
                program.seq = seq
            return exc
        status, body = answer(program, records) if answer is not None else (200, None)
        self._log(conn, seq, kind, payload, at, actor, role, idempotency_key, evidence, (status, body), records)
        return status, body

    def _log(self, conn, seq, kind, payload, at, actor, role, key, evidence, response, records) -> None:
        program = self.program
        rid = payload.get("request_id") or (payload.get("request") or {}).get("id")
        agency = payload.get("agency") or (program.agency_of.get(rid) if rid else None)
        spec = None
        if agency is not None:
            rules = self.registry.rules(agency)
            digest = hashlib.sha256(repr(rules.spec).encode()).hexdigest()[:12]
            spec = f"{agency} {rules.source} spec:{digest}"
        conn.execute(insert(t.inputs).values(
            seq=seq, at=iso(at), kind=kind, agency=agency, request_id=rid,
            job_version=program.versions.get(rid) if rid else None, actor=actor, role=role,
            idempotency_key=key, spec_version=spec, payload=json.dumps(payload, sort_keys=True),
            evidence=json.dumps(evidence) if evidence else None,
            response=json.dumps({"status": response[0], "body": response[1]})))
        self._write_models(conn, seq, rid, records, at)

    # --- read models -----------------------------------------------------------------------

    def _write_models(self, conn: Connection, seq: int, rid: str | None, records: list[Record], at: datetime) -> None:
        program = self.program
        touched = {rid} if rid else set()
        rows, mail = [], []
        for record in records:
            r_id = record.request_id
            agency = program.agency_of.get(r_id)
            body = self._record_body(program, record)
            rows.append({"input_seq": seq, "agency": agency, "request_id": r_id, "slot": body.get("slot"),
                         "badge": body.get("badge"), "kind": record.kind, "at": iso(record.at),
                         "body": json.dumps(body)})
            touched.add(r_id)
            mail.extend(_notices(record, program, body))
        if rows:
            conn.execute(insert(t.records), rows)
        if mail:
            conn.execute(insert(t.outbox), [dict(m, input_seq=seq, created_at=iso(at), attempts=0) for m in mail])
        for r_id in touched:
            self._write_request(conn, seq, r_id, records)
        # The pending wake-ups of the jobs this input touched, and of those whose due rows have
        # now run (a wake-up that ran without a record, a method's window check, touched none).
        due = conn.execute(select(t.timers.c.request_id).where(t.timers.c.at <= iso(at))).scalars()
        refresh = {r for r in touched if r} | set(due)
        if refresh:
            conn.execute(delete(t.timers).where(t.timers.c.request_id.in_(sorted(refresh))))
            wakeups = program.board.wakeups(refresh)
            if wakeups:
                conn.execute(insert(t.timers), [_timer_row(w) for w in wakeups])

    def _write_request(self, conn: Connection, seq: int, rid: str, records: list[Record]) -> None:
        program = self.program
        view = request_view(program, rid)
        if view is None:
            return
        conn.execute(delete(t.requests).where(t.requests.c.request_id == rid))
        conn.execute(insert(t.requests).values(request_id=rid, agency=view["agency"], vendor=view["vendor"],
                                               status=view["status"], body=json.dumps(view), updated_seq=seq))
        job = program.board.jobs.get(rid)
        conn.execute(delete(t.bookings).where(t.bookings.c.request_id == rid))
        if job is None:
            return
        tz = job.rules.info.tz
        held = [{"request_id": rid, "slot": st.slot.index, "agency": job.agency, "badge": st.officer,
                 "start": local(st.shift.start, tz), "end": local(st.shift.end, tz),
                 "hours": str((st.shift.end - st.shift.start).total_seconds() / 3600)}
                for st in job.slots if st.status == "filled" and st.officer is not None]
        if held:
            conn.execute(insert(t.bookings), held)
        for record in records:
            if isinstance(record, Billed) and record.request_id == rid:
                self._write_invoice(conn, job, record)

    def _write_invoice(self, conn: Connection, job, record: Billed) -> None:
        tz = job.rules.info.tz
        story = story_json(job.agency, job.request, job.events, job.payment_method, tz)
        bill = record.bill
        conn.execute(insert(t.invoices).values(
            request_id=job.request.id, agency=job.agency, vendor=job.request.vendor, billed_at=iso(record.at),
            vendor_total=record.vendor_total, officer_pay_total=record.officer_pay_total,
            bill=json.dumps(bill.to_dict()), story=json.dumps(story)))
        postings = [{"request_id": job.request.id, "agency": job.agency, "date": tx.date.isoformat(),
                     "memo": tx.memo, "account": p.account, "amount": str(p.amount)}
                    for tx in bill.transactions for p in tx.postings]
        if postings:
            conn.execute(insert(t.ledger), postings)

    def advance(self, body: Mapping[str, Any], actor: str) -> dict[str, Any]:
        """Move the manual clock to ``body["to"]`` (an aware ISO time) or by ``body["hours"]``,
        and log a ``tick`` there: every wake-up due by then runs, in time order."""
        with self._lock:
            with self.engine.begin() as conn:
                lock_agencies(conn, PROGRAM_LOCKS)  # two operators advancing: the second sees the first's time
                now = self.clock.now(conn)
                if "to" in body:
                    try:
                        to = datetime.fromisoformat(str(body["to"]))
                    except ValueError:
                        raise InputError("to", body["to"], "give an ISO time with its offset") from None
                    if to.tzinfo is None:
                        raise InputError("to", body["to"], "give the time with its offset (+00:00)")
                elif isinstance(body.get("hours"), (int, float)) and not isinstance(body.get("hours"), bool):
                    if not 0 <= body["hours"] <= 24 * 366:
                        raise InputError("hours", body["hours"], "give 0 to 8,784 hours (a year)")
                    to = now + timedelta(hours=body["hours"])
                else:
                    raise InputError("body", dict(body), 'give {"to": ISO time} or {"hours": N}')
                if to < now:
                    raise InputError("to", to.isoformat(), f"the clock only moves forward; it is {now.isoformat()}")
                self.clock.set(conn, to)
        status, body = self.submit("tick", {}, actor=actor, role="operator",
                                   answer=lambda program, records: (200, {"records": len(records)}))
        return {"now": iso(to), **body}

    def tick_if_due(self, actor: str = "poller") -> bool:
        """The poller's turn: if a wake-up is due by the clock, claim it and log a ``tick``
        (on PostgreSQL the due rows are claimed ``FOR UPDATE SKIP LOCKED``, so two pollers
        never both tick for the same rows).  True if it ticked."""
        with self._lock:
            with self.engine.connect().execution_options(write=False) as conn:
                with conn.begin():
                    now = self.clock.now(conn)
                    due = select(t.timers.c.id).where(t.timers.c.at <= iso(now)).limit(1)
                    if conn.dialect.name == "postgresql":
                        due = due.with_for_update(skip_locked=True)
                    if conn.execute(due).first() is None:
                        return False
            self.submit("tick", {}, actor=actor, role="operator")
            return True

    # --- the database's own questions ---------------------------------------------------------

    def inputs_count(self) -> int:
        with self.engine.connect().execution_options(write=False) as conn:
            return conn.execute(select(func.count()).select_from(t.inputs)).scalar_one()


def request_view(program: Program, rid: str) -> dict[str, Any] | None:
    """The API's view of request ``rid``: ``{"id", "status", "slots": [{"slot", "status",
    "officer"}], ...}`` (None: no such request)."""
    board = program.board
    job = board.jobs.get(rid)
    if job is None:
        refused = board.refused.get(rid)
        if refused is None:
            return None
        agency = program.agency_of.get(rid, "")
        return {"id": rid, "status": "refused", "agency": agency, "vendor": program.vendors.get(rid, ""),
                "reason": refused.reason, "slots": []}
    tz = job.rules.info.tz
    request = job.request
    status = "settled" if job.status == "completed" else job.status
    # The shifts' times as they are now (a change of start moves them; the request keeps
    # what was first asked for).
    start, end = min(st.shift.start for st in job.slots), max(st.shift.end for st in job.slots)
    return {"id": rid, "reference": program.references.get(rid), "status": status, "agency": job.agency,
            "vendor": request.vendor,
            "category": request.category, "start": local(start, tz), "end": local(end, tz),
            "slots": [{"slot": st.slot.index, "role": st.slot.role, "status": st.status, "officer": st.officer,
                       "clocked": st.clocked,
                       "start": local(st.shift.start, tz), "end": local(st.shift.end, tz)} for st in job.slots],
            "vendor_total": str(job.bill.vendor_total) if job.bill is not None else None}


def _brief(body: dict[str, Any] | None) -> str:
    if body is None:
        return "nothing"
    shown = {k: v for k, v in body.items() if k not in ("at",)}
    return " ".join(f"{k}={v}" for k, v in shown.items())[:160]


def _timer_row(timer) -> dict[str, Any]:
    kind = type(timer).__name__
    job = getattr(timer, "job", None)
    posting = getattr(timer, "posting", None)
    if job is not None:
        rid, agency = job.request.id, job.agency
    else:
        rid, agency = posting.shift.request_id, posting.shift.agency
    st = getattr(timer, "st", None)
    slot = st.slot.index if st is not None else (posting.shift.slot if posting is not None else None)
    return {"at": iso(timer.at), "kind": kind, "agency": agency, "request_id": rid, "slot": slot}


def _notices(record: Record, program: Program, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Who is told of ``record`` (the outbox rows it makes)."""
    agency = program.agency_of.get(record.request_id)
    if isinstance(record, (Offered, Awarded)):
        return [{"agency": agency, "kind": record.kind, "recipient": f"badge:{record.badge}", "body": json.dumps(body)}]
    if isinstance(record, (AlertSent, Billed)):
        vendor = program.vendors.get(record.request_id, "")
        return [{"agency": agency, "kind": record.kind, "recipient": f"vendor:{vendor}", "body": json.dumps(body)}]
    return []
