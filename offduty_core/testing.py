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

import json
from pathlib import Path
from typing import Any

import pytest

from .goldens import TrafficResult, diff_goldens, price_stories  # noqa: F401 - the harness's names
from .plugins import Registry, isolated_registry  # noqa: F401 - plugin authors import it from here


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("offduty")
    group.addoption("--offduty-regen", action="store_true", default=False,
                    help="write or rewrite offduty golden files instead of comparing")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "offduty_plugin(module): the agency plugin module under test")


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
    return price_stories(generated, registry, agency, seed)


@pytest.fixture
def offduty_traffic(offduty_registry: Registry, request: pytest.FixtureRequest):
    test_file = Path(str(request.node.fspath))
    regen = request.config.getoption("--offduty-regen")

    def run(agency: str, seed: int = 0, requests: int = 200) -> TrafficResult:
        corpus = test_file.parent / "goldens" / test_file.stem / f"{agency}-seed{seed}-stories.jsonl"
        return run_traffic(offduty_registry, agency, seed=seed, requests=requests, corpus=corpus, regen=regen)

    return run


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
