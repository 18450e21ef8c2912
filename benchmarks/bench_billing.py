"""What billing one job story costs: microseconds per ``billing.bill_admitted`` call.

Issue 10 asks that billing one story cost under a third of today's ~76 us.  This script
gives that figure.  It times the core's one billing function,
``offduty_core.billing.bill_admitted(rules, admission, events, payment_method)``, per story.
``admit(rules, request)`` runs once per story, outside the timing, the way the job board keeps
the admission from the request's arrival.

The corpus:

* the JSON stories in ``examples/*.json``;
* ``--per-agency`` stories (default 300, seed 0) from ``offduty_simulations.traffic.stories``
  for each of the four seed agencies.  These aim at the places where rules bite.

The per-agency rows count each example under its story's agency.

Every story goes through the core's story parser (``offduty_core.story.parse_story``).
Stories refused by ``admit`` or by billing are skipped, and the script prints how many.

For each story the script warms up, then picks a loop size N so that one loop takes about
``--target-ms``.  It then makes ``--repeat`` rounds over the whole corpus, timing one loop of
each story per round.  A story's figure is its best loop divided by N.  Rounds spread any
slow drift of the machine over all stories.
Timing uses ``time.perf_counter_ns``, and the garbage collector is off while loops run, as
with ``timeit``.  The script prints the median and the mean of those per-story figures: per
agency, overall, and for the subset of stories whose events are only assignments and clock
records (``Assign`` / ``Clock``, at least one event).  That subset is the headline: "billing
one story with only assignments and clock records".  The figures are printed, never
asserted, because timings belong to the machine.  ``--json`` prints one JSON object instead,
so that a second script can compare two versions.

Which code is measured: the checkout that holds this file (or ``--src DIR``).  An import hook
maps the package names to that checkout's folders: ``offduty_core`` to ``offduty_core/``,
``offduty_plugins`` to ``plugins/`` and ``offduty_simulations`` to ``simulations/``.  The hook
comes before any editable install, so one virtualenv serves both checkouts.  The script checks
that every ``offduty_*`` module it loaded comes from that checkout, and it prints the path.

Comparing two checkouts: run them alternately, A B A B A B, from each checkout's root.  You can
use each checkout's own interpreter, or one shared venv, because the hook picks the code.

    cd /path/to/A && /work/main/.venv/bin/python benchmarks/bench_billing.py --json
    cd /path/to/B && /work/main/.venv/bin/python benchmarks/bench_billing.py --json
    ... (repeat)

A checkout without this file can be measured from one that has it:
``python benchmarks/bench_billing.py --src /path/to/B``.  On a shared VM, whole runs differ by
up to about 5 %.  A difference smaller than the spread of the A runs is no difference.

    python benchmarks/bench_billing.py                      # the table, ~20 s
    python benchmarks/bench_billing.py --per-agency 50      # a quick run
    python benchmarks/bench_billing.py --read               # and read every bill's views

A bill keeps its integer result and makes its lines, ledger transactions and slot summaries
when they are first read.  ``--read`` times that reading too, as ``offduty bill`` and the
simulator's outputs do; without it the figure is what a caller that needs only the totals pays.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.abc
import importlib.util
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path

SEED_AGENCIES = ("chandler-az", "grantsville-ut", "lynnwood-wa", "west-valley-city-ut")
#: package name -> folder of the checkout (as in pyproject's ``package-dir``)
PACKAGE_DIRS = {"offduty_core": "offduty_core", "offduty_plugins": "plugins", "offduty_simulations": "simulations"}
HEADLINE = "assign_clock"


def fail(message: str) -> None:
    print(f"bench_billing: {message}", file=sys.stderr)
    raise SystemExit(2)


# --- import the packages from the chosen checkout ---------------------------------------


class _CheckoutFinder(importlib.abc.MetaPathFinder):
    """Finds the top-level packages in one checkout.  Their submodules follow the packages'
    ``__path__``, so they come from the same folders."""

    def __init__(self, root: Path):
        self.root = root

    def find_spec(self, fullname, path=None, target=None):
        folder = PACKAGE_DIRS.get(fullname)
        if folder is None:
            return None
        pkg = self.root / folder
        init = pkg / "__init__.py"
        if not init.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, init, submodule_search_locations=[str(pkg)])


def use_checkout(root: Path) -> None:
    loaded = [m for m in sys.modules if m.split(".")[0] in PACKAGE_DIRS]
    if loaded:
        fail(f"{loaded[0]} was imported before the checkout was chosen")
    if not (root / "offduty_core" / "__init__.py").is_file():
        fail(f"{root} is not an offduty checkout (no offduty_core/__init__.py)")
    sys.meta_path.insert(0, _CheckoutFinder(root))


def check_sources(root: Path) -> None:
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in PACKAGE_DIRS:
            continue
        file = getattr(module, "__file__", None)
        if file and not Path(file).resolve().is_relative_to(root):
            fail(f"{name} was loaded from {file}, not from {root}")


# --- the API used (kept small, so the script survives API changes) -----------------------


def load_api():
    try:
        plugins = importlib.import_module("offduty_core.plugins")
        billing = importlib.import_module("offduty_core.billing")
        story_mod = importlib.import_module("offduty_core.story")
        traffic = importlib.import_module("offduty_simulations.traffic")
    except Exception as exc:  # e.g. a work-in-progress core that does not import
        fail(f"cannot import the core: {type(exc).__name__}: {exc}".splitlines()[0])
    api = {}
    for module, name in ((plugins, "default_registry"), (billing, "admit"), (billing, "bill_admitted"),
                         (story_mod, "parse_story"), (traffic, "stories")):
        if not callable(getattr(module, name, None)):
            fail(f"{module.__name__}.{name} is missing; this benchmark needs it")
        api[name] = getattr(module, name)
    return api


def kind_of(events) -> str | None:
    """``assign_clock`` if every event is an ``Assign`` or a ``Clock`` (and there is one),
    else None.  Decided by class name, so that the script does not depend on model.py."""
    names = {type(e).__name__ for e in events}
    if names and names <= {"Assign", "Clock"}:
        return HEADLINE
    return None


# --- the corpus -------------------------------------------------------------------------


def corpus(api, root: Path, per_agency: int, seed: int):
    """(label, Story) pairs plus counters of stories that could not be parsed."""
    registry = api["default_registry"]()
    out, unparsed = [], {}
    for path in sorted((root / "examples").glob("*.json")):
        try:
            data = json.loads(path.read_text())
            out.append((f"examples/{path.name}", api["parse_story"](data, registry)))
        except Exception as exc:
            unparsed[type(exc).__name__] = unparsed.get(type(exc).__name__, 0) + 1
    for agency in SEED_AGENCIES:
        try:
            rules = registry.rules(agency)
        except Exception as exc:  # a broken or changed plugin set
            fail(f"registry.rules({agency!r}): {type(exc).__name__}: {exc}".splitlines()[0])
        for i, data in enumerate(api["stories"](rules, seed, per_agency)):
            try:
                out.append((f"{agency}#{i}", api["parse_story"](data, registry)))
            except Exception as exc:
                unparsed[type(exc).__name__] = unparsed.get(type(exc).__name__, 0) + 1
    return out, unparsed


# --- timing -----------------------------------------------------------------------------


def loop_size(bill_admitted, rules, admission, events, method, target_ns: int) -> int:
    """Warm up one story, then the number of calls that takes about ``target_ns``."""
    perf = time.perf_counter_ns
    for _ in range(3):  # warm-up (caches, first-call paths)
        bill_admitted(rules, admission, events, method)
    t0 = perf()
    bill_admitted(rules, admission, events, method)
    bill_admitted(rules, admission, events, method)
    one = max((perf() - t0) / 2, 1)
    return max(1, min(10_000, math.ceil(target_ns / one)))


def time_loop(bill_admitted, rules, admission, events, method, number: int) -> int:
    """Nanoseconds for ``number`` calls."""
    loop = range(number)
    t0 = time.perf_counter_ns()
    for _ in loop:
        bill_admitted(rules, admission, events, method)
    return time.perf_counter_ns() - t0


def summary(values_ns: list[float]) -> dict:
    if not values_ns:
        return {"n": 0, "median_us": None, "mean_us": None}
    return {"n": len(values_ns),
            "median_us": round(statistics.median(values_ns) / 1000, 2),
            "mean_us": round(statistics.fmean(values_ns) / 1000, 2)}


def run(args) -> dict:
    root = Path(args.src).resolve() if args.src else Path(__file__).resolve().parents[1]
    use_checkout(root)
    api = load_api()
    started = time.perf_counter()
    stories, unparsed = corpus(api, root, args.per_agency, args.seed)
    check_sources(root)
    admit, bill_admitted = api["admit"], api["bill_admitted"]
    what = "bill_admitted"
    if args.read:
        bill_only = bill_admitted
        what = "bill_admitted and reading its lines, transactions and slots"

        def bill_admitted(rules, admission, events, method):
            result = bill_only(rules, admission, events, method)
            result.lines, result.transactions, result.slots  # noqa: B018 - made on first read
            return result

    # Admit once per story; keep only stories that admit and bill without a refusal.
    ready, refused = [], {}
    for label, st in stories:
        stage = "admit"
        try:
            admission = admit(st.rules, st.request)
            stage = "bill"
            bill_admitted(st.rules, admission, st.events, st.payment_method)
        except Exception as exc:
            key = f"{stage}: {type(exc).__name__}"
            refused[key] = refused.get(key, 0) + 1
            continue
        agency = getattr(st.rules, "name", None) or label.split("#")[0]
        ready.append((label, agency, st, admission))

    # Timing: a loop size per story, then --repeat rounds over the whole corpus, each round
    # timing one loop per story; a story's figure is its best loop / loop size.  Rounds (rather
    # than all loops of one story in a row) spread slow drift of the machine over all stories.
    target_ns = int(args.target_ms * 1e6)
    gc_was_enabled = gc.isenabled()
    if not args.keep_gc:
        gc.collect()
        gc.disable()
    try:
        numbers = [args.number or loop_size(bill_admitted, st.rules, adm, st.events, st.payment_method, target_ns)
                   for _, _, st, adm in ready]
        best = [math.inf] * len(ready)
        for _ in range(args.repeat):
            for i, (_, _, st, adm) in enumerate(ready):
                ns = time_loop(bill_admitted, st.rules, adm, st.events, st.payment_method, numbers[i])
                if ns < best[i]:
                    best[i] = ns
    finally:
        if gc_was_enabled:
            gc.enable()
    per_story = [(agency, kind_of(st.events), best[i] / numbers[i])  # (agency, kind, ns per call)
                 for i, (_, agency, st, _) in enumerate(ready)]

    groups = [*SEED_AGENCIES, *sorted({a for a, _, _ in per_story} - set(SEED_AGENCIES))]
    result = {
        "source": str(root),
        "python": platform.python_version(),
        "settings": {"per_agency": args.per_agency, "seed": args.seed, "repeat": args.repeat,
                     "target_ms": args.target_ms, "number": args.number or "auto",
                     "loop_sizes": [min(numbers), max(numbers)] if numbers else None,
                     "gc": "on" if args.keep_gc else "off while timing"},
        "stories": len(stories) + sum(unparsed.values()),
        "unparsed": unparsed,
        "refused": refused,
        "timed": len(per_story),
        "headline": {"what": f"{what} for a story with only assignments and clock records",
                     **summary([ns for _, k, ns in per_story if k == HEADLINE])},
        "overall": summary([ns for _, _, ns in per_story]),
        "agencies": {g: summary([ns for a, _, ns in per_story if a == g]) for g in groups},
        "assign_clock_by_agency": {g: summary([ns for a, k, ns in per_story if a == g and k == HEADLINE])
                                   for g in groups},
        "seconds": round(time.perf_counter() - started, 1),
    }
    return result


def fmt(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_table(r: dict) -> None:
    s = r["settings"]
    print(f"{r['headline']['what'].split(' for ')[0]}: microseconds per bill  (source {r['source']}, Python {r['python']})")
    print(f"stories: {r['stories']} ({s['per_agency']} per seed agency, seed {s['seed']}, plus examples); "
          f"timed {r['timed']}; refused {sum(r['refused'].values())}"
          + (f" {r['refused']}" if r["refused"] else "")
          + (f"; rejected by the story parser {sum(r['unparsed'].values())} {r['unparsed']}" if r["unparsed"] else ""))
    print(f"timing: per story, the best of {s['repeat']} rounds of one loop of {s['loop_sizes'][0]}-"
          f"{s['loop_sizes'][1]} calls; gc {s['gc']}" if s["loop_sizes"] else "timing: nothing timed")
    print()
    print(f"{'':22s} {'all stories':>28s}   {'assignments + clock only':>28s}")
    print(f"{'':22s} {'n':>6s} {'median':>10s} {'mean':>10s}   {'n':>6s} {'median':>10s} {'mean':>10s}")
    for g, a in r["agencies"].items():
        b = r["assign_clock_by_agency"][g]
        print(f"{g:22s} {a['n']:6d} {fmt(a['median_us']):>10s} {fmt(a['mean_us']):>10s}   "
              f"{b['n']:6d} {fmt(b['median_us']):>10s} {fmt(b['mean_us']):>10s}")
    o, h = r["overall"], r["headline"]
    print(f"{'overall':22s} {o['n']:6d} {fmt(o['median_us']):>10s} {fmt(o['mean_us']):>10s}   "
          f"{h['n']:6d} {fmt(h['median_us']):>10s} {fmt(h['mean_us']):>10s}")
    print()
    print(f"headline: {h['what']}: median {fmt(h['median_us'])} us, mean {fmt(h['mean_us'])} us "
          f"(n={h['n']}); all stories: median {fmt(o['median_us'])} us, mean {fmt(o['mean_us'])} us")
    print(f"({r['seconds']} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-agency", type=int, default=300, help="generated stories per seed agency (300)")
    parser.add_argument("--seed", type=int, default=0, help="traffic seed (0)")
    parser.add_argument("--repeat", type=int, default=7,
                        help="rounds over the corpus, one timed loop per story each; the best is kept (7)")
    parser.add_argument("--target-ms", type=float, default=2.0,
                        help="aim for loops of about this many milliseconds (2.0)")
    parser.add_argument("--number", type=int, default=None, help="fixed calls per loop (default: from --target-ms)")
    parser.add_argument("--keep-gc", action="store_true", help="leave the garbage collector on while timing")
    parser.add_argument("--src", default=None,
                        help="checkout to measure (default: the one holding this script)")
    parser.add_argument("--read", action="store_true",
                        help="also read each bill's lines, transactions and slots (the views a bill makes on "
                             "first use, as `offduty bill` and the simulator's outputs do)")
    parser.add_argument("--json", action="store_true", help="print one JSON object of the figures")
    args = parser.parse_args(argv)
    if args.per_agency < 0 or args.repeat < 1 or (args.number is not None and args.number < 1):
        parser.error("--per-agency must be >= 0, --repeat and --number >= 1")
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
