"""Who is asking: users, their roles and tokens.

A token is made by ``offduty service add-user`` and shown once; the database keeps only its
SHA-256, so a copy of the database gives no one a way in.  Every query a user's request makes
is scoped by the user's agency (and, for a vendor, its own name; for an officer, its badge).

Roles: ``operator`` (everything, every agency), ``agency_admin`` (its agency: reports,
payroll), ``coordinator`` (its agency's requests, or only its clients' when it has some, and
manual assignment; no finances), ``officer`` (the
shifts open to it, its own shifts), ``vendor`` (its own requests and invoices), ``auditor``
(read-only: the audit log, requests and invoices).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timezone
from typing import Any, Sequence

import attrs
from fastapi import Header, Request
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from offduty_core.errors import InputError

from . import tables as t
from .errors import ApiError

ROLES = ("operator", "agency_admin", "coordinator", "officer", "vendor", "auditor")
STAFF = ("operator", "agency_admin", "coordinator")
#: Who sees invoices, totals and payroll.
FINANCE = ("operator", "agency_admin", "vendor", "auditor")


@attrs.frozen
class User:
    id: int
    name: str
    role: str
    agency: str | None
    badge: str | None
    vendor: str | None
    clients: tuple[str, ...] | None = None  # a coordinator's vendors (None: all of its agency's)

    @property
    def sees_money(self) -> bool:
        """Whether this user sees invoices and totals (staff who coordinate see no finances)."""
        return self.role in FINANCE

    def sees_request(self, view: dict[str, Any], program: Any) -> bool:
        """Whether this user may see the request of ``view`` (the API's request view)."""
        if self.role == "operator":
            return True
        if view["agency"] != self.agency:
            return False
        if self.role == "vendor":
            return view["vendor"] == self.vendor
        if self.role == "officer":
            return any(s.get("officer") == self.badge for s in view["slots"])
        if self.role == "coordinator" and self.clients is not None:
            return view["vendor"] in self.clients
        return True

    def agencies_for_officer(self, program: Any) -> tuple[str, ...]:
        """The agencies whose shifts this officer may answer: its own and those it backs up
        (the board's audience check decides each shift)."""
        return tuple(program.board.registry.names())


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(conn: Connection, name: str, role: str, agency: str | None, badge: str | None = None,
             vendor: str | None = None, registry: Any = None, clients: Sequence[str] | None = None) -> str:
    """Create a user and return its new token (shown once, never stored)."""
    if role not in ROLES:
        raise InputError("--role", role, f"roles are {', '.join(ROLES)}")
    if role != "operator" and not agency:
        raise InputError("--agency", agency, f"{a_role(role)} belongs to an agency")
    if registry is not None and agency:
        registry.rules(agency)  # an unknown agency is refused by name
    if role == "officer" and not badge:
        raise InputError("--badge", badge, "an officer user names its badge")
    if role == "vendor" and not vendor:
        raise InputError("--vendor", vendor, "a vendor user names its vendor")
    if role not in ("officer",) and badge:
        raise InputError("--badge", badge, "only an officer user has a badge")
    if role != "vendor" and vendor:
        raise InputError("--vendor", vendor, "only a vendor user has a vendor name")
    if clients is not None and (role != "coordinator" or not clients or not all(c.strip() for c in clients)):
        raise InputError("--clients", ";".join(clients), "a coordinator's vendors, separated by ';' "
                                                         "(only a coordinator has clients)")
    token = "odt_" + secrets.token_urlsafe(24)
    conn.execute(insert(t.users).values(token_hash=token_hash(token), name=name, role=role, agency=agency,
                                        badge=badge, vendor=vendor, active=True,
                                        clients=json.dumps([c.strip() for c in clients]) if clients else None,
                                        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds")))
    return token


def user_for_token(conn: Connection, token: str) -> User | None:
    row = conn.execute(select(t.users).where(t.users.c.token_hash == token_hash(token),
                                             t.users.c.active.is_(True))).first()
    if row is None:
        return None
    return User(id=row.id, name=row.name, role=row.role, agency=row.agency, badge=row.badge, vendor=row.vendor,
                clients=tuple(json.loads(row.clients)) if row.clients else None)


def current_user(request: Request, authorization: str | None = Header(None)) -> User:
    """The user of the request's bearer token (or, for the pages, its ``offduty_token``
    cookie); 401 otherwise."""
    token = None
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    elif request.cookies.get("offduty_token"):
        token = request.cookies["offduty_token"]
    if not token:
        raise ApiError(401, "give your token: Authorization: Bearer <token> (offduty service add-user makes one)")
    engine = request.app.state.store.engine
    with engine.connect().execution_options(write=False) as conn:
        with conn.begin():
            user = user_for_token(conn, token)
    if user is None:
        raise ApiError(401, "this token is not valid")
    return user


def require(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise ApiError(403, f"{a_role(user.role)} may not do this (it is for: {', '.join(roles)})")


def a_role(role: str) -> str:
    """``an auditor``, ``a vendor``."""
    return f"{'an' if role[0] in 'aeiou' else 'a'} {role}"
