"""A pytest plugin for agency-plugin authors: isolated plugin managers, seeded traffic and
golden money files.

Opt in from your project's top-level ``conftest.py``::

    pytest_plugins = ["offduty_core.testing"]

and name the plugin under test in the test module (or with a marker)::

    offduty_plugin = "offduty_agency_springfield_il"      # module-level, or
    @pytest.mark.offduty_plugin("offduty_agency_springfield_il")

Fixtures:

``offduty_registry``
    A :class:`~offduty_core.plugins.Registry` over an isolated plugin manager holding the
    core's defaults and *only* the plugin under test (no built-in agencies, no installed
    entry points), so nothing else installed can change the result.
``offduty_traffic``
    ``offduty_traffic(agency, seed=0, requests=200)`` bills a stored corpus of story traffic
    through the agency and returns a :class:`TrafficResult`: every story's bill or refusal,
    the invoices and weekly payroll.  The corpus is generated once, from the spec as it
    then was (:mod:`offduty_simulations.traffic`), when goldens are recorded
    (``--offduty-regen``), and kept beside them
    (``goldens/<test module>/<agency>-seed<seed>-stories.jsonl``): a rule change re-prices
    the same stories, so the diff shows only money moving, never re-drawn traffic.
``offduty_golden``
    ``offduty_golden.check(result)`` compares a result with the golden file stored beside the
    test (``goldens/<test module>/<test name>.json``).  A missing golden fails loudly; run
    ``pytest --offduty-regen`` to write or rewrite goldens.  A mismatch fails with a readable
    diff: which requests, which lines, by how much, and the payroll per officer and week.
"""

from __future__ import annotations

import importlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from .billing import Bill, bill
from .errors import OffdutyError
from .money import ZERO, fmt
from .payroll import weekly_payroll
from .plugins import BUILTIN_PLUGINS, Registry, get_plugin_manager
from .story import parse_story
from .terms import invoices


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("offduty")
    group.addoption("--offduty-regen", action="store_true", default=False,
                    help="write or rewrite offduty golden files instead of comparing")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "offduty_plugin(module): the agency plugin module under test")


def isolated_registry(*plugins: Any) -> Registry:
    """A registry holding the core's defaults and ``plugins`` only (modules or import names)."""
    objects = [importlib.import_module(p) if isinstance(p, str) else p for p in plugins]
    # Keep the built-ins that define no agency (defaults, distribution methods).
    builtins = [name for name in BUILTIN_PLUGINS if not name.startswith("offduty_plugins.agencies.")]
    return Registry(get_plugin_manager(builtins=builtins, entry_points=False, extra=objects))


def _plugin_under_test(request: pytest.FixtureRequest) -> Any:
    marker = request.node.get_closest_marker("offduty_plugin")
    if marker is not None:
        return marker.args[0]
    plugin = getattr(request.module, "offduty_plugin", None)
    if plugin is None:
        raise pytest.UsageError(
            f"{request.node.nodeid}: name the plugin under test: `offduty_plugin = \"your_module\"` in the test "
            f"module, or @pytest.mark.offduty_plugin(\"your_module\")")
    return plugin


@pytest.fixture
def offduty_registry(request: pytest.FixtureRequest) -> Registry:
    return isolated_registry(_plugin_under_test(request))


@attrs.frozen
class TrafficResult:
    agency: str
    seed: int
    stories: tuple[dict, ...]
    outcomes: tuple[Bill | str, ...]  # a Bill, or the refusal/error message

    @property
    def bills(self) -> list[Bill]:
        return [o for o in self.outcomes if isinstance(o, Bill)]

    def transactions(self) -> list:
        return [t for b in self.bills for t in b.transactions]

    def to_golden(self) -> dict[str, Any]:
        requests: dict[str, Any] = {}
        for story, outcome in zip(self.stories, self.outcomes):
            rid = story["request"]["id"]
            if isinstance(outcome, str):
                requests[rid] = {"refused": outcome}
                continue
            requests[rid] = {
                "vendor_total": fmt(outcome.vendor_total),
                "officer_pay_total": fmt(outcome.officer_pay_total),
                "city_total": fmt(outcome.city_total),
                "lines": [[l.party, l.rule, l.description, l.to_dict()["hours"], l.to_dict()["rate"], fmt(l.amount)]
                          for l in outcome.lines],
            }
        payroll = {run.week_start.isoformat(): {o: fmt(a) for o, a in run.officers}
                   for run in weekly_payroll(self.transactions())}
        bills = self.bills
        return {
            "agency": self.agency,
            "seed": self.seed,
            "totals": {
                "requests": len(self.stories),
                "billed": len(bills),
                "vendor": fmt(sum((b.vendor_total for b in bills), ZERO)),
                "officers": fmt(sum((b.officer_pay_total for b in bills), ZERO)),
                "city": fmt(sum((b.city_total for b in bills), ZERO)),
                "operator_net": fmt(sum((b.operator_net for b in bills), ZERO)),
                "invoices": len(invoices(self.transactions())),
            },
            "requests": requests,
            "payroll": payroll,
        }


