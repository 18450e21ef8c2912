"""Rows kept as Arrow record batches while a year runs: compact, typed, and cheap to append.

A settled job's rows are appended as tuples; every ``batch_rows`` rows the tuples are turned
into one :class:`pyarrow.RecordBatch` and dropped, so what a year keeps is Arrow's compact
columns (a string costs its bytes, a number eight), not hundreds of thousands of Python
objects.  :meth:`Columns.column` reads a column back whole, in append order.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Rows per record batch: large enough that a batch's conversion is one C loop per column,
#: small enough that the tuples waiting for it stay about a megabyte (a mid-size year's
#: peak memory was 5 MB higher with 16,384).
BATCH_ROWS = 4_096


class Columns:
    """Rows of ``schema`` (tuples in field order, values as :func:`pyarrow.array` takes them
    for the field's type) buffered and flushed as record batches of ``batch_rows`` rows."""

    __slots__ = ("schema", "batch_rows", "append", "append_many", "_rows", "_batches", "_flushed")

    def __init__(self, schema: pa.Schema, batch_rows: int = BATCH_ROWS):
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be >= 1, not {batch_rows}")
        self.schema = schema
        self.batch_rows = batch_rows
        self._rows: list[tuple] = []
        self._batches: list[pa.RecordBatch] = []
        self._flushed = 0  # rows already in batches
        # Appending without a check for a full batch: flushed by the caller's :meth:`tick` (or
        # by :meth:`extend`).
        self.append = self._rows.append
        self.append_many = self._rows.extend

    def __len__(self) -> int:
        return self._flushed + len(self._rows)

    def extend(self, rows: Sequence[tuple]) -> None:
        """Append ``rows``, flushing when a batch is full."""
        self._rows.extend(rows)
        if len(self._rows) >= self.batch_rows:
            self.flush()

    def tick(self) -> None:
        """Flush if a batch is full (after rows were added with :attr:`append`)."""
        if len(self._rows) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        """Turn the buffered rows into one record batch."""
        rows = self._rows
        if not rows:
            return
        width = len(self.schema)
        try:  # the rows' values a column at a time, every row checked for its length in C
            columns = list(zip(*rows, strict=True))
        except ValueError:
            columns = []
        if len(columns) != width:
            row = next((row for row in rows if len(row) != width), rows[0])
            raise ValueError(f"a row has {len(row)} values, not {width}: {', '.join(self.schema.names)}")
        arrays = [pa.array(values, type=field.type) for values, field in zip(columns, self.schema)]
        self._batches.append(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        self._flushed += len(rows)
        rows.clear()

    def column(self, name: str) -> pa.Array:
        """Every value of column ``name`` so far, as one array (the buffered rows are flushed first)."""
        self.flush()
        i = self.schema.get_field_index(name)
        if i < 0:
            raise KeyError(name)
        chunks = [batch.column(i) for batch in self._batches]
        if len(chunks) == 1:
            return chunks[0]
        return pa.concat_arrays(chunks) if chunks else pa.array([], type=self.schema.field(i).type)

    def reorder(self, at: np.ndarray) -> None:
        """Keep the rows in the order of the positions ``at`` (a permutation), as one batch.
        Taken a column at a time, each column's old chunks let go once it is taken, so this
        needs the rows plus one column, not the rows twice."""
        self.flush()
        if len(at) != self._flushed:
            raise ValueError(f"{len(at)} positions for {self._flushed} rows")
        if not self._batches:
            return
        columns = [[batch.column(i) for batch in self._batches] for i in range(len(self.schema))]
        self._batches.clear()
        indices = pa.array(at, type=pa.int64())
        taken = []
        for i, field in enumerate(self.schema):
            chunks, columns[i] = columns[i], None
            taken.append(pa.chunked_array(chunks, type=field.type).take(indices).combine_chunks())
            del chunks
        self._batches.append(pa.RecordBatch.from_arrays(taken, schema=self.schema))

    def total(self, name: str) -> int:
        """The sum of the integer column ``name`` (0 when there are no rows)."""
        return pc.sum(self.column(name)).as_py() or 0

    def nbytes(self) -> int:
        """Bytes held by the record batches (the buffered tuples not counted)."""
        return sum(batch.nbytes for batch in self._batches)
