"""Property tests: billing never crashes on generated stories (only clear OffdutyErrors), and
every bill it produces is internally consistent, balanced and deterministic.

Stories are generated for a random agency, on ordinary days and on the awkward ones
(daylight-saving changes, holidays, New Year), with random positions, notice, vehicle and
payment method, and events of every type at times around the shift; a share of them is
broken on purpose (a missing or mistyped field, an unknown category, agency or event type,
a slot out of range) to exercise the error paths.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from billing_helpers import AGENCIES, bill_story, money
from offduty_core.errors import InputError, OffdutyError, Refusal
from offduty_core.model import CORE_CATEGORIES

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

AWKWARD_DAYS = [
    date(2027, 3, 14), date(2027, 11, 7),  # US daylight-saving changes
    date(2027, 3, 13), date(2027, 11, 6),  # the nights before them
    date(2027, 12, 23), date(2027, 12, 24), date(2027, 12, 25), date(2027, 12, 31),
    date(2027, 6, 19), date(2027, 7, 4), date(2027, 7, 24), date(2027, 11, 25), date(2027, 11, 26),
]
DAYS = st.one_of(st.sampled_from(AWKWARD_DAYS), st.dates(date(2027, 1, 1), date(2027, 12, 31)))
MINUTE = st.sampled_from([0, 0, 0, 15, 30, 45, 59])
OFFICER = st.sampled_from(["A", "B", "C", "117"])
METHODS = st.sampled_from([None, None, "card", "ach", "check"])


def local(value: datetime) -> str:
    return value.isoformat(timespec="minutes")


@st.composite
def events(draw, start: datetime, end: datetime, received: datetime, slots: int) -> list[dict]:
    """Events of every type at times from the receipt to a little after the end, for slots
    0..``slots`` (one past the request's own slots: the one a rule may add, or none)."""
    slot_no = st.one_of([st.integers(0, max(slots - 1, 0))] * 10 + [st.integers(0, slots), st.just(9)])
    span = int((end - start).total_seconds() // 60)
    lead = int((start - received).total_seconds() // 60)
    moment = st.integers(min_value=-lead, max_value=max(span, 0) + 90).map(
        lambda m: local(start + timedelta(minutes=m)))
    before_start = st.integers(min_value=-lead, max_value=-1).map(lambda m: local(start + timedelta(minutes=m))) \
        if lead > 0 else moment
    inside = st.integers(min_value=1, max_value=max(span - 1, 1)).map(lambda m: local(start + timedelta(minutes=m)))
    kinds = {
        "cancel": st.fixed_dictionaries(
            {"type": st.just("cancel"), "at": moment, "channel": st.sampled_from(["email", "portal", "phone"])},
            optional={"request_id": st.sampled_from(["R-1", "R-1", "R-2"]),
                      "slots": st.lists(slot_no, min_size=1, max_size=3, unique=True)}),
        "change_start": st.builds(
            lambda at, shift, minutes, accepts: {
                "type": "change_start", "at": at, "officer_accepts": accepts,
                "start": local(start + timedelta(minutes=shift)),
                "end": local(start + timedelta(minutes=shift + minutes))},
            st.one_of(before_start, moment), st.integers(-360, 360), st.integers(15, 600), st.booleans()),
        "release": st.fixed_dictionaries({"type": st.just("release"), "slot": slot_no, "at": inside}),
        "clock": st.builds(
            lambda slot, early, minutes: {
                "type": "clock", "slot": slot, "in": local(start + timedelta(minutes=early)),
                "out": local(start + timedelta(minutes=early + minutes))},
            slot_no, st.integers(-30, 60), st.integers(1, max(span, 1) + 120)),
        "drop": st.fixed_dictionaries({"type": st.just("drop"), "slot": slot_no, "at": moment},
                                      optional={"officer": OFFICER}),
        "assign": st.fixed_dictionaries({"type": st.just("assign"), "slot": slot_no, "officer": OFFICER},
                                        optional={"at": moment}),
        "unfilled": st.fixed_dictionaries({"type": st.just("unfilled"), "slot": slot_no}),
        "no_show": st.fixed_dictionaries({"type": st.just("no_show"), "slot": slot_no}),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(kinds)), max_size=4))
    return [draw(kinds[kind]) for kind in chosen]


@st.composite
def valid_stories(draw) -> dict:
    agency = draw(st.sampled_from(AGENCIES))
    start = datetime.combine(draw(DAYS), time(draw(st.integers(0, 23)), draw(MINUTE)))
    minutes = draw(st.one_of(st.integers(15, 12 * 60), st.sampled_from([60, 120, 240, 480, 30 * 60])))
    end = start + timedelta(minutes=minutes)
    notice = draw(st.one_of(st.integers(0, 10 * 24 * 60),
                            st.sampled_from([23 * 60, 24 * 60, 71 * 60 + 59, 72 * 60, 5 * 24 * 60])))
    received = start - timedelta(minutes=notice)
    category = draw(st.sampled_from(["security"] * 6 + list(CORE_CATEGORIES)))
    positions = {"officer": draw(st.integers(0, 6)), "supervisor": draw(st.integers(0, 2)),
                 # only Chandler has a scribe rate; elsewhere a scribe is refused (now and then)
                 "scribe": draw(st.integers(0, 1)) if agency == "chandler-az" or draw(st.integers(0, 9)) == 0 else 0}
    if sum(positions.values()) == 0:
        positions["officer"] = 1
    request = {"id": "R-1", "vendor": "Acme Market", "category": category, "received_at": local(received),
               "start": local(start), "end": local(end), "positions": positions,
               "vehicle": draw(st.booleans())}
    if draw(st.integers(0, 5)) == 0:
        request["approved_at"] = local(received + timedelta(minutes=draw(st.integers(0, max(notice, 0)))))
    data = {"agency": agency, "request": request, "events": draw(events(start, end, received, sum(positions.values())))}
    method = draw(METHODS)
    if method is not None:
        data["payment"] = {"method": method}
    return data


BREAKAGE = st.sampled_from([
    ("request", "start", None), ("request", "start", "tomorrow"), ("request", "end", "2027-13-40T10:00"),
    ("request", "category", "bogus_category"), ("request", "positions", {"officer": -1}),
    ("request", "positions", {"sergeant": 1}), ("request", "vehicle", "yes"), ("request", "id", ""),
    ("request", "received_at", 12), ("request", "extra_field", 1), ("", "agency", "nowhere-zz"),
    ("", "agency", None), ("", "events", "cancel"), ("", "payment", {"method": "bitcoin"}),
    ("", "request", []), ("events", None, {"type": "teleport"}), ("events", None, {"type": "clock", "slot": "x"}),
    ("events", None, {"type": "release", "slot": 0}), ("events", None, {"type": "cancel", "at": "2027-01-01T00:00"}),
    ("events", None, []),
])


@st.composite
def broken_stories(draw) -> dict:
    data = draw(valid_stories())
    where, key, value = draw(BREAKAGE)
    if where == "request":
        if value is None:
            data["request"].pop(key, None)
        else:
            data["request"][key] = value
    elif where == "events":
        data["events"].append(value)
    else:
        data[key] = value
    return data


STORIES = st.one_of(valid_stories(), valid_stories(), valid_stories(), broken_stories())

TWO_PLACES = Decimal("0.01")


def _d(text: str) -> Decimal:
    value = Decimal(text)
    assert value == value.quantize(TWO_PLACES) and len(text.split(".")[-1]) == 2, text
    return value


def shown_hours(text: str) -> Fraction:
    """The hours a line shows: "2.50", or "1:20:00" where hundredths would not be exact."""
    if ":" in text:
        h, m, sec = (int(part) for part in text.split(":"))
        assert 0 <= m < 60 and 0 <= sec < 60, text
        return Fraction(h * 3600 + m * 60 + sec, 3600)
    return Fraction(_d(text))


def assert_clear(exc: OffdutyError) -> None:
    message = str(exc)
    assert message and "\n" not in message
    if isinstance(exc, InputError):
        assert message.startswith(exc.field), message
    if isinstance(exc, Refusal):
        assert exc.agency in message and exc.rule in message, message


def assert_consistent(result) -> None:
    out = result.to_dict()
    json.dumps(out)  # serialisable
    lines = out["lines"]
    by_party = {party: sum((_d(l["amount"]) for l in lines if l["party"] == party), Decimal("0.00"))
                for party in ("vendor", "officer", "city")}
    vendor, officer, city, net = (_d(out[k]) for k in ("vendor_total", "officer_pay_total", "city_total",
                                                        "operator_net"))
    assert vendor == by_party["vendor"]
    assert officer == by_party["officer"]
    assert city == by_party["city"]
    assert net == vendor - officer - city
    assert {l["party"] for l in lines} <= {"vendor", "officer", "city"}
    for line in lines:
        assert _d(line["amount"]) >= 0, line
        assert line["rule"] and ":" in line["rule"], line
        if line["hours"] is not None:
            hours = shown_hours(line["hours"])
            assert hours > 0, line
            # A reader can check every line: the hours shown x the rate shown, rounded half up once.
            assert money(line["rate"], hours) == _d(line["amount"]), line
    for line in result.lines:
        if line.party == "vendor":
            assert line.share + line.fee + line.city + line.card == line.amount, line

    # Ledger: every transaction balances; the books tie to the lines.
    totals: dict[str, Decimal] = {}
    for tx in result.transactions:
        assert sum(p.amount for p in tx.postings) == 0, tx
        for p in tx.postings:
            assert p.amount == p.amount.quantize(TWO_PLACES)
            totals[p.account] = totals.get(p.account, Decimal(0)) + p.amount
    for tx in out["ledger"]:
        assert sum(_d(p["amount"]) for p in tx["postings"]) == 0
    prefix_sum = lambda prefix: sum((v for k, v in totals.items() if k.startswith(prefix)), Decimal(0))
    assert prefix_sum("assets:receivable:vendor:") == vendor
    assert -prefix_sum("liabilities:payable:officer:") == officer
    assert -prefix_sum("liabilities:payable:city:") == city
    assert prefix_sum("expenses:absorbed-officer-pay") == result.absorbed_total

    # Officer pay per officer equals what the ledger owes each officer.
    owed = {k.rsplit(":", 1)[1]: -v for k, v in totals.items()
            if k.startswith("liabilities:payable:officer:") and v}
    paid = {k: v for k, v in result.officer_pay().items() if v}
    assert paid == owed

    # Card fee: 3 % of the subtotal before it, rounded half up, as one vendor line.
    card = [l for l in result.lines if l.card]
    if result.payment_method == "card" and card:
        assert len(card) == 1
        subtotal = vendor - card[0].amount
        assert card[0].amount == (subtotal * Decimal("0.03")).quantize(TWO_PLACES, ROUND_HALF_UP)
    elif result.payment_method in (None, "ach", "check"):
        assert not card


@SETTINGS
@given(STORIES)
def test_billing_never_crashes_and_balances(data):
    try:
        result = bill_story(data)
    except OffdutyError as exc:
        event(f"refused: {type(exc).__name__}")
        assert_clear(exc)
        return
    event("billed")
    assert_consistent(result)


@SETTINGS
@given(valid_stories())
def test_billing_is_deterministic(data):
    try:
        first = bill_story(data)
    except OffdutyError as exc:
        event("refused")
        again = None
        try:
            bill_story(data)
        except OffdutyError as exc2:
            again = exc2
        assert type(again) is type(exc) and str(again) == str(exc)
        return
    event("billed")
    second = bill_story(json.loads(json.dumps(data)))
    assert json.dumps(first.to_dict(), sort_keys=True) == json.dumps(second.to_dict(), sort_keys=True)


@SETTINGS
@given(valid_stories().map(lambda d: {**d, "events": []}))
def test_worked_as_scheduled_bills_at_least_the_minimum(data):
    """With no events every slot is worked as scheduled: each slot's vendor amount is at least
    its minimum hours at the agency's lowest total rate, and the officer is paid for every slot."""
    try:
        result = bill_story(data)
    except OffdutyError as exc:
        assert_clear(exc)
        return
    assert_consistent(result)
    lowest_total = {"lynnwood-wa": Decimal("170.87") * 4, "grantsville-ut": Decimal("70.00") * 2,
                    "chandler-az": Decimal("66.65") * 2, "west-valley-city-ut": Decimal("57.00") * 2}
    for slot in result.to_dict()["slots"]:
        assert _d(slot["vendor"]) >= lowest_total[data["agency"]] - Decimal("0.05"), slot
        assert _d(slot["officer_pay"]) > 0, slot
