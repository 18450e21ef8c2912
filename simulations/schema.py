"""The typed Arrow schemas of the files a simulated year writes, and the column builders.

Each file has one explicit :class:`pyarrow.Schema` here, never one inferred from a frame, so
an analyst reads the same types in pandas, Polars or DuckDB without casting: money as
``decimal128(18, 2)`` (exact and summable), a missing value as a null (never ``""``), every
instant as ``timestamp[us]`` in the agency's zone, dates as ``date32``, lists as lists.
Every field carries its description in its metadata; ``docs/outputs.md`` documents the same
columns for readers, and a test keeps the two in step.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Money: exact decimal dollars to the cent.  18 digits hold any amount under 10^16 dollars,
#: which is every int64 count of cents the engine can sum.
MONEY = pa.decimal128(18, 2)
#: The one timestamp unit of every file (microseconds: native to Parquet, pandas, Polars and DuckDB).
TIME_UNIT = "us"
#: The key of the file's provenance (JSON) in each Parquet file's schema metadata.
PROVENANCE_KEY = b"offduty.provenance"


def _f(name: str, type_: pa.DataType, doc: str, nullable: bool = False) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": doc})


def shifts_schema(tz: str) -> pa.Schema:
    """One row per officer slot of every request (a refused request: one per requested position)."""
    ts = pa.timestamp(TIME_UNIT, tz=tz)
    return pa.schema([
        _f("shift_id", pa.string(), "request_id#slot"),
        _f("request_id", pa.string(), "the request's id"),
        _f("slot", pa.int32(), "slot number in the request: officers first, then supervisors, then scribes"),
        _f("agency", pa.string(), "the agency whose rules admitted and billed the request"),
        _f("vendor", pa.string(), "the vendor who asked for it"),
        _f("category", pa.string(), "job category (security, traffic_control, ...)"),
        _f("source", pa.string(), "what generated it: oneoff, standing, school or event"),
        _f("role", pa.string(), "officer, supervisor or scribe"),
        _f("start", ts, "scheduled start (after any start change)"),
        _f("end", ts, "scheduled end (after any start change)"),
        _f("hours", pa.float64(), "scheduled hours, end - start (real elapsed time)"),
        _f("lead_hours", pa.float64(), "hours from the request's receipt to its original start"),
        _f("lead_bucket", pa.string(), "lead_hours as a bucket: <1d, 1-3d, 3-7d, 7-14d, 14-30d, >=30d"),
        _f("received", ts, "when the request was received"),
        _f("posted", ts, "when the slot was first posted to officers; null if never posted", nullable=True),
        _f("filled", ts, "when an officer was first awarded the slot; null if never", nullable=True),
        _f("time_to_fill_hours", pa.float64(), "filled - posted in hours; null if never filled", nullable=True),
        _f("status", pa.string(), "worked, released, no_show, filled, unfilled, cancelled or refused"),
        _f("officer", pa.string(), "badge of the officer who held the slot at the end, or who was paid for "
                                   "it; null if nobody", nullable=True),
        _f("method", pa.string(), "distribution method of its last posting; null if never posted", nullable=True),
        _f("awards", pa.int32(), "times the slot was awarded (a drop or start change leads to another)"),
        _f("drops", pa.int32(), "times an officer dropped it"),
        _f("worked_hours", pa.float64(), "hours clocked (0 when nobody worked it)"),
        _f("vendor_billed", MONEY, "the vendor invoice lines of this slot, dollars"),
        _f("officer_pay", MONEY, "the officer pay lines of this slot, dollars"),
        _f("request_extras", MONEY, "the request's per-request charges (no slot), on its slot-0 row; 0 elsewhere"),
        _f("card_fee", MONEY, "the request's card-processing fee, on its slot-0 row; 0 elsewhere"),
    ])


OFFICERS = pa.schema([
    _f("badge", pa.string(), "the officer's badge"),
    _f("agency", pa.string(), "home agency (back-up agencies' officers have their own)"),
    _f("rank", pa.string(), "officer or supervisor"),
    _f("qualifications", pa.list_(pa.field("element", pa.string(), nullable=False)),
       "qualifications, sorted (an empty list for none)"),
    _f("schedule", pa.string(), "on-duty schedule; null if none", nullable=True),
    _f("seniority_date", pa.date32(), "seniority date"),
    _f("shifts", pa.int32(), "shifts clocked"),
    _f("hours", pa.float64(), "hours clocked"),
    _f("pay", MONEY, "pay for the year (every officer pay line), dollars"),
    _f("cap_hits", pa.int32(), "times an hour cap refused the officer a shift (all caps)"),
    _f("daily_cap_hits", pa.int32(), "of which the daily cap"),
    _f("weekly_cap_hits", pa.int32(), "of which the weekly cap"),
    _f("monthly_cap_hits", pa.int32(), "of which the monthly cap"),
])

LEDGER = pa.schema([
    _f("tx", pa.int64(), "transaction number (0, 1, ...); a transaction's postings sum to zero"),
    _f("date", pa.date32(), "the transaction's local date"),
    _f("ref", pa.string(), "what it belongs to: a request id, payment:ID, payroll:DATE; null if nothing",
       nullable=True),
    _f("memo", pa.string(), "what happened"),
    _f("account", pa.string(), "the account posted to (assets:cash, receivable:VENDOR, ...)"),
    _f("amount", MONEY, "the posting's amount, dollars (debit positive)"),
])


def schemas(tz: str) -> dict[str, pa.Schema]:
    """Every Parquet file a run writes, by name (without ``.parquet``)."""
    return {"shifts": shifts_schema(tz), "officers": OFFICERS, "ledger": LEDGER}


# --- columns --------------------------------------------------------------------------------


def money(cents: Sequence[int | None] | np.ndarray) -> pa.Array:
    """A ``decimal128(18, 2)`` array of integer cents (None: null), exactly: a decimal128 value
    is the unscaled integer (here, cents) as 16 little-endian bytes, so the cents are written
    as the low word and their sign as the high one, with no Decimal made on the way."""
    raw = _integers(cents, "money is integer cents")
    missing = raw.is_null().to_numpy(zero_copy_only=False) if raw.null_count else None
    low = raw.fill_null(0).to_numpy() if raw.null_count else raw.to_numpy()  # no copy without nulls
    words = np.empty((len(low), 2), dtype=np.int64)
    words[:, 0] = low
    words[:, 1] = low >> 63
    validity = None if missing is None else pa.array(~missing).buffers()[1]
    return pa.Array.from_buffers(MONEY, len(low), [validity, pa.py_buffer(words)],
                                 null_count=0 if missing is None else int(missing.sum()))


def utc_seconds(hours: Sequence[float] | np.ndarray, epoch: datetime) -> pa.Array:
    """Simulation hours after ``epoch`` as whole UTC seconds since 1970 (int64, NaN as null),
    the raw form of an instant column.  Rounded half to even, as
    :meth:`offduty_simulations.demand.Clock.at`'s ``round`` does."""
    h = np.asarray(hours, dtype=np.float64)
    missing = np.isnan(h)
    seconds = np.rint(np.where(missing, 0.0, h) * 3600.0).astype(np.int64) + int(epoch.timestamp())
    return pa.array(seconds, type=pa.int64(), mask=missing if missing.any() else None)


