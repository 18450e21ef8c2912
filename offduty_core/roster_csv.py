"""Roster CSV files: reading one (every problem with its line, column and value), and
writing a roster back out.  The officers, schedules and :class:`Roster` they hold are in
:mod:`offduty_core.officers`.

Roster CSV columns
------------------

The first line names the columns (any order; unknown columns are refused by name).

=================  ========  =============================================================
column             required  meaning
=================  ========  =============================================================
``badge``          yes       unique badge number or id (``117``, ``L-311``)
``agency``         yes       home agency name (``chandler-az``)
``seniority_date`` yes       ``YYYY-MM-DD``; earlier is more senior
``rank``                     ``officer`` (default) or ``supervisor`` (sergeant and above)
``qualifications``           ``;``-separated, lower-case (``sso;motor``); empty for none
``approved``                 approved for off-duty work: ``yes``/``no`` (also true/false,
                             1/0); default yes
``active``                   active (not on leave or suspended): yes/no; default yes
``schedule``                 on-duty pattern: ``5x8``, ``4x10``, ``pitman``, ``days_off``,
                             ``dates`` or empty / ``none`` (no on-duty time known)
``shift_start``              on-duty start, local ``HH:MM`` (required with a pattern)
``shift_hours``              on-duty shift length in hours; default 8 (5x8), 10 (4x10),
                             12 (pitman), 8 (days_off, dates)
``anchor``                   ``YYYY-MM-DD``: the first on-duty day of a 5x8, 4x10 or
                             pitman cycle (required for those)
``days_off``                 weekdays off for ``days_off``: ``sat;sun`` (mon..sun)
``duty_dates``               dates on duty for ``dates``: ``2027-03-01;2027-03-02``
``history``                  past off-duty work: ``DATE:HOURS`` entries separated by ``;``
                             (``2027-01-05:4;2027-01-12:8.5``); counts toward caps and the
                             fairness look-back
``name``                     display name (optional)
=================  ========  =============================================================

Patterns: ``5x8`` is five days on, two off, from ``anchor``; ``4x10`` four on, three off;
``pitman`` the 14-day 2-2-3 cycle (on on off off on on on off off on on off off off) of
12-hour shifts; ``days_off`` every day except the listed weekdays; ``dates`` exactly the
listed dates.  Every on-duty shift starts at ``shift_start`` local time on its day and lasts
``shift_hours`` of real time (so a night shift runs past midnight).

Every error names the file, the line, the column and the value, e.g.
``roster.csv line 7, seniority_date: '2019-13-01' is not a date (YYYY-MM-DD)``.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, time
from decimal import Decimal
from typing import Iterable, Mapping, Sequence

from .errors import InputError, OffdutyError
from .officers import (CYCLES, WEEKDAY_NAMES, WEEKDAYS, CycleSchedule, DateSchedule, DutySchedule, Officer,
                       OffDutyRecord, Rank, Roster, WeeklySchedule, _hours)


# --- CSV --------------------------------------------------------------------------------

COLUMNS = ("badge", "agency", "seniority_date", "rank", "qualifications", "approved", "active", "schedule",
           "shift_start", "shift_hours", "anchor", "days_off", "duty_dates", "history", "name")
REQUIRED = ("badge", "agency", "seniority_date")
SCHEDULES = ("5x8", "4x10", "pitman", "days_off", "dates", "none")
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}


class RosterError(OffdutyError):
    """One or more problems in a roster file; ``errors`` lists every line's problem."""

    def __init__(self, errors: Sequence[str]):
        self.errors = list(errors)
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        see = "; `offduty roster validate FILE` lists every one" if len(errors) > 1 else ""
        super().__init__(f"{errors[0]}{more}{see}")


class _Bad(Exception):
    def __init__(self, column: str, value: str, why: str):
        self.column, self.value, self.why = column, value, why


class _Bads(Exception):
    """Every bad cell of one line."""

    def __init__(self, bads: list[_Bad]):
        self.bads = bads


def _cells(bads: list[_Bad], parse, *args):
    """``parse(*args)``, or None with its problem added to ``bads`` (so a line's every bad
    column is reported, not only the first)."""
    try:
        return parse(*args)
    except _Bad as bad:
        bads.append(bad)
    except InputError as exc:
        bads.append(_Bad(exc.field, exc.value, exc.allowed))
    return None


