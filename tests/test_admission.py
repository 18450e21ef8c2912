"""Admission's per-rules plan (the checks and slot layout of each request shape, worked out
once) and the shared positions mappings of requests: the same answers as working them out
for every request."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest

from offduty_core.admission import admit
from offduty_core.errors import InputError, Refusal
from offduty_core.model import Request, Slot
from offduty_core.plugins import default_registry

UTC = timezone.utc
START = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)


def request(rid: str = "R-1", *, officers: int = 1, supervisors: int = 0, scribes: int = 0,
            category: str = "security", notice: timedelta = timedelta(days=30)) -> Request:
    return Request(id=rid, vendor="Acme", category=category, received_at=START - notice, start=START,
                   end=START + timedelta(hours=4),
                   positions={"officer": officers, "supervisor": supervisors, "scribe": scribes})


@pytest.fixture(scope="module")
def wvc():
    return default_registry().rules("west-valley-city-ut")


def test_requests_of_one_shape_share_the_layout_and_keep_their_own_notes(wvc):
    # West Valley City adds a supervisor from 5 officers; the second request has short notice.
    first = admit(wvc, request("R-1", officers=5))
    second = admit(wvc, request("R-2", officers=5, notice=timedelta(hours=2)))
    assert first.slots == tuple([Slot(index=i, role="officer") for i in range(5)]
                                + [Slot(index=5, role="supervisor", added_by_rule="supervisor-threshold.5")])
    assert second.slots is first.slots
    assert first.notes == ("5 officers requested (threshold 5): 1 supervisor position added",)
    assert not first.emergency
    assert second.emergency and len(second.notes) == 2
    assert second.notes[0].startswith("received 2 h") and second.notes[1] == first.notes[0]
    assert admit(wvc, request("R-3", officers=2)).slots == (Slot(index=0, role="officer"),
                                                                 Slot(index=1, role="officer"))


def test_a_refused_shape_is_refused_every_time(wvc):
    for _ in range(2):
        with pytest.raises(InputError, match="ask for at least one position"):
            admit(wvc, request(officers=0))
        with pytest.raises(InputError, match="categories are"):
            admit(wvc, request(category="no-such-category"))
    # The checks that depend on the request's times still run for a shape admitted before.
    admit(wvc, request(officers=3))
    with pytest.raises(Refusal, match="notice"):
        admit(wvc, request(officers=3, notice=-timedelta(hours=1)))


def test_positions_are_checked_and_shared_by_requests_of_one_shape():
    a, b = request("R-1", officers=2), request("R-2", officers=2)
    assert dict(a.positions) == {"officer": 2, "supervisor": 0, "scribe": 0}
    assert a.positions is b.positions
    assert attrs.evolve(a, id="R-3").positions is a.positions
    assert request(officers=3).positions["officer"] == 3
    with pytest.raises(InputError, match="roles are"):
        Request(id="R", vendor="V", category="security", received_at=START, start=START,
                end=START + timedelta(hours=1), positions={"sergeant": 1})
    with pytest.raises(InputError, match="whole number"):
        Request(id="R", vendor="V", category="security", received_at=START, start=START,
                end=START + timedelta(hours=1), positions={"officer": True})
    with pytest.raises(TypeError):  # a read-only mapping still
        a.positions["officer"] = 5


def test_a_rules_plan_goes_with_its_rules(wvc):
    import gc

    from offduty_core import admission
    from offduty_core.rules import AgencyRules

    rules = AgencyRules(wvc.spec, categories=wvc.categories)
    key = id(rules)
    assert admit(rules, request()).slots == (Slot(index=0, role="officer"),)
    assert key in admission._PLANS and admission._PLANS[key][1] is not admission._plan(wvc)
    del rules
    gc.collect()
    assert key not in admission._PLANS
