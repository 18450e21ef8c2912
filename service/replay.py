"""``offduty service replay``: the live log's settled jobs re-priced under a proposed agency
spec, and the money that would move.

Each settled job is kept as its job story (the ``invoices`` table), so re-pricing is billing
those stories under the proposal: the same requests, the same officers, the same clock
records, only the rules differ.  Who would have been awarded what under the proposal (its
distribution) is not replayed: that is the simulator's question.  The output is the plugin
harness's diff (:func:`offduty_core.goldens.diff_goldens`): totals, each request's lines, each
officer's pay per week; preceded by the totals per vendor.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from offduty_core.billing import Bill
from offduty_core.errors import InputError
from offduty_core.goldens import diff_goldens, price_stories
from offduty_core.plugins import Registry, isolated_registry

from . import tables as t


def load_spec(value: str) -> Any:
    """The proposed agency plugin: a ``.py`` file, or an importable module name."""
    if value.endswith(".py"):
        path = Path(value)
        if not path.is_file():
            raise InputError("--spec", value, "is not a file")
        spec = importlib.util.spec_from_file_location(f"offduty_proposal_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - the proposal's own error, in one line
            raise InputError("--spec", value, f"does not load ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None
        return module
    try:
        return importlib.import_module(value)
    except ImportError:
        raise InputError("--spec", value, "give a plugin module's import name or a .py file") from None


def settled_stories(conn: Connection, agency: str | None) -> list[dict[str, Any]]:
    query = select(t.invoices.c.story).order_by(t.invoices.c.billed_at, t.invoices.c.request_id)
    if agency is not None:
        query = query.where(t.invoices.c.agency == agency)
    return [json.loads(row[0]) for row in conn.execute(query)]


def replay_diff(stories: list[dict[str, Any]], installed: Registry, proposal: Any, limit: int = 200) -> list[str]:
    """The lines ``offduty service replay`` prints: per-vendor totals, then the harness's diff."""
    proposed = isolated_registry(proposal)
    names = proposed.names()
    if len(names) != 1:
        raise InputError("--spec", getattr(proposal, "__name__", proposal),
                         f"must define exactly one agency; it defines {len(names)}")
    agency = names[0]
    mine = [s for s in stories if s.get("agency") == agency]
    before, after = price_stories(tuple(mine), installed, agency), price_stories(tuple(mine), proposed, agency)
    lines = [f"{agency}: {len(mine)} settled jobs re-priced under the proposal"]
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for story, a, b in zip(mine, before.outcomes, after.outcomes):
        vendor = story["request"]["vendor"]
        totals[vendor][0] += a.vendor_total if isinstance(a, Bill) else 0
        totals[vendor][1] += b.vendor_total if isinstance(b, Bill) else 0
    for vendor, (a, b) in sorted(totals.items()):
        if a != b:
            lines.append(f"vendor {vendor}: {a:.2f} -> {b:.2f} ({b - a:+.2f})")
    diff = diff_goldens(before.to_golden(), after.to_golden(), limit=limit)
    return lines + (diff or ["no money moves"])
