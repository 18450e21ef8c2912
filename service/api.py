"""The JSON API, v1: what vendors, officers, staff and auditors do, each scoped by role.

Every write goes through :meth:`Store.submit` (logged, applied, answered in one transaction);
every read through :meth:`Store.read` (the program caught up with the log).  Errors are
``{"error": "<one line>"}``: 401 without a valid token, 403 for a role that may not do it,
404 for what the caller may not see (another vendor's request is 404, not 403, so its
existence is not disclosed), 409 when the rules refuse an answer (with the reason), 422 when
the input is malformed or the rules refuse a request.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from offduty_core.board_records import Applied, Awarded, Cancelled, Dropped, Refused, ResponseRefused, StartChanged
from offduty_core.payroll import weekly_payroll

from .auth import FINANCE, User, current_user, require
from .codec import local
from .errors import ApiError
from .program import Program
from .store import Store, request_view
from .views import audit_rows, invoice_rows, open_shifts, payroll_transactions

router = APIRouter(prefix="/api/v1")


def store_of(request: Request) -> Store:
    return request.app.state.store


def _visible(user: User, program: Program, rid: str) -> dict[str, Any]:
    """Request ``rid``'s view if ``user`` may see it, else 404 (whether or not it exists)."""
    view = request_view(program, rid)
    if view is None or not user.sees_request(view, program):
        raise ApiError(404, f"request {rid} is not one of yours")
    return shown(view, user)


def shown(view: dict[str, Any], user: User) -> dict[str, Any]:
    """``view`` as ``user`` may see it: without its money for those who see no finances."""
    if user.sees_money or "vendor_total" not in view:
        return view
    return {k: v for k, v in view.items() if k != "vendor_total"}


def reply(answer: tuple[int, Any]) -> JSONResponse:
    status, body = answer
    return JSONResponse(body, status_code=status)


def _key(idempotency_key: str | None, user: User) -> str | None:
    return f"{user.id}:{idempotency_key}" if idempotency_key else None


# --- vendors --------------------------------------------------------------------------------


@router.post("/requests", status_code=201)
def submit_request(request_data: dict[str, Any] = Body(..., description="the job story's request object, plus an "
                                                                          "optional payment: {\"method\": \"card\"}"),
                   user: User = Depends(current_user), store: Store = Depends(store_of),
                   idempotency_key: str | None = Header(None)):
    require(user, "vendor", "operator")
    body = dict(request_data)
    payment = body.pop("payment", None)
    if payment is not None and not isinstance(payment, dict):
        raise ApiError(422, "payment: give {\"method\": \"card\" | \"ach\" | \"check\"}")
    agency = user.agency or body.pop("agency", None)
    body.pop("agency", None)
    if not agency:
        raise ApiError(422, "agency: an operator's request names its agency")
    store.registry.rules(agency)  # an unknown agency is refused by name
    vendor = user.vendor or body.get("vendor")
    if user.vendor and body.get("vendor") not in (None, user.vendor):
        raise ApiError(422, f"request.vendor: {body['vendor']!r} is not you ({user.vendor})")
    body["vendor"] = vendor

    reference = body.pop("id", None)  # the vendor's own number: kept, shown, never used as the id
    if reference is not None and (not isinstance(reference, str) or not 0 < len(reference) <= 100):
        raise ApiError(422, "request.id: your own reference for the request, a string of 1 to 100 characters")

    def prepare(program: Program, at: datetime) -> dict[str, Any]:
        tz = store.registry.rules(agency).info.tz
        # The id is the service's, never the caller's: one vendor cannot take, block or probe
        # another's ids, and an id is always safe in a URL.
        request = dict(body, received_at=local(at, tz), id=program.next_request_id())
        out = {"agency": agency, "request": request}
        if reference is not None:
            out["reference"] = reference
        if payment is not None:
            out["payment"] = payment
        return out

    def answer(program: Program, records) -> tuple[int, Any]:
        rid = next(r.request_id for r in records if r.kind in ("Approved", "Refused"))
        refused = [r for r in records if isinstance(r, Refused) and r.request_id == rid]
        if refused:
            return 422, {"error": refused[0].reason, "id": rid}
        return 201, request_view(program, rid)

    return reply(store.submit("submit", {}, actor=user.name, role=user.role, agencies=[agency], prepare=prepare,
                        answer=answer, idempotency_key=_key(idempotency_key, user)))


@router.get("/requests/{request_id}")
def get_request(request_id: str, user: User = Depends(current_user), store: Store = Depends(store_of)):
    return store.read(lambda program, conn: _visible(user, program, request_id))


