"""The live log as the history CSV that ``offduty calibrate`` reads: one row per request the
program received, refused ones included (calibrate fits demand, and a refused request was
still asked for).  Columns: ``simulations/data/README.md``."""

from __future__ import annotations

import csv
import io

from offduty_core.board_records import Cancelled

from .codec import local
from .program import Program

COLUMNS = ("request_id", "agency", "vendor", "category", "received_at", "start", "end", "officers", "vehicle",
           "cancelled_at", "filled", "badges")


def history_csv(program: Program, agency: str | None = None) -> str:
    """Every request of the program (of ``agency``), in the order received."""
    board = program.board
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    cancelled_at: dict[str, list] = {}
    for record in board.records:
        if isinstance(record, Cancelled):
            cancelled_at.setdefault(record.request_id, []).append(record.at)
    for rid, owner in program.agency_of.items():
        if agency is not None and owner != agency:
            continue
        job = board.jobs.get(rid)
        if job is None:
            continue  # refused before it was a job: the request's times are not kept
        tz = job.rules.info.tz
        request = job.request
        # Cancelled: every slot was (the board's Cancel event names only the slots someone
        # held, and none when nobody did), at the last slot's cancellation.
        cancelled = (max(cancelled_at[rid]) if rid in cancelled_at and all(st.status == "cancelled" for st in job.slots)
                     else None)
        settled = job.status == "completed"
        officer_slots = [st for st in job.slots if st.slot.role == "officer"] or job.slots
        filled = ("yes" if all(st.officer is not None and st.status in ("filled",) for st in officer_slots)
                  else "no") if settled and cancelled is None else ""
        badges = sorted({st.officer for st in job.slots if st.officer is not None and st.status == "filled"})
        writer.writerow([rid, owner, request.vendor, request.category, local(request.received_at, tz),
                         local(request.start, tz), local(request.end, tz), request.positions.get("officer", 0) or 1,
                         "yes" if request.vehicle else "no", local(cancelled, tz) or "", filled, ";".join(badges)])
    return out.getvalue()
