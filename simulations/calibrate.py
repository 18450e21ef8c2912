"""Fit a scenario's demand from an agency's past job log.

``offduty calibrate HISTORY.csv --out scenario.toml`` reads one row per past request (columns
in ``simulations/data/README.md``) and writes a scenario whose ``[demand]`` and ``[changes]``
reproduce it: requests per week, vendors, lead time (log-normal: median and log-sd), duration
and officers per request (the observed values and their frequencies), vehicle share and the
start-hour profile per category; seasonality by month and weekday; the cancellation rate and
how many cancellations fell inside the agency's window.  Everything else keeps the documented
defaults; edit the file for the roster, the methods and the payment behaviour.

All past requests are fitted as one-off demand by category: a standing post or a school
calendar in the history shows up as a steady rate in its category (split it into
``[[demand.standing]]`` or ``[demand.school]`` by hand if it matters).
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from offduty_core import default_registry
from offduty_core.errors import InputError, short
from offduty_core.limits import MAX_HISTORY_BYTES, MAX_POSITIONS, MAX_SHIFT_HOURS, MAX_YEAR, MIN_YEAR
from offduty_core.readers import ProblemsError, read_text

from .scenario import from_dict
from .writing import atomic_file, check_file

COLUMNS = ("request_id", "agency", "vendor", "category", "received_at", "start", "end", "officers", "vehicle",
           "cancelled_at", "filled", "badges")
REQUIRED = ("request_id", "vendor", "category", "received_at", "start", "end", "officers")
MAX_VALUES = 8  # at most this many distinct durations / officer counts per category


@attrs.frozen
class Fit:
    data: dict
    rows: int
    days: int
    agency: str
    unknown_months: tuple[str, ...] = ()
    officers: int | None = None
    officers_source: str | None = None

    def report(self) -> str:
        lines = [f"{self.rows} past requests over {self.days} days for {self.agency}:"]
        if self.unknown_months:
            lines.append(f"  no history for {', '.join(self.unknown_months)}: assumed like the average covered "
                         f"month (factor 1.0)")
        if self.officers is not None:
            o = self.data.get("officers", {})
            part = (f"; participation {o['participation']:.2f}, activity spread {o['activity_sigma']:.2f} "
                    f"(from the shifts each badge worked)" if "participation" in o else "")
            lines.append(f"  officers: {self.officers} ({self.officers_source}){part}")
        else:
            lines.append("  officers: the scenario default (the history names no officers: give --officers, or a "
                         "badges column)")
        for name, c in sorted(self.data["demand"]["categories"].items()):
            lt = c["lead_time_days"]
            lines.append(f"  {name}: {c['requests_per_week']:.2f}/week, {c['vendors']} vendors, lead median "
                         f"{lt['median']:.2f} d (sigma {lt['sigma']:.2f}), mean {_mean(c['duration_hours']):.2f} h, "
                         f"{_mean(c['officers']):.2f} officers")
        ch = self.data["changes"]
        lines.append(f"  cancellation rate {ch['cancel_rate']:.3f}, inside the window {ch['cancel_inside_window']:.2f}")
        return "\n".join(lines)


def _mean(choice: dict) -> float:
    v = np.asarray(choice["values"], dtype=float)
    w = np.asarray(choice["weights"], dtype=float)
    return float((v * w).sum() / w.sum())


def read_history(path: str | Path) -> pd.DataFrame:
    """Read and check a history CSV.  Every bad cell is reported (the first
    :data:`~offduty_core.limits.MAX_PROBLEMS` and how many more, in one line naming each
    line, column and value), not only the first."""
    text = read_text(path, "HISTORY", MAX_HISTORY_BYTES)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise InputError("HISTORY", str(path), f"is empty; give a header line ({', '.join(COLUMNS)}) and "
                                                "one row per past request") from None
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        raise InputError("HISTORY", str(path), f"is not a readable CSV ({' '.join(str(exc).split())})") from None
    unknown = [c for c in df.columns if c not in COLUMNS]
    if unknown:
        raise InputError(f"{path} line 1", unknown[0], f"unknown column; columns are {', '.join(COLUMNS)}")
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(f"{path} line 1", missing[0], f"missing column; required: {', '.join(REQUIRED)}")
    if df.empty:
        raise InputError(str(path), "a header line only", "give one row per past request")
    problems: list[tuple[int, int, str]] = []  # (line, column order, text): listed in file order

    def bad(i: int, column: str, value: object, why: str) -> None:
        problems.append((i + 2, COLUMNS.index(column), f"line {i + 2}, {column}: {short(value)} {why}"))

    seen: dict[str, int] = {}
    for i, rid in enumerate(df["request_id"].tolist()):
        rid = rid.strip()
        if not rid:
            bad(i, "request_id", rid, "must not be empty")
        elif rid in seen:
            bad(i, "request_id", rid, f"already on line {seen[rid]}; one row per request")
        else:
            seen[rid] = i + 2
    times = [c for c in ("received_at", "start", "end", "cancelled_at") if c in df.columns]
    # Python lists: iterating pandas' string columns item by item costs several times more.
    written = {col: [t.strip() for t in df[col].tolist()] for col in times}  # also for messages
    epochs: dict[str, np.ndarray] = {}
    for col in times:
        epochs[col] = _epochs(written[col], col, bad)
        df[col] = pd.to_datetime(epochs[col], unit="s", utc=True)  # NaN (empty or bad) -> NaT
    counts = np.zeros(len(df), dtype=np.int64)
    for i, text in enumerate(df["officers"].tolist()):
        text = text.strip()
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_POSITIONS:
            bad(i, "officers", text, f"must be a whole number >= 1 (at most {MAX_POSITIONS})")
        else:
            counts[i] = int(text)
    df["officers"] = counts
    if "vehicle" in df.columns:
        flags = df["vehicle"].str.strip().str.lower()
        for i in np.flatnonzero(~flags.isin(VEHICLE_YES + VEHICLE_NO).to_numpy()):
            bad(i, "vehicle", df["vehicle"][i], "give yes or no (also y/n, true/false, 1/0, or empty for no)")
        df["vehicle"] = flags.isin(VEHICLE_YES)
    else:
        df["vehicle"] = False
    if "filled" in df.columns:  # whether every position was filled; empty: not known
        flags = df["filled"].str.strip().str.lower()
        for i, text in enumerate(flags):
            if text not in VEHICLE_YES and text not in VEHICLE_NO:
                bad(i, "filled", df["filled"][i], "give yes or no (also y/n, true/false, 1/0), or empty when not known")
        df["filled"] = [None if t == "" else t in VEHICLE_YES for t in flags]
    _check_times(epochs, written, bad)
    if problems:
        problems.sort()
        raise ProblemsError(str(path), [text for _, _, text in problems])
    return df


VEHICLE_YES = ("yes", "y", "true", "1")
VEHICLE_NO = ("no", "n", "false", "0", "")


def _epochs(column: list[str], name: str, bad) -> np.ndarray:
    """UTC epoch seconds of ISO times with offsets (NaN where empty or refused)."""
    out = np.full(len(column), np.nan)
    for i, text in enumerate(column):
        if not text and name == "cancelled_at":
            continue
        try:
            value = datetime.fromisoformat(text) if len(text) <= 64 else None
        except ValueError:
            value = None
        if value is None:
            bad(i, name, text, "give an ISO time with its offset, e.g. 2027-03-10T10:00-07:00")
        elif value.tzinfo is None:
            bad(i, name, text, "needs its UTC offset (-07:00)")
        elif not MIN_YEAR <= value.year <= MAX_YEAR:
            bad(i, name, text, f"give a time in the years {MIN_YEAR} to {MAX_YEAR}")
        else:
            out[i] = value.timestamp()
    return out


def _check_times(epochs: dict[str, np.ndarray], written: dict[str, list[str]], bad) -> None:
    """Each row's times in order: received <= start < end, at most a shift's length apart, and
    a cancellation between the request's arrival and its end (compared as arrays; messages
    quote the times as written)."""
    received, start, end = epochs["received_at"], epochs["start"], epochs["end"]
    with np.errstate(invalid="ignore"):
        for i in np.flatnonzero(end <= start):
            bad(i, "end", written["end"][i],
                f"must be after the start ({written['start'][i]})")
        for i in np.flatnonzero(end - start > MAX_SHIFT_HOURS * 3600):
            bad(i, "end", written["end"][i], f"must be at most {MAX_SHIFT_HOURS} h after the start "
                                               f"({written['start'][i]})")
        for i in np.flatnonzero(received > start):
            bad(i, "received_at", written["received_at"][i],
                f"must not be after the start ({written['start'][i]})")
        if "cancelled_at" in epochs:
            cancelled = epochs["cancelled_at"]
            for i in np.flatnonzero(~np.isnan(cancelled) & ~((received <= cancelled) & (cancelled < end))
                                    & ~np.isnan(received) & ~np.isnan(end)):
                bad(i, "cancelled_at", written["cancelled_at"][i],
                    f"must fall between the request's arrival ({written['received_at'][i]}) and its end "
                    f"({written['end'][i]})")


def _choice(values: pd.Series, step: float) -> dict:
    rounded = (values / step).round() * step
    counts = Counter(float(v) for v in rounded if v > 0)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_VALUES]
    top.sort()
    return {"values": [round(v, 2) for v, _ in top], "weights": [int(n) for _, n in top]}


def _profile(counts: np.ndarray, exposure: np.ndarray, floor: float = 0.01) -> list[float]:
    """Factors of a seasonal profile: each period's rate per day of history over the mean
    rate of the periods the history covers.  A period the history does not cover at all
    is *unknown*, not quiet: it gets 1.0, the covered periods' average (so a half-year
    history neither doubles the covered months nor empties the others).  A covered period
    with no request is data: it gets ``floor``."""
    covered = exposure > 0
    rate = np.where(covered, counts / np.maximum(exposure, 1e-9), 0.0)
    mean = rate[covered].mean() if covered.any() else 1.0
    out = np.where(covered, rate / mean if mean > 0 else 1.0, 1.0)
    return [round(float(max(x, floor)), 3) for x in out]


#: Requests a category needs before its own month and weekday profiles are fitted (below it,
#: the category follows the profiles of all requests).
OWN_SEASONALITY = 150
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fit(df: pd.DataFrame, agency: str | None = None, officers: int | None = None) -> Fit:
    """The scenario data (a dict, ``scenario.from_dict``-ready) that reproduces ``df``."""
    registry = default_registry()
    names = sorted(set(df["agency"]) - {""}) if "agency" in df.columns else []
    if agency is None:
        if len(names) != 1:
            raise InputError("--agency", names, "the history names no single agency; give --agency")
        agency = names[0]
    elif names:  # a log of several agencies: fit the one asked for (rows with no agency count as it)
        if agency not in names:
            raise InputError("--agency", agency, f"the history has rows for {', '.join(names)} only")
        df = df[df["agency"].isin((agency, ""))].reset_index(drop=True)
    rules = registry.rules(agency)
    tz = rules.info.tz
    local_start = df["start"].dt.tz_convert(tz)
    first, last = local_start.min().date(), local_start.max().date()
    days = (last - first).days + 1
    weeks = days / 7.0
    all_days = pd.date_range(first, last, freq="D")
    month_exposure = np.array([(all_days.month == m).sum() for m in range(1, 13)], dtype=float)
    weekday_exposure = np.array([(all_days.day_of_week == d).sum() for d in range(7)], dtype=float)
    month_counts = np.bincount(local_start.dt.month - 1, minlength=12).astype(float)
    weekday_counts = np.bincount(local_start.dt.day_of_week, minlength=7).astype(float)
    hour_counts = np.bincount(local_start.dt.hour, minlength=24).astype(float)

    lead_days = ((df["start"] - df["received_at"]).dt.total_seconds() / 86400.0).clip(lower=1 / 24)
    hours = (df["end"] - df["start"]).dt.total_seconds() / 3600.0
    categories: dict[str, Any] = {}
    for cat, idx in sorted(df.groupby("category").groups.items()):
        sub = df.loc[idx]
        logs = np.log(lead_days.loc[idx].to_numpy())
        entry = {
            "vendors": int(sub["vendor"].nunique()),
            "requests_per_week": round(len(sub) / weeks, 4),
            "lead_time_days": {"median": round(float(math.exp(logs.mean())), 4),
                               "sigma": round(float(logs.std(ddof=1)) if len(logs) > 1 else 0.0, 4),
                               "max": round(float(lead_days.loc[idx].max()) * 1.5, 1)},
            "duration_hours": _choice(hours.loc[idx], 0.5),
            "officers": _choice(sub["officers"].astype(float), 1.0),
            "vehicle_share": round(float(sub["vehicle"].mean()), 4),
        }
        if len(sub) >= 200:
            h = np.bincount(local_start.loc[idx].dt.hour, minlength=24).astype(float)
            entry["hour"] = [round(float(x), 3) for x in (h + 0.05) / (h + 0.05).mean()]
        if len(sub) >= OWN_SEASONALITY:  # school shifts stay on school days and out of summer
            starts = local_start.loc[idx]
            entry["month"] = _profile(np.bincount(starts.dt.month - 1, minlength=12).astype(float), month_exposure,
                                      floor=0.0)
            entry["weekday"] = _profile(np.bincount(starts.dt.day_of_week, minlength=7).astype(float),
                                        weekday_exposure, floor=0.0)
        categories[cat] = entry

    window = rules.cancellation.window.total_seconds() / 3600.0
    cancelled = df["cancelled_at"].notna() if "cancelled_at" in df.columns else pd.Series(False, index=df.index)
    n_cancel = int(cancelled.sum())
    inside = 0.0
    if n_cancel and window > 0:
        before = (df.loc[cancelled, "start"] - df.loc[cancelled, "cancelled_at"]).dt.total_seconds() / 3600.0
        inside = float((before <= window).mean())
    unknown = [MONTHS[m] for m in range(12) if month_exposure[m] == 0]
    assumed = (f"; no history for {', '.join(unknown)}: those months are assumed to be like the average "
               f"covered month (factor 1.0)" if unknown else "")
    data = {
        "name": f"{agency} calibrated",
        "description": f"fitted by offduty calibrate from {len(df)} requests, {first} to {last}{assumed}",
        "agency": {"name": agency, "year": first.year, "start": first.isoformat(), "days": min(days, 731)},
        "demand": {
            "month": _profile(month_counts, month_exposure),
            "weekday": _profile(weekday_counts, weekday_exposure),
            "hour": [round(float(x), 3) for x in (hour_counts + 0.05) / (hour_counts + 0.05).mean()],
            "categories": categories,
        },
        "changes": {"cancel_rate": round(n_cancel / len(df), 4), "cancel_inside_window": round(inside, 4)},
    }
    source = "given"
    worked: Counter = Counter()
    if "badges" in df.columns:
        worked = Counter(b.strip() for cell in df["badges"] for b in str(cell).split(";") if b.strip())
    if officers is None and worked:
        officers, source = len(worked), "distinct badges in the history"
    if officers is not None:
        data["officers"] = {"count": officers}
        if worked:
            data["officers"].update(_participation(worked, officers))
    from_dict(data)  # the written file must load
    return Fit(data=data, rows=len(df), days=days, agency=agency, unknown_months=tuple(unknown),
               officers=officers, officers_source=source if officers is not None else None)


def calibrate_file(history: str | Path, out: str | Path, agency: str | None = None,
                   officers: int | None = None) -> Fit:
    """Fit ``history`` and write the scenario to ``out``.  ``out`` is checked before the fit
    (a folder that does not exist is refused at once, not after minutes of work) and written
    whole or not at all (a temporary file beside it, then renamed)."""
    out = check_file(out, force=True)  # the command refuses an existing file without --force
    result = fit(read_history(history), agency=agency, officers=officers)
    header = (f"# Fitted by `offduty calibrate {Path(history).name}`: demand and cancellations from the\n"
              f"# agency's past jobs.  Every other key keeps its documented default (`offduty scenario`\n"
              f"# lists them); set the roster, methods and payment behaviour by hand.\n")
    if result.unknown_months:
        header += (f"# No history for {', '.join(result.unknown_months)}: demand.month (and each category's month)\n"
                   f"# gives those months 1.0, the average of the months the history covers.  Replace it\n"
                   f"# if you know better.\n")
    header += "\n"
    try:
        with atomic_file(out) as tmp:
            tmp.write_text(header + dumps_toml(result.data), encoding="utf-8")
    except OSError as exc:
        raise InputError("--out", str(out), f"cannot be written ({exc.strerror or exc})") from None
    return result


def _participation(worked: Counter, roster: int) -> dict:
    """``officers.participation`` and ``activity_sigma`` from the shifts each badge worked.

    Participation is the share of the roster that worked at all (1.0 when the roster is taken
    from the badges themselves).  An officer's shifts grow roughly as exp(their log-odds
    offset), so the spread of log(shifts) estimates the offsets' spread once the Poisson noise
    of small counts (about 1/shifts in variance) is taken out."""
    counts = np.array(sorted(worked.values()), dtype=float)
    share = min(1.0, len(counts) / roster)
    noise = float(np.mean(1.0 / counts))
    spread = float(np.var(np.log(counts), ddof=1)) if len(counts) > 1 else 0.0
    return {"participation": round(share, 4), "activity_sigma": round(min(3.0, math.sqrt(max(0.0, spread - noise))), 3)}


# --- a held-out check ---------------------------------------------------------------------------


@attrs.frozen
class Holdout:
    """Fitted on the history before ``cutoff``; predicted against the history from it on."""

    fit: Fit
    cutoff: Any
    last: Any
    replications: int
    level: float
    rows: list[dict]  # measure, actual, predicted mean, interval low/high, inside

    def report(self) -> str:
        lines = [f"held-out check: fitted on {self.fit.rows} requests before {self.cutoff}; predicted "
                 f"{self.cutoff} to {self.last} over {self.replications} replications "
                 f"({self.level:.0%} prediction intervals: where one more simulated period would fall)",
                 f"  {'measure':34s} {'actual':>10s} {'predicted':>10s} {'interval':>23s}  inside"]
        for r in self.rows:
            m = r["measure"]
            actual = "n/a" if r["actual"] is None else _num(r["actual"], m)
            interval = f"{_num(r['low'], m)} to {_num(r['high'], m)}"
            inside = "-" if r["inside"] is None else ("yes" if r["inside"] else "NO")
            lines.append(f"  {m:34s} {actual:>10s} {_num(r['predicted'], m):>10s} {interval:>23s}  {inside}")
        if all(r["actual"] is None for r in self.rows if r["measure"] == "fill rate"):
            lines.append("  (the history has no filled column: the fill rate cannot be checked)")
        return "\n".join(lines)


def _num(value: float, measure: str = "") -> str:
    if value != value:
        return "-"
    if measure == "fill rate":
        return f"{value:.3f}"
    if measure.startswith("median"):
        return f"{value:.2f}"
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.1f}"


def holdout(df: pd.DataFrame, cutoff: str, agency: str | None = None, officers: int | None = None,
            replications: int = 5, seed: int = 0, level: float = 0.95) -> Holdout:
    """Fit on the requests that start before local date ``cutoff``, simulate the rest of the
    history's span with the fitted scenario ``replications`` times, and set the predicted
    requests (all and per category), median lead time and fill rate beside the actual ones,
    each with a ``level`` prediction interval from the replications' spread."""
    from datetime import date as _date

    from scipy import stats

    from .runner import replicate

    try:
        day = _date.fromisoformat(cutoff)
    except ValueError:
        raise InputError("--holdout-from", cutoff, "give a date, YYYY-MM-DD") from None
    rules_tz = default_registry().rules(agency or _single_agency(df)).info.tz
    local = df["start"].dt.tz_convert(rules_tz).dt.date
    before, after = df[local < day].reset_index(drop=True), df[local >= day].reset_index(drop=True)
    if len(before) < 20 or after.empty:
        raise InputError("--holdout-from", cutoff, f"leaves {len(before)} requests to fit and {len(after)} to check; "
                                                   "pick a date with at least 20 before it and some after")
    fitted = fit(before, agency=agency, officers=officers)
    last = local.max()
    data = {**fitted.data, "agency": {**fitted.data["agency"], "year": day.year, "start": day.isoformat(),
                                      "days": (last - day).days + 1}}
    scenario = from_dict(data)
    children = np.random.SeedSequence(seed).spawn(replications)
    categories = sorted(set(after["category"]) | set(fitted.data["demand"]["categories"]))
    sims = []
    for child in children:
        out = replicate(scenario, child)
        firsts = out.shifts[out.shifts["slot"] == 0]
        sims.append({"requests": float(len(firsts)),
                     **{f"requests: {c}": float((firsts["category"] == c).sum()) for c in categories},
                     "median lead time (days)": float(firsts["lead_hours"].median() / 24.0),
                     "fill rate": float(out.summary["fill_rate"]) if out.summary["fill_rate"] is not None
                     else float("nan")})
    lead = (after["start"] - after["received_at"]).dt.total_seconds() / 86400.0
    known = after["filled"].dropna() if "filled" in after.columns else pd.Series([], dtype=object)
    actual = {"requests": float(len(after)),
              **{f"requests: {c}": float((after["category"] == c).sum()) for c in categories},
              "median lead time (days)": float(lead.median()),
              "fill rate": float(known.astype(bool).mean()) if len(known) else None}
    rows = []
    for measure in actual:
        values = np.array([s[measure] for s in sims], dtype=float)
        values = values[~np.isnan(values)]
        n = len(values)
        mean = float(values.mean()) if n else float("nan")
        spread = (float(stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) * math.sqrt(1 + 1 / n))
                  if n > 1 else float("nan"))
        low, high = mean - spread, mean + spread
        if measure != "median lead time (days)" and measure != "fill rate":
            low = max(0.0, low)
        if measure == "fill rate":
            low, high = max(0.0, low), min(1.0, high)
        a = actual[measure]
        inside = None if a is None or spread != spread else bool(low <= a <= high)
        rows.append({"measure": measure, "actual": a, "predicted": mean, "low": low, "high": high, "inside": inside})
    return Holdout(fit=fitted, cutoff=day, last=last, replications=replications, level=level, rows=rows)


