"""Shared helpers for the distribution and lifecycle tests: two small test agencies (so a
test controls caps and back-ups), officers, a board, and readers over its records."""

from __future__ import annotations

import types
from datetime import date, datetime, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from offduty_core import Registry, get_plugin_manager, hookimpl
from offduty_core.lifecycle import Accept, Apply, JobBoard, SubmitRequest
from offduty_core.model import Request
from offduty_core.officers import Officer, Roster
from offduty_core.spec import AgencySpec, CancellationPolicy, HourCaps, RateClass

TZ = ZoneInfo("America/Chicago")
TOWN, VILLE = "test-town", "test-ville"


def agency_spec(name: str, caps: HourCaps | None = None, alert: timedelta | None = None) -> AgencySpec:
    return AgencySpec(name=name, title=f"{name} PD", timezone="America/Chicago",
                      rates=(RateClass(name="regular", label="Regular", total="60.00", share="50.00"),
                             RateClass(name="supervisor", label="Supervisor", total="72.00", share="60.00")),
                      caps=caps if caps is not None else HourCaps(),
                      cancellation=CancellationPolicy(unfilled_alert=alert))


def agency_module(name: str, caps: HourCaps | None = None, alert: timedelta | None = None) -> types.ModuleType:
    mod = types.ModuleType(name.replace("-", "_"))
    spec = agency_spec(name, caps, alert)

    @hookimpl
    def offduty_agency():
        return spec

    mod.offduty_agency = offduty_agency
    return mod


def registry(*extra: Any, caps: HourCaps | None = None, alert: timedelta | None = None) -> Registry:
    return Registry(get_plugin_manager(entry_points=False, extra=[agency_module(TOWN, caps, alert),
                                                                  agency_module(VILLE, caps), *extra]))


REGISTRY = registry()


def T(text: str) -> datetime:
    """A local (America/Chicago) time; early March 2027 has no daylight-saving change."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def cop(badge: str, since: str = "2010-01-01", rank: str = "officer", quals: Iterable[str] = (),
        agency: str = TOWN, **kw: Any) -> Officer:
    return Officer(badge=badge, agency=agency, rank=rank, seniority_date=date.fromisoformat(since),
                   qualifications=frozenset(quals), **kw)


def make_board(officers: Iterable[Officer], method: str = "immediate-release", params: dict | None = None,
               reg: Registry | None = None, category: str = "*", **config: Any) -> JobBoard:
    spec = {"method": method, "params": params or {}, **config}
    return JobBoard(reg or REGISTRY, Roster(officers), distribution={TOWN: {category: spec}})


def submit(board: JobBoard, rid: str, start: str, end: str, n: int = 1, category: str = "security",
           received: str = "2027-03-01T08:00", agency: str = TOWN, at: str | None = None, **kw: Any) -> list:
    positions = kw.pop("positions", {"officer": n})
    request = Request(id=rid, vendor="Vendor", category=category, received_at=T(received), start=T(start),
                      end=T(end), positions=positions, **kw.pop("request", {}))
    return board.handle(SubmitRequest(agency=agency, request=request, at=T(at) if at else None, **kw))


def apply(board: JobBoard, when: str, rid: str, badge: str, slot: int = 0, **kw: Any) -> list:
    return board.handle(Apply(at=T(when), request_id=rid, slot=slot, badge=badge, **kw))


def accept(board: JobBoard, when: str, rid: str, badge: str, slot: int = 0) -> list:
    return board.handle(Accept(at=T(when), request_id=rid, slot=slot, badge=badge))


def until(board: JobBoard, when: str) -> list:
    return board.advance(T(when))


def of(records: Iterable[Any], *kinds: str) -> list:
    return [r for r in records if r.kind in kinds]


def awards(board: JobBoard) -> list[tuple[str, int, str]]:
    """Every award in order: (request, slot, badge)."""
    return [(r.request_id, r.slot, r.badge) for r in board.records if r.kind == "Awarded"]


def refusals(board: JobBoard) -> list[str]:
    return [r.reason for r in board.records if r.kind == "ResponseRefused"]