def column(field: pa.Field, values: Sequence | np.ndarray) -> pa.Array:
    """The array of ``field``'s type from its raw values: money as integer cents, an instant
    as whole UTC seconds since 1970, anything else as :func:`pyarrow.array` takes it; None is
    null.  The one conversion both :func:`table` and :class:`~offduty_simulations.sink.ParquetSink`
    use, so a streamed file and a whole table hold the same values."""
    t = field.type
    if pa.types.is_decimal(t):
        return money(values)  # integer cents, so never a float's cents
    if pa.types.is_timestamp(t):
        return pc.multiply(_integers(values, "an instant is whole seconds"), _PER_SECOND[t.unit]).cast(t)
    return pa.array(values, type=t)


def _integers(values, what: str) -> pa.Array:
    """``values`` as int64, refusing floats (``pa.array(.., type=int64)`` would truncate 1.5 to 1)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return pa.array(values, type=pa.int64())
    raw = values if isinstance(values, pa.Array) else pa.array(values)
    if not (pa.types.is_integer(raw.type) or pa.types.is_null(raw.type)):
        raise TypeError(f"{what}, not {raw.type} values")
    return raw.cast(pa.int64())


_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def table(schema: pa.Schema, columns: dict[str, Any]) -> pa.Table:
    """The table of ``schema`` from its columns (arrays, or raw values as :func:`column` takes
    them); a column missing or left over is an error, not a silent null column."""
    if list(columns) != schema.names:
        raise ValueError(f"columns {list(columns)} are not the schema's {schema.names}")
    arrays = [c if isinstance(c, (pa.Array, pa.ChunkedArray)) and c.type == f.type else column(f, c)
              for c, f in zip(columns.values(), schema)]
    for array, field in zip(arrays, schema):  # from_arrays would reinterpret the bytes of another type
        if array.type != field.type:
            raise TypeError(f"column {field.name} is {array.type}, not {field.type}")
    return pa.Table.from_arrays(arrays, schema=schema)


def with_provenance(schema: pa.Schema, provenance: dict | None) -> pa.Schema:
    """``schema`` with the run's provenance as JSON under :data:`PROVENANCE_KEY`."""
    if not provenance:
        return schema
    return schema.with_metadata({PROVENANCE_KEY: json.dumps(provenance, sort_keys=True).encode()})