def _single_agency(df: pd.DataFrame) -> str:
    names = sorted(set(df["agency"]) - {""}) if "agency" in df.columns else []
    if len(names) != 1:
        raise InputError("--agency", names, "the history names no single agency; give --agency")
    return names[0]


# --- history from a simulated year (the shipped synthetic history, the round-trip test) ---------


def history_frame(jobs, clock) -> pd.DataFrame:
    """A job log in the history format from generated :class:`~offduty_simulations.demand.Job`s
    (the cancellation time is the vendor's planned one)."""
    rows = []
    for j in jobs:
        r = j.request
        tz = clock.tz
        rows.append({
            "request_id": j.id, "agency": "", "vendor": r.vendor, "category": r.category,
            "received_at": r.received_at.astimezone(tz).isoformat(timespec="minutes"),
            "start": r.start.astimezone(tz).isoformat(timespec="minutes"),
            "end": r.end.astimezone(tz).isoformat(timespec="minutes"),
            "officers": r.positions["officer"], "vehicle": "yes" if r.vehicle else "no",
            "cancelled_at": clock.at(j.cancel_at).isoformat(timespec="minutes") if j.cancel_at is not None else "",
        })
    return pd.DataFrame(rows, columns=list(COLUMNS))


# --- a small TOML writer (tables, arrays of numbers/strings, scalars) --------------------------


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} as TOML")


def dumps_toml(data: dict, prefix: str = "") -> str:
    """TOML for nested dicts: dicts become tables, except distributions, written inline."""
    scalars, tables = [], []
    for k, v in data.items():
        if isinstance(v, dict) and not _inline(v):
            tables.append((k, v))
        else:
            scalars.append(f"{k} = {_value(v)}")
    out = "\n".join(scalars) + ("\n" if scalars else "")
    for k, v in tables:
        out += f"\n[{prefix}{k}]\n" + dumps_toml(v, f"{prefix}{k}.")
    return out


def _inline(d: dict) -> bool:
    """Leaf dicts written inline: distributions ({median, sigma}, {values, weights})."""
    return all(not isinstance(x, dict) for x in d.values()) and set(d) <= {"median", "sigma", "min", "max", "values",
                                                                           "weights", "mean"}
