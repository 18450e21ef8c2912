"""The server-rendered pages: login, the vendor portal, the officer page, the coordinator
board, the agency admin page and the operator's clock.

Every action is a plain HTML form POST that calls the very function the JSON API runs for
it (:mod:`.api`), so a page and the API decide identically, and redirects back (303) with
the outcome as one line (a short-lived flash cookie).  ``static/app.js`` only makes that
quicker: it posts the form with ``fetch`` and swaps the page's ``<main>`` for the answer's;
without JavaScript the pages work the same.  Each page is scoped by the user's role exactly
as the API is; a visitor without a token is sent to ``/login``, a user of another role gets
403 in one line.
"""

from __future__ import annotations

import functools
import inspect
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, unquote, urlencode

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from offduty_core.days import month_key, week_key
from offduty_core.errors import OffdutyError

from . import api
from .auth import a_role, User, current_user, user_for_token
from .errors import ApiError
from .program import Program
from .store import Store, request_view
from .views import not_offered, open_shifts

router = APIRouter(include_in_schema=False)

HERE = Path(__file__).parent
STATIC = HERE / "static"
COOKIE = "offduty_token"
FLASH = "offduty_flash"

#: Where each role lands after logging in.
HOME = {"vendor": "/vendor", "officer": "/officer", "coordinator": "/coordinator", "agency_admin": "/admin",
        "operator": "/operator", "auditor": "/auditor"}

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _when(text: str | None) -> str:
    """A local ISO time as people read it: ``Sun 20 Jun 2027 18:00``."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment.strftime("%a %d %b %Y %H:%M")


def _span(start: str | None, end: str | None) -> str:
    """``Sun 20 Jun 2027 18:00–23:00`` (the end's date too when it is another day)."""
    if not start or not end:
        return _when(start or end)
    a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
    return f"{_when(start)}–{b:%H:%M}" if a.date() == b.date() else f"{_when(start)} – {_when(end)}"


_env.filters["when"] = _when
_env.globals["span"] = _span


# --- plumbing -------------------------------------------------------------------------------


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())[:300]


def _store(request: Request) -> Store:
    return request.app.state.store


def _user(request: Request) -> User | None:
    """The cookie's user (None: not logged in, or a token no longer valid)."""
    try:
        return current_user(request, None)
    except ApiError:
        return None


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def _render(request: Request, template: str, user: User | None, status: int = 200, **context: Any) -> HTMLResponse:
    store = _store(request)
    now = store.read(lambda program, conn: store.clock.now(conn))
    tz = timezone.utc
    if user is not None and user.agency:
        tz = store.registry.rules(user.agency).info.tz
    flash = unquote(request.cookies.get(FLASH, "")) if template != "login.html" else ""
    kind, _, line = flash.partition(":")
    html = _env.get_template(template).render(
        user=user, home=HOME.get(user.role, "/") if user else "/login",
        now=now.astimezone(tz).strftime("%a %d %b %Y %H:%M %Z"), manual=store.clock.manual,
        flash={"kind": kind, "line": line} if line else None, **context)
    response = HTMLResponse(html, status_code=status, headers=_headers())
    if flash:
        response.delete_cookie(FLASH, path="/")
    return response


def _back(to: str, kind: str, line: str) -> RedirectResponse:
    """303 back to ``to`` with ``line`` to show there once (``kind``: ok or error)."""
    response = RedirectResponse(to, status_code=303, headers=_headers())
    response.set_cookie(FLASH, quote(f"{kind}:{_one_line(line)}"), max_age=60, path="/", httponly=True,
                        samesite="strict")
    return response


def _gate(request: Request, *roles: str) -> User | Response:
    """The user if its role may see this page; else the login page (303) or a 403 page."""
    user = _user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if user.role not in roles:
        return _render(request, "refused.html", user, status=403,
                       line=f"{a_role(user.role)} may not open this page (it is for: {', '.join(roles)})")
    return user


