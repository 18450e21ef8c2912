"""What the API and the pages show, read from the program or the read models, each scoped to
the user asking."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from offduty_core import ledger

from . import tables as t
from .codec import local
from .program import Program


def _open_postings(program: Program, badge: str | None):
    """``(officer, request id, job, slot state, posting, zone)`` for each open posting, with the
    officer of ``badge`` (nothing when the badge is not on the roster)."""
    board = program.board
    officer = board.roster.by_badge.get(badge) if badge else None
    if officer is None:
        return
    for rid, job in board.jobs.items():
        tz = job.rules.info.tz
        for st in job.slots:
            posting = st.posting
            if posting is not None and posting.is_open and st.status == "open":
                yield officer, rid, job, st, posting, tz


def _soonest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows.sort(key=lambda s: (s["start"], s["request_id"], s["slot"]))
    return rows


def open_shifts(program: Program, badge: str | None) -> list[dict[str, Any]]:
    """The shifts ``badge`` may take now, soonest first, each with the action it accepts
    (``accept``: first come or an offer held; ``apply``: a sign-up window or a bid)."""
    out = []
    for officer, rid, job, st, posting, tz in _open_postings(program, badge):
        if posting.mode != "first_come" and posting.pending not in (None, badge):
            continue  # an offer held by someone else
        if badge in posting.applicants or program.board.why_not(posting, officer) is not None:
            continue
        action = "accept" if posting.mode == "first_come" or posting.pending == badge else "apply"
        out.append({"request_id": rid, "slot": st.slot.index, "role": st.slot.role,
                    "start": local(st.shift.start, tz), "end": local(st.shift.end, tz),
                    "category": job.request.category, "vendor": job.request.vendor, "agency": job.agency,
                    "method": posting.method.name, "action": action,
                    "deadline": local(posting.deadline, tz) if posting.pending == badge else None})
    return _soonest(out)


def not_offered(program: Program, badge: str) -> list[dict[str, Any]]:
    """The open shifts ``badge`` may not take, each with the reason (the officer page shows why)."""
    out = []
    for officer, rid, job, st, posting, tz in _open_postings(program, badge):
        if posting.stage_of(officer) is None:
            continue  # another agency's shift, never meant for this officer: not a refusal to explain
        reason = program.board.why_not(posting, officer)
        if reason is not None:
            out.append({"request_id": rid, "slot": st.slot.index, "start": local(st.shift.start, tz),
                        "end": local(st.shift.end, tz), "category": job.request.category, "reason": str(reason)})
    return _soonest(out)


def invoice_rows(conn: Connection, user, program: Program | None = None) -> list[dict[str, Any]]:
    """The invoices ``user`` may see: a vendor its own, staff and auditors their agency's;
    with ``program``, each with what has been paid and waived, the balance, the due date (the
    bill's own invoice terms) and its status (``open``, ``paid``, ``overdue`` after the due
    date in the agency's zone)."""
    query = select(t.invoices).order_by(t.invoices.c.billed_at, t.invoices.c.request_id)
    if user.role != "operator":
        query = query.where(t.invoices.c.agency == user.agency)
    if user.role == "vendor":
        query = query.where(t.invoices.c.vendor == user.vendor)
    rows = [{"request_id": r.request_id, "agency": r.agency, "vendor": r.vendor, "billed_at": r.billed_at,
             "vendor_total": r.vendor_total, "officer_pay_total": r.officer_pay_total,
             "bill": json.loads(r.bill), "story": json.loads(r.story)} for r in conn.execute(query)]
    if program is not None:
        for row in rows:
            tz = program.registry.rules(row["agency"]).info.tz
            today = program.now.astimezone(tz).date() if program.now is not None else None
            paid, waived = program.paid(row["request_id"]), program.waived(row["request_id"])
            balance = Decimal(row["vendor_total"]) - paid - waived
            terms = (row["bill"].get("invoice") or {})  # the bill's own invoice terms: issued, due
            due = date.fromisoformat(terms["due"]) if terms.get("due") else None
            row.update(paid=f"{paid:.2f}", waived=f"{waived:.2f}", balance=f"{balance:.2f}",
                       due=due.isoformat() if due else None,
                       waivers=[{"amount": f"{a:.2f}", "reason": why, "by": who}
                                for a, why, who in program.waivers.get(row["request_id"], ())],
                       status="paid" if balance <= 0 else "overdue" if due and today is not None and today > due else "open")
    return rows


def payroll_transactions(conn: Connection, agency: str) -> list[ledger.Transaction]:
    """The agency's settled jobs' ledger transactions, rebuilt from the ledger read model."""
    rows = conn.execute(select(t.ledger).where(t.ledger.c.agency == agency).order_by(t.ledger.c.id)).all()
    grouped: dict[tuple, dict[str, Decimal]] = defaultdict(dict)
    order = []
    for r in rows:
        key = (r.request_id, r.date, r.memo)
        if key not in grouped:
            order.append(key)
        amounts = grouped[key]
        amounts[r.account] = amounts.get(r.account, Decimal(0)) + Decimal(r.amount)
    made = (ledger.transaction(date.fromisoformat(d), memo, grouped[(rid, d, memo)], ref=rid)
            for rid, d, memo in order)
    return [tx for tx in made if tx is not None]


def audit_rows(conn: Connection, user, after: int, limit: int) -> list[dict[str, Any]]:
    """The inputs log from ``after``, as the auditor reads it (scoped to its agency)."""
    query = select(t.inputs).where(t.inputs.c.seq > after).order_by(t.inputs.c.seq).limit(limit)
    if user.role != "operator":
        query = query.where(t.inputs.c.agency == user.agency)
    return [{"seq": r.seq, "at": r.at, "kind": r.kind, "agency": r.agency, "request_id": r.request_id,
             "job_version": r.job_version, "actor": r.actor, "role": r.role, "spec_version": r.spec_version,
             "payload": json.loads(r.payload), "evidence": json.loads(r.evidence) if r.evidence else None,
             "response": json.loads(r.response) if r.response else None} for r in conn.execute(query)]
