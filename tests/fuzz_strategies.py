"""Hypothesis strategies for the fuzz suite: stories, rosters, histories and scenarios.

Each strategy builds an input a careful operator might give -- mostly well formed, so that
the deep code runs -- and then, often, spoils it: a field replaced by a value of the wrong
type or size, the text re-encoded (BOM, CRLF, CR, Latin-1, UTF-16), or bytes flipped,
dropped or cut off.  A well-formed input exercises billing and the simulator; a spoiled one
exercises the readers' refusals.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

from hypothesis import strategies as st

AGENCIES = ("chandler-az", "grantsville-ut", "lynnwood-wa", "west-valley-city-ut")
CATEGORIES = ("security", "traffic_control", "special_event", "funeral_escort", "school_safety",
              "liquor_establishment", "civil_process")
EVENT_TYPES = ("cancel", "change_start", "release", "clock", "drop", "assign", "unfilled", "no_show")
BASE = datetime(2027, 3, 1, 8, 0)  # spans the spring-forward change and a few holidays

#: Values of the wrong type or an absurd size, for any field.
JUNK = st.one_of(
    st.none(), st.booleans(),
    st.sampled_from([0, -1, 1, 2 ** 31, 2 ** 63 - 1, -(2 ** 63), 10 ** 30, 10 ** 1000]),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e308, -1e308, 0.5, 1e-300]),
    st.text(max_size=12),
    st.sampled_from(["", " ", "\n", "a\nb", "\x00", "²", "9999-12-31T23:59", "0001-01-01T00:00+05:00",
                     "2027-03-14T02:30", "2027-11-07T01:30", "2027-02-30T10:00", "T", "x" * 300, "💥", "a:b"]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def local(minutes: int, offset: bool = False) -> str:
    moment = BASE + timedelta(minutes=minutes)
    text = moment.isoformat(timespec="minutes")
    return text + "-07:00" if offset else text


times = st.builds(local, st.integers(-60 * 24 * 60, 400 * 24 * 60), st.booleans())


@st.composite
def good_story(draw) -> dict:
    start = draw(st.integers(0, 300 * 24 * 60)) // 30 * 30
    hours = draw(st.sampled_from([1, 2, 3, 4, 5, 8, 10, 12, 24, 26]))
    lead = draw(st.sampled_from([1, 10, 23, 24, 47, 48, 71, 72, 73, 200, 2000]))
    agency = draw(st.sampled_from(AGENCIES))
    officers = draw(st.integers(1, 4))
    supervisors = draw(st.integers(0, 2))
    scribes = draw(st.integers(0, 1)) if agency == "chandler-az" else 0  # the others bill no scribes
    slots = officers + supervisors + scribes
    request = {"id": draw(st.sampled_from(["R-1", "C-77", "x"])), "vendor": draw(st.sampled_from(
        ["Acme", "Desert Ridge Stadium", "a:b", "tab\there", "é"])),
        "category": draw(st.sampled_from(CATEGORIES[:4] * 3 + CATEGORIES[4:])),
        "received_at": local(start - lead * 60), "start": local(start), "end": local(start + hours * 60),
        "positions": {"officer": officers, "supervisor": supervisors, "scribe": scribes},
        "vehicle": draw(st.booleans())}
    if draw(st.booleans()):
        request["approved_at"] = local(start - lead * 60 + draw(st.integers(0, 120)))

    def at() -> str:
        return local(start + draw(st.integers(-lead * 60 - 60, hours * 60 + 120)))

    def event() -> dict:
        kind = draw(st.sampled_from(EVENT_TYPES))
        slot = draw(st.integers(0, slots - 1))
        if kind == "cancel":
            e = {"type": kind, "at": at(), "channel": draw(st.sampled_from(["email", "portal", "phone"])),
                 "request_id": request["id"]}
            if draw(st.booleans()):
                e["slots"] = sorted(set(draw(st.lists(st.integers(0, slots - 1), min_size=1, max_size=3))))
            return e
        if kind == "change_start":
            moved = start + draw(st.integers(-600, 600))
            return {"type": kind, "at": at(), "start": local(moved),
                    "end": local(moved + draw(st.integers(30, 12 * 60))), "officer_accepts": draw(st.booleans())}
        if kind == "release":
            return {"type": kind, "slot": slot, "at": local(start + draw(st.integers(0, hours * 60)))}
        if kind == "clock":
            begin = start + draw(st.integers(-60, 120))
            return {"type": kind, "slot": slot, "in": local(begin), "out": local(begin + draw(st.integers(1, 900)))}
        if kind == "drop":
            return {"type": kind, "slot": slot, "at": at(), "officer": draw(st.sampled_from(["117", "118"]))}
        if kind == "assign":
            return {"type": kind, "slot": slot, "officer": draw(st.sampled_from(["117", "118", "x:y", "²"]))}
        return {"type": kind, "slot": slot}

    data = {"agency": agency, "request": request,
            "events": [event() for _ in range(draw(st.integers(0, 5)))]}
    if draw(st.booleans()):
        data["payment"] = {"method": draw(st.sampled_from(["card", "ach", "check"]))}
    return data


def _paths(value, prefix=()):
    """Every (path, value) inside nested dicts and lists."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