@router.get("/requests")
def list_requests(user: User = Depends(current_user), store: Store = Depends(store_of)):
    def read(program: Program, conn):
        views = (request_view(program, rid) for rid in program.agency_of)
        return [shown(v, user) for v in views if v is not None and user.sees_request(v, program)]
    return store.read(read)


def _vendor_change(kind: str, request_id: str, payload: dict[str, Any], user: User, store: Store,
                   idempotency_key: str | None):
    require(user, "vendor", "coordinator", "agency_admin", "operator")

    def prepare(program: Program, at: datetime) -> dict[str, Any]:
        _visible(user, program, request_id)  # checked under the write lock, in the write's own transaction
        return dict(payload, request_id=request_id)

    def answer(program: Program, records) -> tuple[int, Any]:
        refused = [r for r in records if isinstance(r, (Refused, ResponseRefused)) and r.request_id == request_id]
        if refused and not any(isinstance(r, (Cancelled, StartChanged)) for r in records):
            return 409, {"error": refused[0].reason}
        return 200, request_view(program, request_id)

    return reply(store.submit(kind, {"request_id": request_id}, actor=user.name, role=user.role, prepare=prepare,
                              answer=answer, idempotency_key=_key(idempotency_key, user)))


@router.post("/requests/{request_id}/cancel")
def cancel_request(request_id: str, body: dict[str, Any] = Body(default={}), user: User = Depends(current_user),
                   store: Store = Depends(store_of), idempotency_key: str | None = Header(None)):
    payload = {"channel": body.get("channel", "portal")}
    if body.get("slots") is not None:
        payload["slots"] = body["slots"]
    return _vendor_change("cancel", request_id, payload, user, store, idempotency_key)


@router.post("/requests/{request_id}/change-start")
def change_start(request_id: str, body: dict[str, Any] = Body(...), user: User = Depends(current_user),
                 store: Store = Depends(store_of), idempotency_key: str | None = Header(None)):
    for field in ("start", "end"):
        if not isinstance(body.get(field), str):
            raise ApiError(422, f"{field}: give the new local time, e.g. '2027-06-20T19:00'")
    payload = {k: body[k] for k in ("start", "end", "slots", "officer_accepts") if body.get(k) is not None}
    payload["channel"] = body.get("channel", "portal")
    return _vendor_change("change_start", request_id, payload, user, store, idempotency_key)


# --- officers -------------------------------------------------------------------------------


@router.get("/shifts/open")
def shifts_open(user: User = Depends(current_user), store: Store = Depends(store_of)):
    require(user, "officer")
    return store.read(lambda program, conn: open_shifts(program, user.badge))


@router.get("/shifts/mine")
def shifts_mine(user: User = Depends(current_user), store: Store = Depends(store_of)):
    require(user, "officer")

    def read(program: Program, conn):
        out = []
        for rid, job in program.board.jobs.items():
            tz = job.rules.info.tz
            for st in job.slots:
                if st.officer == user.badge:
                    clocked = program.clock_in_of(rid, st.slot.index)
                    out.append({"request_id": rid, "slot": st.slot.index, "status": st.status,
                                "start": local(st.shift.start, tz), "end": local(st.shift.end, tz),
                                "category": job.request.category, "vendor": job.request.vendor,
                                "clocked_in": local(clocked[1], tz) if clocked else None,
                                "settled": job.status == "completed"})
        return out
    return store.read(read)


def _officer_act(kind: str, request_id: str, slot: int, user: User, store: Store, idempotency_key: str | None,
                 evidence: dict[str, Any] | None = None):
    require(user, "officer")
    badge = user.badge
    payload = {"request_id": request_id, "slot": slot, "badge": badge}

    def prepare(program: Program, at: datetime) -> dict[str, Any]:
        # Checked under the write lock, in the write's own transaction (no read before it).
        job = program.board.jobs.get(request_id)
        if job is None or job.agency not in user.agencies_for_officer(program):
            raise ApiError(404, f"request {request_id} has no shift open to you")
        if not 0 <= slot < len(job.slots):
            raise ApiError(404, f"request {request_id} has no slot {slot}")
        if kind in ("drop", "clock_in", "clock_out"):
            job = program.board.jobs.get(request_id)
            st = job.slots[slot] if job is not None else None
            if st is None or st.officer != badge or st.status != "filled":
                raise ApiError(409, f"{request_id} slot {slot} is not yours")
        if kind == "clock_in" and program.clock_in_of(request_id, slot, badge) is not None:
            raise ApiError(409, f"you clocked in to {request_id} slot {slot} already")
        if kind == "clock_in" and (why := program.clock_in_refusal(job, st, at)) is not None:
            raise ApiError(409, why)
        if kind == "clock_out":
            held = program.clock_in_of(request_id, slot, badge)
            if held is None:
                raise ApiError(409, f"you have not clocked in to {request_id} slot {slot}")
            return dict(payload, clock_in=held[1].isoformat())
        return payload

    def answer(program: Program, records) -> tuple[int, Any]:
        mine = [r for r in records if getattr(r, "badge", None) == badge and r.request_id == request_id
                and getattr(r, "slot", None) == slot]
        for r in mine:
            if isinstance(r, Awarded):
                return 200, {"status": "awarded"}
            if isinstance(r, Applied):
                return 200, {"status": "applied"}
            if isinstance(r, Dropped):
                return 200, {"status": "dropped"}
            if isinstance(r, ResponseRefused):
                return 409, {"error": r.reason}
        if kind == "clock_in":
            return 200, {"status": "clocked_in"}
        if kind == "clock_out":
            return 200, {"status": "clocked_out"}
        if kind == "decline":
            return 200, {"status": "declined"}
        return 200, {"status": "received"}

    return reply(store.submit(kind, payload, actor=user.name, role=user.role, prepare=prepare,
                              answer=answer, evidence=evidence, idempotency_key=_key(idempotency_key, user)))