def _date(value: str, column: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _Bad(column, value, "is not a date (YYYY-MM-DD)") from None


def _time(value: str, column: str) -> time:
    if not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise _Bad(column, value, "is not a time (HH:MM, 24-hour)")
    h, m = (int(x) for x in value.strip().split(":"))
    if h > 23 or m > 59:
        raise _Bad(column, value, "is not a time (HH:MM, 24-hour)")
    return time(h, m)


def _flag(value: str, column: str) -> bool:
    v = value.strip().lower()
    if v == "":
        return True
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise _Bad(column, value, "must be yes or no")


def _hours_cell(value: str, column: str) -> Decimal:
    try:
        return _hours(value, column)
    except InputError as exc:
        raise _Bad(column, value, exc.allowed) from None


def _schedule(row: Mapping[str, str]) -> DutySchedule | None:
    kind = (row.get("schedule") or "").strip().lower()
    if kind in ("", "none"):
        for column in ("shift_start", "anchor", "days_off", "duty_dates"):
            if (row.get(column) or "").strip():
                raise _Bad(column, row[column], "is given but the schedule column is empty; "
                                                f"set schedule to one of {', '.join(SCHEDULES)}")
        return None
    if kind not in SCHEDULES:
        raise _Bad("schedule", row["schedule"], f"is not a schedule pattern; patterns are {', '.join(SCHEDULES)}")
    start_text = (row.get("shift_start") or "").strip()
    if not start_text:
        raise _Bad("shift_start", "", f"is required for a {kind} schedule (local on-duty start, HH:MM)")
    start = _time(start_text, "shift_start")
    hours_text = (row.get("shift_hours") or "").strip()
    hours = _hours_cell(hours_text, "shift_hours") if hours_text else None
    if kind in CYCLES:
        anchor_text = (row.get("anchor") or "").strip()
        if not anchor_text:
            raise _Bad("anchor", "", f"is required for a {kind} schedule (the first on-duty day of the cycle, "
                                     "YYYY-MM-DD)")
        return CycleSchedule(pattern=kind, shift_start=start, anchor=_date(anchor_text, "anchor"),
                             shift_hours=hours)
    if kind == "days_off":
        text = (row.get("days_off") or "").strip().lower()
        if not text:
            raise _Bad("days_off", "", "is required for a days_off schedule (e.g. sat;sun)")
        days = set()
        for part in re.split(r"[;+ ]+", text):
            if part not in WEEKDAYS and part not in WEEKDAY_NAMES:
                raise _Bad("days_off", row["days_off"], f"{part!r} is not a weekday; use {';'.join(WEEKDAYS)}")
            days.add(WEEKDAYS.index(part[:3]))
        if len(days) == 7:
            raise _Bad("days_off", row["days_off"], "lists every weekday; use schedule none instead")
        return WeeklySchedule(days_off=days, shift_start=start, shift_hours=hours or Decimal(8))
    text = (row.get("duty_dates") or "").strip()
    if not text:
        raise _Bad("duty_dates", "", "is required for a dates schedule (e.g. 2027-03-01;2027-03-02)")
    dates = [_date(part, "duty_dates") for part in re.split(r"[; ]+", text) if part]
    return DateSchedule(dates=dates, shift_start=start, shift_hours=hours or Decimal(8))


def _history(text: str) -> tuple[OffDutyRecord, ...]:
    out = []
    for part in (p for p in re.split(r"[; ]+", text.strip()) if p):
        day_text, sep, hours_text = part.partition(":")
        if not sep:
            raise _Bad("history", part, "is not DATE:HOURS (e.g. 2027-01-05:4)")
        out.append(OffDutyRecord(day=_date(day_text, "history"), hours=_hours_cell(hours_text, "history")))
    return tuple(out)


def _officer(row: Mapping[str, str], agencies: Iterable[str] | None) -> Officer:
    bads: list[_Bad] = []
    for column in REQUIRED:
        if not (row.get(column) or "").strip():
            bads.append(_Bad(column, row.get(column) or "", "is required"))
    badge = (row.get("badge") or "").strip()
    if "," in badge or " " in badge:
        bads.append(_Bad("badge", row["badge"], "must not contain spaces or commas"))
    agency = (row.get("agency") or "").strip()
    if agency and agencies is not None and agency not in agencies:
        bads.append(_Bad("agency", row["agency"],
                         f"is not an installed agency; agencies are {', '.join(sorted(agencies))}"))
    rank_text = (row.get("rank") or "officer").strip().lower() or "officer"
    aliases = {"sergeant": "supervisor", "sgt": "supervisor", "lieutenant": "supervisor"}
    rank_text = aliases.get(rank_text, rank_text)
    if rank_text not in ("officer", "supervisor"):
        bads.append(_Bad("rank", row["rank"], "must be officer or supervisor (sergeant and above)"))
    quals_text = (row.get("qualifications") or "").strip()
    quals = [q for q in re.split(r"[; ]+", quals_text.lower()) if q]
    for q in quals:
        if not re.fullmatch(r"[a-z][a-z0-9_\-]*", q):
            bads.append(_Bad("qualifications", row["qualifications"], f"{q!r} is not a qualification name "
                                                                       "(lower-case, e.g. sso)"))
            break
    seniority = _cells(bads, _date, row.get("seniority_date") or "", "seniority_date") \
        if (row.get("seniority_date") or "").strip() else None
    approved = _cells(bads, _flag, row.get("approved") or "", "approved")
    active = _cells(bads, _flag, row.get("active") or "", "active")
    schedule = _cells(bads, _schedule, row)
    history = _cells(bads, _history, row.get("history") or "")
    if bads:
        raise _Bads(bads)
    return Officer(
        badge=badge,
        agency=agency,
        rank=Rank(rank_text),
        seniority_date=seniority,
        qualifications=quals,
        approved=approved,
        active=active,
        schedule=schedule,
        history=history,
        name=(row.get("name") or "").strip(),
    )


def check_roster(text: str, source: str = "roster.csv",
                 agencies: Iterable[str] | None = None) -> tuple[list[Officer], list[str]]:
    """Parse roster CSV ``text``; return the officers read and every problem found
    (one message per bad line, naming the line, the column and the value)."""
    agencies = None if agencies is None else set(agencies)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:  # CRLF from a spreadsheet, CR alone from an old Mac
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        return [], [f"{source} line {text.count(chr(10), 0, text.index(chr(0))) + 1}: a NUL character; the file is "
                    "not text (UTF-16 or a binary file?); save it as CSV UTF-8"]
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))  # a cell may be as long as the file
    reader = csv.DictReader(io.StringIO(text))
    errors: list[str] = []
    header = reader.fieldnames
    if not header:
        return [], [f"{source} line 1: the file is empty; the first line must name the columns "
                    f"({', '.join(REQUIRED)}, ...)"]
    names = [h.strip().lower() if h else "" for h in header]
    if len(names) == 1:
        for sep, label in ((";", "semicolons"), ("\t", "tabs")):
            if sep in names[0]:
                return [], [f"{source} line 1: the columns are separated by {label}; separate them with commas "
                            "(save the sheet as CSV, comma-delimited)"]
    for name in names:
        if name not in COLUMNS:
            errors.append(f"{source} line 1: unknown column {name!r}; columns are {', '.join(COLUMNS)}")
    for name in REQUIRED:
        if name not in names:
            errors.append(f"{source} line 1: missing column {name!r} (required: {', '.join(REQUIRED)})")
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        errors.append(f"{source} line 1: column {dup!r} appears twice")
    if errors:
        return [], errors
    reader.fieldnames = names
    officers: list[Officer] = []
    seen: dict[str, int] = {}
    line = 1
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a quote left open to the end of the file
            errors.append(f"{source} line {reader.line_num}: not readable as CSV ({exc})")
            break
        line = reader.line_num
        if None in row:
            errors.append(f"{source} line {line}: {len(names) + len(row[None])} values for {len(names)} columns")
            continue
        try:
            officer = _officer(row, agencies)
        except _Bads as bad:
            errors.extend(f"{source} line {line}, {b.column}: {_cell_text(b.value)} {b.why}" for b in bad.bads)
            continue
        except InputError as exc:
            errors.append(f"{source} line {line}, {exc.field}: {_cell_text(exc.value)} {exc.allowed}")
            continue
        if officer.badge in seen:
            errors.append(f"{source} line {line}, badge: {officer.badge!r} is already used on line {seen[officer.badge]}")
            continue
        seen[officer.badge] = line
        officers.append(officer)
    if not officers and not errors:
        errors.append(f"{source}: no officers (only a header line)")
    return officers, errors