@st.composite
def spoiled(draw, base, values=JUNK) -> object:
    """``base`` with one to three values replaced by ``values`` (junk), or a key added or removed."""
    data = json.loads(json.dumps(draw(base)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        node = data
        for part in path[:-1]:
            node = node[part]
        action = draw(st.sampled_from(["junk", "junk", "drop", "add"]))
        if action == "junk":
            node[path[-1]] = draw(values)
        elif action == "drop":
            del node[path[-1]]
        elif isinstance(node, dict):
            node[draw(st.sampled_from(["extra", "bad\nkey", "type", "slot", "at"]))] = draw(values)
    return data


@st.composite
def encoded(draw, text: str) -> bytes:
    """``text`` as a real file might hold it."""
    broken = draw(st.integers(0, 3)) == 0  # a quarter of the files are damaged, the rest read
    how = draw(st.sampled_from(["latin-1", "utf-16", "flip", "cut"] if broken else ["utf-8", "bom", "crlf", "cr"]))
    if how == "utf-8":
        return text.encode()
    if how == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if how == "crlf":
        return text.replace("\n", "\r\n").encode()
    if how == "cr":
        return text.replace("\n", "\r").encode()
    if how == "latin-1":
        return text.encode("latin-1", "replace")
    if how == "utf-16":
        return text.encode("utf-16")
    data = bytearray(text.encode())
    if not data:
        return bytes(data)
    if how == "cut":
        return bytes(data[: draw(st.integers(0, len(data)))])
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.integers(0, 255))
    return bytes(data)


@st.composite
def story_bytes(draw) -> bytes:
    data = draw(st.one_of(good_story(), good_story(), spoiled(good_story())))
    return draw(encoded(json.dumps(data, indent=draw(st.sampled_from([None, 1])))))


# --- rosters ----------------------------------------------------------------------------

#: Roster cells: the first values of each list are valid, the rest are not.
ROSTER_CELLS = {
    "badge": (["117", "118", "L-3", "²", "9" * 30], ["1 2", "", "a,b"]),
    "agency": (list(AGENCIES), ["", "springfield-il"]),
    "seniority_date": (["2010-01-01", "1999-12-31"], ["2019-02-30", "", "0001-01-01", "x"]),
    "rank": (["officer", "supervisor", "sgt", ""], ["general"]),
    "qualifications": (["", "sso", "sso;motor"], ["SSO!", "1a"]),
    "approved": (["", "yes", "no"], ["maybe"]),
    "active": (["", "yes", "no", "1"], ["perhaps"]),
    "shift_hours": (["", "8", "12.5"], ["0", "25", "1e308", "nan"]),
    "history": (["", "2027-05-02:4", "2027-05-02:4;2027-05-09:8.5"], ["x:y", "2027-05-02:1e9", "2027-05-02"]),
    "name": (["", "Pat", "a,b", 'q"uote', "x" * 500], []),
}
SCHEDULES = [
    {"schedule": "5x8", "shift_start": "07:00", "anchor": "2027-06-14"},
    {"schedule": "pitman", "shift_start": "18:00", "anchor": "2027-06-19"},
    {"schedule": "days_off", "shift_start": "08:00", "days_off": "sat;sun"},
    {"schedule": "dates", "shift_start": "23:30", "duty_dates": "2027-06-20;2027-06-21"},
    {"schedule": "none"}, {},
    {"schedule": "weekly"}, {"schedule": "5x8", "shift_start": "25:00", "anchor": "2027-13-01"},
    {"schedule": "days_off", "shift_start": "08:00", "days_off": "mon;tue;wed;thu;fri;sat;sun"},
    {"schedule": "", "anchor": "2027-06-14"},
]
ROSTER_COLUMNS = ("badge", "agency", "seniority_date", "rank", "qualifications", "approved", "active", "schedule",
                  "shift_start", "shift_hours", "anchor", "days_off", "duty_dates", "history", "name")


@st.composite
def roster_row(draw, badge: int, bad: bool) -> dict:
    row = {c: draw(st.sampled_from(good)) for c, (good, _) in ROSTER_CELLS.items()}
    row["badge"] = str(100 + badge) if draw(st.integers(0, 3)) else row["badge"] + str(badge)
    row.update(draw(st.sampled_from(SCHEDULES[:6])))
    if bad:
        column = draw(st.sampled_from([c for c, (_, b) in ROSTER_CELLS.items() if b] + ["schedule"]))
        if column == "schedule":
            row.update(draw(st.sampled_from(SCHEDULES[6:])))
        else:
            row[column] = draw(st.sampled_from(ROSTER_CELLS[column][1]))
    return row


@st.composite
def roster_bytes(draw) -> bytes:
    columns = list(ROSTER_COLUMNS)
    if draw(st.integers(0, 9)) == 0:  # a header with a column missing, misspelt or repeated
        columns = draw(st.permutations(columns))[: draw(st.integers(0, len(columns)))] + draw(
            st.lists(st.sampled_from(["senority_date", "", "badge"]), max_size=2))
    rows = [draw(roster_row(i, draw(st.integers(0, 5)) == 0)) for i in range(draw(st.integers(1, 8)))]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns] + (["extra"] if draw(st.integers(0, 19)) == 0 else []))
    return draw(encoded(out.getvalue()))