@router.post("/requests/{request_id}/slots/{slot}/accept")
def accept(request_id: str, slot: int, user: User = Depends(current_user), store: Store = Depends(store_of),
           idempotency_key: str | None = Header(None)):
    return _officer_act("accept", request_id, slot, user, store, idempotency_key)


@router.post("/requests/{request_id}/slots/{slot}/decline")
def decline(request_id: str, slot: int, user: User = Depends(current_user), store: Store = Depends(store_of),
            idempotency_key: str | None = Header(None)):
    return _officer_act("decline", request_id, slot, user, store, idempotency_key)


@router.post("/requests/{request_id}/slots/{slot}/drop")
def drop(request_id: str, slot: int, user: User = Depends(current_user), store: Store = Depends(store_of),
         idempotency_key: str | None = Header(None)):
    return _officer_act("drop", request_id, slot, user, store, idempotency_key)


@router.post("/requests/{request_id}/slots/{slot}/clock-in")
def clock_in(request_id: str, slot: int, body: dict[str, Any] = Body(default={}),
             user: User = Depends(current_user), store: Store = Depends(store_of),
             idempotency_key: str | None = Header(None)):
    evidence = {k: body[k] for k in ("device_time", "gps") if k in body} or None
    return _officer_act("clock_in", request_id, slot, user, store, idempotency_key, evidence)


@router.post("/requests/{request_id}/slots/{slot}/clock-out")
def clock_out(request_id: str, slot: int, body: dict[str, Any] = Body(default={}),
              user: User = Depends(current_user), store: Store = Depends(store_of),
              idempotency_key: str | None = Header(None)):
    evidence = {k: body[k] for k in ("device_time", "gps") if k in body} or None
    return _officer_act("clock_out", request_id, slot, user, store, idempotency_key, evidence)


# --- staff ------------------------------------------------------------------------------------


@router.post("/requests/{request_id}/slots/{slot}/assign")
def assign(request_id: str, slot: int, body: dict[str, Any] = Body(...), user: User = Depends(current_user),
           store: Store = Depends(store_of), idempotency_key: str | None = Header(None)):
    """A coordinator's manual assignment: it needs a reason, is checked for eligibility like
    any award, and is recorded with who made it."""
    require(user, "coordinator", "agency_admin", "operator")
    badge, reason = body.get("badge"), body.get("reason")
    if not isinstance(badge, str) or not badge:
        raise ApiError(422, "badge: name the officer to assign")
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(422, "reason: a manual assignment needs a reason")
    view = store.read(lambda program, conn: _visible(user, program, request_id))

    def answer(program: Program, records) -> tuple[int, Any]:
        for r in records:
            if isinstance(r, Awarded) and r.request_id == request_id and r.slot == slot:
                return 200, {"status": "awarded", "badge": r.badge}
            if isinstance(r, ResponseRefused) and r.request_id == request_id:
                return 409, {"error": r.reason}
        return 409, {"error": f"{request_id} slot {slot} was not assigned"}

    payload = {"request_id": request_id, "slot": slot, "badge": badge, "reason": reason.strip(), "actor": user.name}
    return reply(store.submit("assign", payload, actor=user.name, role=user.role, agencies=[view["agency"]],
                        answer=answer, idempotency_key=_key(idempotency_key, user)))


