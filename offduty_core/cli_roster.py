"""``offduty roster validate FILE`` and ``offduty explain --roster FILE STORY``.

Loaded by :func:`offduty_core.cli._load_extensions`; registered through
:func:`offduty_core.cli.subcommand`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import datetime

from .cli import subcommand
from .errors import InputError
from .limits import MAX_PROBLEMS, MAX_ROSTER_BYTES, MAX_STORY_BYTES
from .readers import read_text
from .officers import CycleSchedule, DateSchedule, Rank, WeeklySchedule
from .roster_csv import check_roster


def _read(path: str, limit: int = MAX_ROSTER_BYTES) -> str:
    return read_text(path, "FILE", limit)


def _schedule_name(officer) -> str:
    s = officer.schedule
    if isinstance(s, CycleSchedule):
        return s.pattern
    if isinstance(s, WeeklySchedule):
        return "days_off"
    if isinstance(s, DateSchedule):
        return "dates"
    return "none"


def _counts(counter: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"


def run_validate(args: argparse.Namespace, registry) -> int:
    source = "stdin" if args.file == "-" else args.file
    agencies = None if args.any_agency else registry.names()
    officers, errors = check_roster(_read(args.file), source, agencies)
    if errors:
        for line in errors[:MAX_PROBLEMS]:
            print(line, file=sys.stderr)
        listed = f" (the first {MAX_PROBLEMS} are listed)" if len(errors) > MAX_PROBLEMS else ""
        print(f"{source}: {len(errors)} problem{'s' if len(errors) != 1 else ''}{listed}; fix them and run again",
              file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"file": source, "officers": len(officers),
                          "agencies": dict(Counter(o.agency for o in officers)),
                          "supervisors": sum(o.rank is Rank.SUPERVISOR for o in officers),
                          "qualifications": dict(Counter(q for o in officers for q in o.qualifications)),
                          "not_approved": sum(not o.approved for o in officers),
                          "inactive": sum(not o.active for o in officers),
                          "schedules": dict(Counter(_schedule_name(o) for o in officers))}, indent=2))
        return 0
    print(f"{source}: {len(officers)} officers, valid")
    print(f"  agencies: {_counts(Counter(o.agency for o in officers))}")
    print(f"  ranks: {_counts(Counter(o.rank.value for o in officers))}")
    print(f"  qualifications: {_counts(Counter(q for o in officers for q in o.qualifications))}")
    print(f"  not approved: {sum(not o.approved for o in officers)}, inactive: {sum(not o.active for o in officers)}")
    print(f"  on-duty schedules: {_counts(Counter(_schedule_name(o) for o in officers))}")
    with_history = [o for o in officers if o.history]
    if with_history:
        hours = sum(r.hours for o in with_history for r in o.history)
        print(f"  off-duty history: {len(with_history)} officers, {hours} h")
    return 0


_ROSTER_COLUMNS = ("A roster CSV has one officer a line; the first line names the columns: badge, agency, "
                   "seniority_date (required); rank, qualifications, approved, active, schedule, shift_start, "
                   "shift_hours, anchor, days_off, duty_dates, history, name (optional).")


@subcommand("roster", "check a roster CSV file, one officer a line")
def configure_roster(parser: argparse.ArgumentParser):
    parser.description = _ROSTER_COLUMNS
    sub = parser.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    p = sub.add_parser("validate", help="check every line of a roster CSV; exit 2 listing each problem",
                       description=_ROSTER_COLUMNS)
    p.add_argument("file", metavar="FILE", help="roster CSV (or - for stdin)")
    p.add_argument("--any-agency", action="store_true", help="do not require the agencies to be installed")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(action=run_validate)
    return lambda args, registry: args.action(args, registry)


def run_explain(args: argparse.Namespace, registry) -> int:
    from .distribution import DistributionConfig
    from .explain import explain, parse_params
    from .roster_csv import parse_roster
    from .story import load_json, parse_story
    from .timeutil import parse_time

    story = parse_story(load_json(_read(args.story, MAX_STORY_BYTES), "stdin" if args.story == "-" else args.story),
                        registry)
    roster = parse_roster(_read(args.roster), args.roster, registry.names())
    config = None
    staged = bool(args.group or args.backup_agency or args.release_after_hours is not None
                  or args.release_before_start_hours is not None)
    if args.method or args.param or staged:
        if args.param and not args.method:
            raise InputError("--param", args.param[0], "give --method with its parameters")
        if not args.method:
            raise InputError("--method", None, "give the method to explain the staged posting under")
        for agency in args.backup_agency or ():
            registry.rules(agency)  # an unknown agency fails here, by name
        config = DistributionConfig(method=args.method, params=parse_params(args.param or []), group=args.group,
                                    backup_agencies=tuple(args.backup_agency or ()),
                                    release_after=args.release_after_hours,
                                    release_before_start=args.release_before_start_hours)
    at = parse_time(args.at, story.rules.info.tz, "--at") if args.at else None
    result = explain(story, roster, registry, slot=args.slot, at=at, distribution=config)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    start, end = datetime.fromisoformat(result.start), datetime.fromisoformat(result.end)
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%a %Y-%m-%d %H:%M}"
    print(f"{result.request_id} slot {result.slot} ({result.role}, {result.category}) at {result.agency}: "
          f"{start:%a %Y-%m-%d %H:%M} to {until} (UTC{start:%z})")
    print(f"method: {result.method}")
    print(f"posted to: {result.audience}")
    print(f"as of: {datetime.fromisoformat(result.at):%a %Y-%m-%d %H:%M}")
    print()
    width = max([len(v.badge) for v in result.verdicts] + [5])
    labels = {"offered": "offered", "holds": "holds it", "later": "later", "not offered": "not offered"}
    for v in result.verdicts:
        first, *rest = v.reasons or ("",)
        text = first.split(": ", 1)[1] if first.startswith(f"badge {v.badge}: ") else first
        print(f"  {v.badge:<{width}}  {labels[v.verdict]:<11}  {text}")
        for more in rest:
            more = more.split(": ", 1)[1] if more.startswith(f"badge {v.badge}: ") else more
            print(f"  {'':<{width}}  {'':<11}  also: {more}")
    counts = Counter(v.verdict for v in result.verdicts)
    print()
    print(f"{counts['offered']} of {len(result.verdicts)} officers may be offered the shift"
          + (f", {counts['later']} once the back-up stage opens" if counts["later"] else "")
          + (", 1 holds it" if counts["holds"] else "") + ".")
    return 0


@subcommand("explain", "why each officer of a roster would or would not be offered a story's shift")
def configure_explain(parser: argparse.ArgumentParser):
    parser.add_argument("story", metavar="STORY", help="job story JSON (as for offduty bill; - for stdin)")
    parser.add_argument("--roster", required=True, metavar="FILE", help="roster CSV")
    parser.add_argument("--slot", type=int, default=0, help="slot number (officers first, then supervisors, scribes)")
    parser.add_argument("--method", help="explain under this distribution method instead of the agency's")
    parser.add_argument("--param", action="append", metavar="NAME=VALUE", help="a parameter of --method (repeat)")
    parser.add_argument("--group", metavar="QUALIFICATION", help="with --method: post first to officers holding it")
    parser.add_argument("--backup-agency", action="append", metavar="AGENCY",
                        help="with --method: a back-up agency (repeat)")
    parser.add_argument("--release-after-hours", type=float, metavar="H",
                        help="with --method: open to back-ups this long after posting")
    parser.add_argument("--release-before-start-hours", type=float, metavar="H",
                        help="with --method: open to back-ups when still unfilled this long before the start")
    parser.add_argument("--at", metavar="TIME", help="as of this local time (default: when the request is posted); "
                                                     "story events up to then are applied")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return run_explain