# --- histories --------------------------------------------------------------------------

HISTORY_COLUMNS = ("request_id", "agency", "vendor", "category", "received_at", "start", "end", "officers", "vehicle",
                   "cancelled_at")


@st.composite
def history_row(draw, i: int) -> dict:
    start = draw(st.integers(0, 200 * 24 * 60)) // 30 * 30
    lead = draw(st.integers(120, 60 * 24 * 60))
    hours = draw(st.sampled_from([1, 2, 4, 8, 12]))
    row = {"request_id": f"R{i}", "agency": draw(st.sampled_from(["chandler-az", "", "chandler-az"])),
           "vendor": draw(st.sampled_from(["v1", "v2", "v3"])), "category": draw(st.sampled_from(CATEGORIES[:4])),
           "received_at": local(start - lead, True), "start": local(start, True),
           "end": local(start + hours * 60, True), "officers": str(draw(st.integers(1, 4))),
           "vehicle": draw(st.sampled_from(["", "yes", "no"])),
           "cancelled_at": draw(st.sampled_from(["", local(start - 60, True)]))}
    if draw(st.integers(0, 9)) == 0:
        key = draw(st.sampled_from(HISTORY_COLUMNS))
        junk = draw(JUNK)
        row[key] = junk if isinstance(junk, str) else json.dumps(junk)
    return row