def _for(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make the page or form handler below one for users of ``roles``: it is called with the user
    as its ``user`` argument, and anyone else gets :func:`_gate`'s answer (the login page or 403)."""
    def gated(handler: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(handler):
            async def endpoint(request: Request, **params: Any) -> Any:
                user = _gate(request, *roles)
                return await handler(request, user, **params) if isinstance(user, User) else user
        else:
            def endpoint(request: Request, **params: Any) -> Any:
                user = _gate(request, *roles)
                return handler(request, user, **params) if isinstance(user, User) else user
        functools.update_wrapper(endpoint, handler)
        signature = inspect.signature(handler, eval_str=True)  # FastAPI reads the parameters off it
        endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[param for param in signature.parameters.values() if param.name != "user"])
        return endpoint
    return gated


def _act(to: str, call: Callable[[], Any], ok: Callable[[Any], str]) -> RedirectResponse:
    """Run the API's function ``call`` and go back to ``to`` with its outcome in one line."""
    try:
        response = call()
    except ApiError as exc:
        return _back(to, "error", exc.message)
    except OffdutyError as exc:
        return _back(to, "error", str(exc))
    except Exception as exc:  # noqa: BLE001 - a page shows one line, never a traceback
        return _back(to, "error", f"that could not be done ({type(exc).__name__}: {exc})")
    body = response
    if isinstance(response, Response):
        body = json.loads(response.body or b"null")
        if response.status_code >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            return _back(to, "error", error or f"refused ({response.status_code})")
    return _back(to, "ok", ok(body))


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


# --- login ----------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def root(request: Request):
    user = _user(request)
    return RedirectResponse(HOME.get(user.role, "/login") if user else "/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request):
    return _render(request, "login.html", _user(request), error=None)


@router.post("/login")
async def login(request: Request):
    token = (await _form(request)).get("token", "").strip()
    store = _store(request)
    user = None
    if token:
        with store.engine.connect().execution_options(write=False) as conn:
            with conn.begin():
                user = user_for_token(conn, token)
    if user is None:
        return _render(request, "login.html", None, status=401,
                       error="this token is not valid (offduty service add-user makes one)")
    response = RedirectResponse(HOME.get(user.role, "/"), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return response


@router.api_route("/logout", methods=["GET", "POST"])
def logout(request: Request):
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/static/{name}")
def static(name: str):
    files = {p.name: p for p in STATIC.iterdir() if p.is_file()}
    if name not in files:
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(files[name], headers={"Cache-Control": "max-age=300"})


# --- the vendor portal ----------------------------------------------------------------------


def _vendor_lines(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    return [line for line in invoice["bill"].get("lines", []) if line.get("party") == "vendor"]


@router.get("/vendor", response_class=HTMLResponse)
@_for("vendor")
def vendor_page(request: Request, user: User):
    store = _store(request)
    rules = store.registry.rules(user.agency)
    categories = sorted(c for c in rules.categories if c not in rules.prohibited)
    requests = api.list_requests(user=user, store=store)
    requests.sort(key=lambda v: v["id"], reverse=True)
    invoices = api.invoices(user=user, store=store)
    for inv in invoices:
        inv["lines"] = _vendor_lines(inv)
    return _render(request, "vendor.html", user, categories=categories, requests=requests, invoices=invoices,
                   agency_title=rules.info.title)


@router.post("/vendor/requests")
@_for("vendor")
async def vendor_submit(request: Request, user: User):
    form = await _form(request)
    try:
        officers = int(form.get("officers") or 1)
    except ValueError:
        return _back("/vendor", "error", f"officers: {form.get('officers')!r} is not a whole number")
    body: dict[str, Any] = {"category": form.get("category", ""), "start": form.get("start", ""),
                            "end": form.get("end", ""), "positions": {"officer": officers},
                            "vehicle": form.get("vehicle") in ("on", "yes", "true", "1")}
    if form.get("site", "").strip():
        body["site"] = form["site"].strip()
    if form.get("reference", "").strip():
        body["id"] = form["reference"].strip()  # the API keeps a body's id as the vendor's reference
    return _act("/vendor", lambda: api.submit_request(request_data=body, user=user, store=_store(request),
                                                      idempotency_key=None),
                lambda view: f"request {view['id']} is {view['status']}")


@router.post("/vendor/requests/{request_id}/cancel")
@_for("vendor")
def vendor_cancel(request: Request, user: User, request_id: str):
    return _act("/vendor", lambda: api.cancel_request(request_id, body={}, user=user, store=_store(request),
                                                      idempotency_key=None),
                lambda view: f"request {request_id} is {view['status']}")


# --- the officer page -----------------------------------------------------------------------


@router.get("/officer", response_class=HTMLResponse)
@_for("officer")
def officer_page(request: Request, user: User):
    store = _store(request)
    mine = api.shifts_mine(user=user, store=store)
    mine.sort(key=lambda s: (s["start"], s["request_id"], s["slot"]))
    shifts, barred = store.read(lambda program, conn: (open_shifts(program, user.badge),
                                                       not_offered(program, user.badge)))
    return _render(request, "officer.html", user, open=shifts, mine=mine, barred=barred)


_OFFICER_ACTS = {"accept": api.accept, "decline": api.decline, "drop": api.drop}
_OFFICER_DONE = {"awarded": "the shift is yours", "applied": "you applied; the award comes when the window closes",
                 "dropped": "you dropped the shift", "declined": "you declined the offer",
                 "clocked_in": "clocked in", "clocked_out": "clocked out"}


@router.post("/officer/shifts/{request_id}/{slot}/{action}")
@_for("officer")
def officer_act(request: Request, user: User, request_id: str, slot: int, action: str):
    store = _store(request)
    if action in _OFFICER_ACTS:
        def call():
            return _OFFICER_ACTS[action](request_id, slot, user=user, store=store, idempotency_key=None)
    elif action in ("clock-in", "clock-out"):
        fn = api.clock_in if action == "clock-in" else api.clock_out

        def call():
            return fn(request_id, slot, body={}, user=user, store=store, idempotency_key=None)
    else:
        return _back("/officer", "error", f"{action!r} is not something an officer does")
    return _act("/officer", call,
                lambda body: f"{request_id} slot {slot}: {_OFFICER_DONE.get(body.get('status'), body.get('status'))}")


# --- the coordinator board ------------------------------------------------------------------


def _unfilled(program: Program, user: User) -> list[dict[str, Any]]:
    """Open shifts of the requests ``user`` sees, soonest start first."""
    out = []
    for rid, job in program.board.jobs.items():
        view = request_view(program, rid)
        if view is None or not user.sees_request(view, program) or view["status"] in ("settled", "cancelled"):
            continue
        for st in job.slots:
            if st.status != "open":
                continue
            posting = st.posting
            out.append({"request_id": rid, "slot": st.slot.index, "role": st.slot.role, "agency": job.agency,
                        "vendor": job.request.vendor, "category": job.request.category,
                        "start": view["slots"][st.slot.index]["start"], "end": view["slots"][st.slot.index]["end"],
                        "at": st.shift.start,
                        "method": posting.method.name if posting is not None else "",
                        "posted": posting is not None and posting.is_open,
                        "applicants": len(posting.applicants) if posting is not None else 0})
    out.sort(key=lambda s: (s["at"], s["request_id"], s["slot"]))
    return out


@router.get("/coordinator", response_class=HTMLResponse)
@_for("coordinator", "agency_admin", "operator")
def coordinator_page(request: Request, user: User):
    store = _store(request)

    def read(program: Program, conn):
        badges = sorted((o for o in program.roster if user.role == "operator" or o.agency == user.agency),
                        key=lambda o: o.badge)
        return _unfilled(program, user), [(o.badge, getattr(o, "name", "") or "") for o in badges]
    shifts, officers = store.read(read)
    return _render(request, "coordinator.html", user, shifts=shifts, officers=officers)


@router.post("/coordinator/assign")
@_for("coordinator", "agency_admin", "operator")
async def coordinator_assign(request: Request, user: User):
    form = await _form(request)
    rid = form.get("request_id", "")
    try:
        slot = int(form.get("slot", ""))
    except ValueError:
        return _back("/coordinator", "error", "slot: give the slot's number")
    body = {"badge": form.get("badge", "").strip(), "reason": form.get("reason", "")}
    return _act("/coordinator", lambda: api.assign(rid, slot, body=body, user=user, store=_store(request),
                                                   idempotency_key=None),
                lambda answer: f"{rid} slot {slot} assigned to badge {answer.get('badge')}")


# --- the agency admin page ------------------------------------------------------------------


def _fill_report(program: Program, user: User, agency: str) -> dict[str, Any]:
    counts = {"requests": 0, "refused": 0, "filled": 0, "unfilled": 0, "open": 0, "cancelled": 0, "other": 0}
    for rid in program.agency_of:
        view = request_view(program, rid)
        if view is None or view["agency"] != agency or not user.sees_request(view, program):
            continue
        counts["requests"] += 1
        if view["status"] == "refused":
            counts["refused"] += 1
        for s in view["slots"]:
            key = s["status"] if s["status"] in counts else ("filled" if s["status"] == "no_show" else "other")
            counts[key] += 1
    decided = counts["filled"] + counts["unfilled"] + counts["open"]
    counts["fill_rate"] = f"{100 * counts['filled'] / decided:.0f} %" if decided else "–"
    return counts


def _cap_report(program: Program, agency: str, now: datetime) -> dict[str, Any]:
    """Hours booked per officer of ``agency`` in the local week and month holding ``now``
    (the board's book: history, shifts held and worked), beside the agency's caps."""
    book = program.board.book
    caps = book.caps.get(agency)
    week_start = caps.week_start if caps is not None else 0
    tz = program.registry.rules(agency).info.tz
    today = now.astimezone(tz).date()
    wk, mk = week_key(today.toordinal(), week_start), month_key(today)
    first = date.fromordinal(wk * 7 + 1 + week_start)
    rows = []
    for officer in sorted((o for o in program.roster if o.agency == agency), key=lambda o: o.badge):
        week = book.week_secs.get((officer.badge, wk), 0) / 3600
        month = book.month_secs.get((officer.badge, mk), 0) / 3600
        rows.append({"badge": officer.badge, "name": getattr(officer, "name", "") or "",
                     "week": f"{week:g}", "month": f"{month:g}",
                     "over_week": caps is not None and caps.weekly is not None and week > float(caps.weekly),
                     "over_month": caps is not None and caps.monthly is not None and month > float(caps.monthly)})
    return {"rows": rows, "week_from": first, "week_to": first + timedelta(days=6), "month": f"{today:%B %Y}",
            "weekly": caps.weekly if caps is not None else None, "monthly": caps.monthly if caps is not None else None}


@router.get("/admin", response_class=HTMLResponse)
@_for("agency_admin", "operator")
def admin_page(request: Request, user: User, agency: str | None = None):
    store = _store(request)
    agencies = list(store.registry.names()) if user.role == "operator" else [user.agency]
    agency = user.agency or (agency if agency in agencies else agencies[0])
    terms = store.registry.rules(agency).terms

    def read(program: Program, conn):
        now = store.clock.now(conn)
        return now, _fill_report(program, user, agency), _cap_report(program, agency, now)
    now, fill, cap = store.read(read)
    tz = store.registry.rules(agency).info.tz
    today = now.astimezone(tz).date()
    this_week = today - timedelta(days=(today.weekday() - terms.payroll_week_start) % 7)
    weeks = []
    for first in (this_week - timedelta(days=7), this_week):
        query = {"week": first.isoformat()}
        if user.role == "operator":
            query["agency"] = agency
        weeks.append((first, "/api/v1/payroll.csv?" + urlencode(query)))
    return _render(request, "admin.html", user, agency=agency, agencies=agencies, fill=fill, cap=cap, weeks=weeks,
                   agency_title=store.registry.rules(agency).info.title)


# --- the operator ---------------------------------------------------------------------------


@router.get("/operator", response_class=HTMLResponse)
@_for("operator")
def operator_page(request: Request, user: User):
    store = _store(request)
    now = store.read(lambda program, conn: store.clock.now(conn))
    return _render(request, "operator.html", user, agencies=list(store.registry.names()),
                   utc=now.astimezone(timezone.utc).isoformat(timespec="minutes"))


@router.post("/operator/clock")
@_for("operator")
async def operator_clock(request: Request, user: User):
    form = await _form(request)
    body: dict[str, Any]
    if form.get("to", "").strip():
        body = {"to": form["to"].strip()}
    else:
        try:
            body = {"hours": float(form.get("hours", "").strip())}
        except ValueError:
            return _back("/operator", "error", "hours: give a number of hours, or a time to move to")
    return _act("/operator", lambda: api.clock_advance(body=body, user=user, store=_store(request)),
                lambda answer: f"the clock is now {answer['now']} ({answer.get('records', 0)} records made)")


# --- the auditor ------------------------------------------------------------------------------


@router.get("/auditor", response_class=HTMLResponse)
@_for("auditor")
def auditor_page(request: Request, user: User):
    return _render(request, "auditor.html", user)