def _cell_text(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_roster(text: str, source: str = "roster.csv", agencies: Iterable[str] | None = None) -> Roster:
    """A :class:`Roster` from CSV text, or :class:`RosterError` listing every problem."""
    officers, errors = check_roster(text, source, agencies)
    if errors:
        raise RosterError(errors)
    return Roster(officers)


def load_roster(path: str, agencies: Iterable[str] | None = None) -> Roster:
    """Read a roster CSV file (see the module docstring for its columns)."""
    from .limits import MAX_ROSTER_BYTES
    from .readers import read_text

    return parse_roster(read_text(path, "roster", MAX_ROSTER_BYTES), str(path), agencies)


def roster_to_csv(roster: Iterable[Officer]) -> str:
    """Write officers as roster CSV (the inverse of :func:`parse_roster`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for o in roster:
        s = o.schedule
        row = {"badge": o.badge, "agency": o.agency, "seniority_date": o.seniority_date.isoformat(),
               "rank": o.rank.value, "qualifications": ";".join(sorted(o.qualifications)),
               "approved": "yes" if o.approved else "no", "active": "yes" if o.active else "no",
               "history": ";".join(f"{r.day}:{r.hours}" for r in o.history), "name": o.name}
        if isinstance(s, CycleSchedule):
            row.update(schedule=s.pattern, shift_start=f"{s.shift_start:%H:%M}", shift_hours=str(s.shift_hours),
                       anchor=s.anchor.isoformat())
        elif isinstance(s, WeeklySchedule):
            row.update(schedule="days_off", shift_start=f"{s.shift_start:%H:%M}", shift_hours=str(s.shift_hours),
                       days_off=";".join(WEEKDAYS[d] for d in sorted(s.days_off)))
        elif isinstance(s, DateSchedule):
            row.update(schedule="dates", shift_start=f"{s.shift_start:%H:%M}", shift_hours=str(s.shift_hours),
                       duty_dates=";".join(d.isoformat() for d in sorted(s.dates)))
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return out.getvalue()