@st.composite
def history_bytes(draw) -> bytes:
    columns = list(HISTORY_COLUMNS[:8]) + draw(st.lists(st.sampled_from(HISTORY_COLUMNS[8:]), unique=True))
    if draw(st.integers(0, 9)) == 0:
        columns = draw(st.permutations(columns))[1:] + draw(st.lists(st.sampled_from(["when", "agency"]), max_size=1))
    rows = [draw(history_row(i)) for i in range(draw(st.integers(1, 8)))]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[r.get(c, "") for c in columns] for r in rows])
    return draw(encoded(out.getvalue()))


# --- scenarios --------------------------------------------------------------------------

#: Numbers at and past the scenario's ranges.
NUMBERS = st.one_of(st.integers(-5, 50), st.floats(0, 10), st.sampled_from(
    [0, 1, 72, 73, 200, 201, 5000, 5001, 1e9, 1e308, -1e308, 2 ** 63 - 1, -(2 ** 63), float("nan"), float("inf")]))


@st.composite
def scenario_data(draw, wild: bool = True) -> dict:
    """A plausible scenario as data; ``wild``: often with one to three values replaced by
    extremes or junk (``NUMBERS``, ``JUNK``)."""
    num = st.floats(0.1, 5)
    data = {"agency": {"name": draw(st.sampled_from(AGENCIES)), "days": draw(st.integers(1, 3))},
            "officers": {"count": draw(st.integers(5, 60))},
            "demand": {"categories": {"security": {
                "requests_per_week": draw(st.floats(0, 80)),
                "duration_hours": draw(_dist(st.sampled_from([2, 4, 8]))),
                "officers": draw(_dist(st.sampled_from([1, 2]))),
                "lead_time_days": draw(_dist(st.sampled_from([1, 5, 10]), exponential=False))}}}}
    optional = {
        ("officers", "acceptance"): st.fixed_dictionaries({}, optional={k: num for k in ("base", "pay", "night")}),
        ("officers", "views_per_hour"): num,
        ("demand", "standing"): st.lists(st.fixed_dictionaries({}, optional={"hours": num,
                                                                            "officers": st.integers(1, 3)}),
                                         max_size=2),
        ("demand", "events"): st.fixed_dictionaries({}, optional={"per_year": num, "days": st.integers(1, 3),
                                                                  "officers": st.integers(1, 20)}),
        ("demand", "month"): st.lists(num, min_size=12, max_size=12),
        ("payment", "days_to_pay"): _dist(st.sampled_from([10, 30]), exponential=False),
        ("changes", "cancel_rate"): st.floats(0, 1),
        ("fees", "admin_fee_pct"): num,
        ("fees", "weekly_cap"): st.floats(0, 60),
        ("distribution", "method"): st.sampled_from(["immediate-release", "seniority", "fairness", "sequencing",
                                                     "bidding"]),
    }
    for (section, key), strategy in optional.items():
        if draw(st.booleans()):
            data.setdefault(section, {})[key] = draw(strategy)
    if wild and draw(st.integers(0, 9)) < 8:
        data = draw(spoiled(st.just(data), st.one_of(NUMBERS, NUMBERS, JUNK)))
    return data


def _dist(values, exponential: bool = True):
    """A distribution table of ``values``: a bare number, a log-normal, a discrete choice (one
    weight per value) or an exponential."""
    choice = st.lists(values, min_size=1, max_size=3).flatmap(
        lambda vs: st.fixed_dictionaries({"values": st.just(vs)},
                                         optional={"weights": st.lists(st.integers(1, 5), min_size=len(vs),
                                                                       max_size=len(vs))}))
    kinds = [values, st.fixed_dictionaries({"median": values, "sigma": st.floats(0, 2)},
                                           optional={"max": st.just(100)}), choice]
    return st.one_of(*kinds, *([st.fixed_dictionaries({"mean": values})] if exponential else []))


def toml_text(data) -> str:
    """TOML for the drawn data (the calibrate writer, which quotes nothing: a junk key
    makes the file invalid TOML, which is one more input to refuse)."""
    from offduty_simulations.calibrate import dumps_toml

    if not isinstance(data, dict):
        return f"x = {json.dumps(data)}\n"
    try:
        return dumps_toml(data)
    except (TypeError, ValueError):
        return json.dumps(data)