def run_traffic(registry: Registry, agency: str, seed: int = 0, requests: int = 200,
                corpus: Path | None = None, regen: bool = False) -> TrafficResult:
    """Bill story traffic through ``agency``: the stories stored in ``corpus`` when given
    (written first when ``regen`` is set or, with no corpus path, generated afresh)."""
    if corpus is not None and corpus.exists() and not regen:
        generated = tuple(json.loads(line) for line in corpus.read_text().splitlines() if line.strip())
    else:
        from offduty_simulations.traffic import stories

        generated = tuple(stories(registry.rules(agency), seed=seed, count=requests))
        if corpus is not None:
            if not regen:
                pytest.fail(f"no traffic corpus {corpus}; run pytest --offduty-regen to generate it (with the "
                            f"goldens), review it, and commit it", pytrace=False)
            corpus.parent.mkdir(parents=True, exist_ok=True)
            corpus.write_text("".join(json.dumps(story, sort_keys=True) + "\n" for story in generated))
    outcomes: list[Bill | str] = []
    for story in generated:
        try:
            parsed = parse_story(story, registry)
            outcomes.append(bill(parsed.rules, parsed.request, parsed.events, parsed.payment_method))
        except OffdutyError as exc:
            outcomes.append(str(exc))
    return TrafficResult(agency=agency, seed=seed, stories=generated, outcomes=tuple(outcomes))


@pytest.fixture
def offduty_traffic(offduty_registry: Registry, request: pytest.FixtureRequest):
    test_file = Path(str(request.node.fspath))
    regen = request.config.getoption("--offduty-regen")

    def run(agency: str, seed: int = 0, requests: int = 200) -> TrafficResult:
        corpus = test_file.parent / "goldens" / test_file.stem / f"{agency}-seed{seed}-stories.jsonl"
        return run_traffic(offduty_registry, agency, seed=seed, requests=requests, corpus=corpus, regen=regen)

    return run


def _money(value: str) -> Decimal:
    return Decimal(value)


def _priced(line: list) -> str:
    """A golden line's money as its invoice shows it: ``hours h x rate = amount``, or the
    amount alone for a line priced without hours (a card fee, a flat charge)."""
    _, _, _, hours, rate, amount = line
    if hours is None or rate is None:
        return amount
    return f"{hours} h x {rate} = {amount}"


def diff_goldens(old: dict[str, Any], new: dict[str, Any], limit: int = 40) -> list[str]:
    """Readable differences between two golden documents: requests, lines, payroll."""
    out: list[str] = []
    for key in ("vendor", "officers", "city", "operator_net"):
        a, b = old.get("totals", {}).get(key), new.get("totals", {}).get(key)
        if a != b:
            delta = _money(b or "0") - _money(a or "0")
            out.append(f"total {key}: {a} -> {b} ({delta:+})")
    old_req, new_req = old.get("requests", {}), new.get("requests", {})
    for rid in sorted(set(old_req) | set(new_req)):
        a, b = old_req.get(rid), new_req.get(rid)
        if a == b:
            continue
        if a is None or b is None:
            out.append(f"{rid}: {'added' if a is None else 'removed'}")
            continue
        if "refused" in a or "refused" in b:
            out.append(f"{rid}: {a.get('refused', 'billed ' + str(a.get('vendor_total')))} -> "
                       f"{b.get('refused', 'billed ' + str(b.get('vendor_total')))}")
            continue
        delta = _money(b["vendor_total"]) - _money(a["vendor_total"])
        out.append(f"{rid}: vendor {a['vendor_total']} -> {b['vendor_total']} ({delta:+}), officers "
                   f"{a['officer_pay_total']} -> {b['officer_pay_total']}")
        keyed_a = {(l[0], l[1], l[2]): l for l in a["lines"]}
        keyed_b = {(l[0], l[1], l[2]): l for l in b["lines"]}
        for k in list(keyed_a) + [k for k in keyed_b if k not in keyed_a]:
            la, lb = keyed_a.get(k), keyed_b.get(k)
            if la == lb:
                continue
            party, rule, desc = k
            if la is None:
                out.append(f"    + {party} {desc} [{rule}]: {_priced(lb)}")
            elif lb is None:
                out.append(f"    - {party} {desc} [{rule}]: {_priced(la)}")
            else:
                d = _money(lb[5]) - _money(la[5])
                out.append(f"    ~ {party} {desc} [{rule}]: {_priced(la)} -> {_priced(lb)} ({d:+})")
    old_pay, new_pay = old.get("payroll", {}), new.get("payroll", {})
    for week in sorted(set(old_pay) | set(new_pay)):
        a, b = old_pay.get(week, {}), new_pay.get(week, {})
        for officer in sorted(set(a) | set(b)):
            if a.get(officer) != b.get(officer):
                d = _money(b.get(officer, "0")) - _money(a.get(officer, "0"))
                out.append(f"payroll week of {week}, officer {officer}: {a.get(officer, '0.00')} -> "
                           f"{b.get(officer, '0.00')} ({d:+})")
    if len(out) > limit:
        out = out[:limit] + [f"... and {len(out) - limit} more differences"]
    return out


class Golden:
    def __init__(self, path: Path, regen: bool):
        self.path = path
        self.regen = regen

    def check(self, result: TrafficResult | dict[str, Any]) -> None:
        data = result.to_golden() if isinstance(result, TrafficResult) else result
        text = json.dumps(data, indent=1, sort_keys=True) + "\n"
        if self.regen:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(text)
            return
        if not self.path.exists():
            pytest.fail(f"no golden file {self.path}; run pytest --offduty-regen to write it, review it, "
                        f"and commit it", pytrace=False)
        old = json.loads(self.path.read_text())
        if old != json.loads(text):
            lines = diff_goldens(old, data)
            pytest.fail(f"money moved against {self.path.name} (pytest --offduty-regen rewrites it):\n"
                        + "\n".join(lines), pytrace=False)


@pytest.fixture
def offduty_golden(request: pytest.FixtureRequest) -> Golden:
    test_file = Path(str(request.node.fspath))
    name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    path = test_file.parent / "goldens" / test_file.stem / f"{name}.json"
    return Golden(path, request.config.getoption("--offduty-regen"))
