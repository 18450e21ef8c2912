"""Where a simulated shift's time goes: the mid-size year under cProfile, grouped by module.

    python benchmarks/profile_simulator.py            # mid-size year (~15,000 shifts)
    python benchmarks/profile_simulator.py --top 30   # also the 30 functions with most own time

Prints, per module (the simulator's, the core's, SimPy, attrs-generated code, builtins),
the microseconds of own time per shift and its share of the model's run.  cProfile slows
every call by about the same amount, so the shares, not the absolute figures, are what to
read; `bench_simulator.py` gives the real times.  Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_simulator import scenario_data  # noqa: E402


def group_of(filename: str) -> str:
    """A short name for the module a profiled function lives in."""
    if filename == "~":
        return "builtins (C)"
    if filename.startswith("<attrs generated"):
        return "attrs-generated"
    if filename.startswith("<"):
        return "generated"
    parts = filename.replace(os.sep, "/").split("/")
    for marker in ("simpy", "offduty_core", "simulations", "plugins"):
        if marker in parts:
            i = parts.index(marker)
            return "/".join(parts[i:])
    return parts[-1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=300)
    parser.add_argument("--shifts", type=int, default=15_000)
    parser.add_argument("--top", type=int, default=0, help="also list the N functions with most own time")
    parser.add_argument("--everyone", action="store_true",
                        help="every officer takes part, as bench_simulator.py runs it (default: the scenario's participation)")
    args = parser.parse_args(argv)

    from offduty_core import default_registry
    from offduty_simulations import demand
    from offduty_simulations.model import YearModel, scenario_rules
    from offduty_simulations.scenario import from_dict

    data = scenario_data(args.officers, args.shifts)
    if args.everyone:
        data["officers"].update(participation=1.0, activity_sigma=0.0)
    scenario = from_dict(data)
    published = default_registry().rules(scenario.agency.name)
    rules = scenario_rules(scenario, published)
    rng = demand.streams(1)
    jobs = demand.generate(scenario, rules, rng, price=demand.price_ratio(rules, published))
    model = YearModel(scenario, rules, rng, jobs)
    profile = cProfile.Profile()
    profile.enable()
    result = model.run()
    profile.disable()
    tally = getattr(result, "tally", None)  # a checkout that keeps every record has board_records
    shifts = (sum(status != "refused" for status in tally.shifts.column("status").to_pylist()) if tally is not None
              else sum(len(r.roles) for r in result.board_records if type(r).__name__ == "Approved"))
    stats = pstats.Stats(profile)
    own: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    for (filename, _line, _name), (_cc, nc, tt, _ct, _callers) in stats.stats.items():
        own[group_of(filename)] += tt
        calls[group_of(filename)] += nc
    total = sum(own.values())
    print(f"{len(jobs)} requests, {shifts} shifts, {total:.2f} s under cProfile "
          f"({total / shifts * 1e6:.0f} us a shift)")
    print(f"{'module':<44} {'us/shift':>9} {'share':>6} {'calls/shift':>12}")
    for group, tt in sorted(own.items(), key=lambda kv: -kv[1]):
        if tt / total < 0.005:
            continue
        print(f"{group:<44} {tt / shifts * 1e6:>9.1f} {tt / total:>6.1%} {calls[group] / shifts:>12.1f}")
    planning = [(nc, ct) for (filename, _line, name), (_cc, nc, _tt, ct, _callers) in stats.stats.items()
                if (name, os.path.basename(filename)) in (("plan", "looks.py"), ("_plan_look", "model.py"))]
    # The standing objections worked out (the planner asks the board for every officer it
    # draws; the rules' answer is kept on the shift, so a repeat costs no check).
    checks = sum(nc for (filename, _line, name), (_cc, nc, *_rest) in stats.stats.items()
                 if name == "_fixed_core_objection" and os.path.basename(filename) == "eligibility_rules.py")
    if planning:
        nc, ct = planning[0]
        print(f"planning looks: {ct / total:.1%} of the run (cumulative), {nc / shifts:.1f} plannings and "
              f"{checks / shifts:.1f} standing-objection checks a shift")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
