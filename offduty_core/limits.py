"""The bounds on everything a user's input can make offduty work for.

Each is checked when the input is read, before any work it would size, so a request for a
billion officers or a shift of a century is refused at once with the bound in the message
instead of running for minutes.  ``docs/limits.md`` lists them with the reasons; a test
keeps that page and these numbers the same.
"""

from __future__ import annotations

#: Calendar years a time may fall in: holiday calendars are resolved per year, and the
#: standard library's dates end at 9999, so far-off instants would otherwise overflow.
MIN_YEAR = 1900
MAX_YEAR = 2200

#: Positions (officer, supervisor and scribe slots) one request may ask for.
MAX_POSITIONS = 200

#: The longest scheduled shift, clock record or changed shift, in hours.
MAX_SHIFT_HOURS = 72

#: Events one story may list.
MAX_EVENTS = 1000

#: File sizes, in bytes: a story (or one line of JSON Lines), a whole JSON Lines input, a
#: roster CSV (about 45,000 officers; validating one this size takes a few seconds), a job
#: history CSV (about 200,000 requests), a scenario TOML.
MAX_STORY_BYTES = 1_000_000
MAX_STORIES_BYTES = 100_000_000
MAX_ROSTER_BYTES = 5_000_000
MAX_HISTORY_BYTES = 25_000_000
MAX_SCENARIO_BYTES = 1_000_000

#: Nesting depth of a story's JSON (a story nests four deep; the parser recurses).
MAX_JSON_DEPTH = 64

#: Problems listed for one file before the rest are only counted.
MAX_PROBLEMS = 50