@router.post("/requests/{request_id}/slots/{slot}/no-show")
def no_show(request_id: str, slot: int, body: dict[str, Any] = Body(...), user: User = Depends(current_user),
            store: Store = Depends(store_of), idempotency_key: str | None = Header(None)):
    """Staff report that the slot's officer did not come (``{"reason": "..."}``): nothing is
    billed or paid for the slot.  A shift nobody reports and nobody clocks is billed as
    scheduled, as the agencies' sheets bill it; the request view's ``clocked`` shows which
    shifts have a clock record."""
    require(user, "coordinator", "agency_admin", "operator")
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(422, "reason: a no-show report needs a reason")
    view = store.read(lambda program, conn: _visible(user, program, request_id))

    def answer(program: Program, records) -> tuple[int, Any]:
        return 200, shown(request_view(program, request_id), user)

    payload = {"request_id": request_id, "slot": slot, "reason": reason.strip()}
    return reply(store.submit("no_show", payload, actor=user.name, role=user.role, agencies=[view["agency"]],
                              answer=answer, idempotency_key=_key(idempotency_key, user)))


@router.post("/requests/{request_id}/waive")
def waive(request_id: str, body: dict[str, Any] = Body(...), user: User = Depends(current_user),
          store: Store = Depends(store_of), idempotency_key: str | None = Header(None)):
    """Waive part of a billed job's balance (``{"amount": "25.00", "reason": "..."}``): an
    override, so it needs a reason and is recorded with who gave it; the invoice's lines stay
    the rules' and the waiver shows beside them."""
    require(user, "agency_admin", "operator")
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(422, "reason: a waiver needs a reason")
    view = store.read(lambda program, conn: _visible(user, program, request_id))

    def answer(program: Program, records) -> tuple[int, Any]:
        return 200, {"request_id": request_id, "waived": f"{program.waived(request_id):.2f}"}

    payload = {"request_id": request_id, "amount": str(body.get("amount")), "reason": reason.strip(),
               "actor": user.name}
    return reply(store.submit("waive", payload, actor=user.name, role=user.role, agencies=[view["agency"]],
                              answer=answer, idempotency_key=_key(idempotency_key, user)))


@router.get("/invoices")
def invoices(user: User = Depends(current_user), store: Store = Depends(store_of)):
    require(user, *FINANCE)
    return store.read(lambda program, conn: invoice_rows(conn, user, program))


@router.get("/payroll.csv", response_class=PlainTextResponse)
def payroll_csv(week: str = Query(..., description="the first day of the payroll week, YYYY-MM-DD"),
                agency: str | None = Query(None), user: User = Depends(current_user),
                store: Store = Depends(store_of)):
    require(user, "agency_admin", "operator")
    try:
        first = date.fromisoformat(week)
    except ValueError:
        raise ApiError(422, f"week: {week!r} is not a date (YYYY-MM-DD)") from None
    agency = user.agency or agency
    if not agency:
        raise ApiError(422, "agency: an operator names the agency (?agency=NAME)")
    terms = store.registry.rules(agency).terms
    runs = store.read(lambda program, conn: weekly_payroll(payroll_transactions(conn, agency), terms))
    run = next((r for r in runs if r.week_start == first), None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["agency", "week_start", "week_end", "pay_date", "badge", "amount"])
    if run is not None:
        for badge, amount in run.officers:
            writer.writerow([agency, run.week_start, run.week_end, run.pay_date, badge, f"{amount:.2f}"])
    elif not any(r.week_start == first for r in runs) and first.weekday() != terms.payroll_week_start:
        raise ApiError(422, f"week: {week} is not the first day of a payroll week for {agency}")
    return PlainTextResponse(out.getvalue(), media_type="text/csv")


@router.get("/audit")
def audit(after: int = Query(0, ge=0, le=2**63 - 1), limit: int = Query(200, ge=1, le=1000), user: User = Depends(current_user),
          store: Store = Depends(store_of)):
    require(user, "auditor", "operator")
    return store.read(lambda program, conn: audit_rows(conn, user, after, limit))


# --- the clock --------------------------------------------------------------------------------


@router.get("/clock")
def clock_now(user: User = Depends(current_user), store: Store = Depends(store_of)):
    return store.read(lambda program, conn: {"now": store.clock.now(conn).isoformat(), "manual": store.clock.manual})


@router.post("/clock/advance")
def clock_advance(body: dict[str, Any] = Body(...), user: User = Depends(current_user),
                  store: Store = Depends(store_of)):
    """Move a manual clock forward (``{"to": "2027-06-21T08:00:00+00:00"}`` or ``{"hours": 24}``)
    and run every wake-up due by then (windows closing, shifts starting, jobs settling and
    being billed), logged as one ``tick`` input."""
    require(user, "operator")
    if not store.clock.manual:
        raise ApiError(409, "the clock is the system's; start the service with --clock manual to move it")
    return store.advance(body, actor=user.name)
