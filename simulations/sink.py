"""A Parquet file written as rows arrive, with flat memory: the writer side of streamed outputs.

A simulator that writes each settled job's rows here, instead of keeping every record until the
end, holds at most ``batch_rows`` rows per file in memory.  The API is deliberately tiny::

    with ParquetSink(folder / "shifts.parquet", schema.shifts_schema(tz), provenance=prov) as sink:
        sink.append(row)        # a tuple in the schema's field order, raw values (below)
        ...                     # every batch_rows rows are flushed as one Arrow record batch

Raw values are what the engine already holds: money as integer cents, an instant as whole UTC
seconds since 1970, a date as a ``datetime.date``, a list as a list, None for null
(:func:`offduty_simulations.schema.column` converts them, as it does for whole tables, so a
streamed file holds the same values as one written from a table).  Write into the temporary
folder of an :class:`~offduty_simulations.writing.OutFolder`: the file is complete only when the
``with`` block ends without an error, and the folder is moved into place only after that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from . import schema as S


class ParquetSink:
    """Rows appended to column buffers, flushed every ``batch_rows`` rows as a record batch to
    a :class:`pyarrow.parquet.ParquetWriter` on ``path`` (one row group per batch).  The same
    rows and ``batch_rows`` give the same bytes."""

    def __init__(self, path: str | Path, schema: pa.Schema, batch_rows: int = 65_536,
                 provenance: dict | None = None):
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be >= 1, not {batch_rows}")
        self.path = Path(path)
        self.schema = S.with_provenance(schema, provenance)
        self.batch_rows = batch_rows
        self.rows = 0  # appended so far
        self._buffers: list[list] = [[] for _ in schema]
        self._adds = [b.append for b in self._buffers]
        self._pending = 0
        self._writer = pq.ParquetWriter(self.path, self.schema, compression="snappy")

    def append(self, row: Sequence) -> None:
        """Add one row: a tuple of raw values in the schema's field order."""
        if len(row) != len(self._adds):
            raise ValueError(f"a row of {self.path.name} has {len(self._adds)} values, not {len(row)}: "
                             f"{', '.join(self.schema.names)}")
        for add, value in zip(self._adds, row):
            add(value)
        self._pending += 1
        self.rows += 1
        if self._pending >= self.batch_rows:
            self.flush()

    def extend(self, rows: Iterable[Sequence]) -> None:
        for row in rows:
            self.append(row)

    def flush(self) -> None:
        """Write the buffered rows as one record batch and empty the buffers."""
        if not self._pending:
            return
        arrays = [S.column(field, values) for field, values in zip(self.schema, self._buffers)]
        self._writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        for values in self._buffers:
            values.clear()
        self._pending = 0

    def close(self) -> None:
        """Flush and finish the file (its footer is written now: before, it is not a Parquet file)."""
        if self._writer is not None:
            self.flush()
            self._writer.close()
            self._writer = None

    def __enter__(self) -> "ParquetSink":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        elif self._writer is not None:  # an unfinished file is not left looking finished
            self._writer.close()
            self._writer = None
            self.path.unlink(missing_ok=True)
