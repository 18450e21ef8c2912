"""Seconds to build a year's tables and summary and to write its files (the model run once).

    python benchmarks/bench_outputs.py            # mid-size year (300 officers, ~15,000 shifts)
    python benchmarks/bench_outputs.py --shifts 100000 --officers 2000

Prints the best of ``--repeat`` builds (the summary and all three tables) and writes, the
files' sizes, and a digest of the files
(the same seed must give the same digest).  Run it with another checkout's interpreter to
compare versions: it uses ``Outputs.write_files`` where there is one, else ``Outputs.write``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_simulator import scenario_data  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=300, help="roster size (default 300)")
    parser.add_argument("--shifts", type=int, default=15000, help="about this many shifts a year (default 15,000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--repeat", type=int, default=5, help="builds and writes to time (best is shown)")
    args = parser.parse_args(argv)

    from offduty_core import default_registry
    from offduty_simulations import demand
    from offduty_simulations.model import YearModel, scenario_rules
    from offduty_simulations.outputs import build
    from offduty_simulations.scenario import from_dict

    scenario = from_dict(scenario_data(args.officers, args.shifts))
    published = default_registry().rules(scenario.agency.name)
    rules = scenario_rules(scenario, published)
    rng = demand.streams(args.seed)
    jobs = demand.generate(scenario, rules, rng, price=demand.price_ratio(rules, published))
    result = YearModel(scenario, rules, rng, jobs).run()

    builds, writes, out = [], [], None
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            gc.collect()
            t0 = time.perf_counter()
            out = build(result)
            for _table in out.tables.values():  # assembled when first read in versions that can
                pass
            t1 = time.perf_counter()
            folder = Path(tmp) / f"run{i}"
            folder.mkdir()
            write = getattr(out, "write_files", None) or out.write
            write(folder)
            t2 = time.perf_counter()
            builds.append(t1 - t0)
            writes.append(t2 - t1)
        files = sorted(p for p in folder.iterdir())
        sizes = {p.name: p.stat().st_size for p in files}
        digest = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()[:16]
    print(f"{args.officers} officers, {out.summary['shifts']['total']:,} shifts, "
          f"{out.summary['ledger']['transactions']:,} transactions")
    print(f"build: best {min(builds):.3f} s, median {sorted(builds)[len(builds) // 2]:.3f} s")
    print(f"write: best {min(writes):.3f} s, median {sorted(writes)[len(writes) // 2]:.3f} s")
    print("sizes: " + ", ".join(f"{name} {size / 1024:,.0f} KiB" for name, size in sizes.items()))
    print(f"digest of the files: {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
