"""``offduty bill``: story files, or JSON Lines on stdin, billed one result per story.

A batch is billed story by story: a refused story is reported on stderr with its file or its
line and the others are still billed, so one bad line in a day's export does not hold back
the rest.  Standard input is one story (a pretty-printed JSON file piped in) unless its first
line is a whole JSON value on its own: then every line is a story (JSON Lines), read and
billed as it comes, each line bounded by :data:`~offduty_core.limits.MAX_STORY_BYTES`.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import Callable, Iterator, Sequence

from .errors import InputError, OffdutyError, message
from .limits import MAX_STORIES_BYTES, MAX_STORY_BYTES
from .plugins import Registry
from .readers import decode, read_bytes

#: The columns of ``--format csv``: one row per line of a bill.
CSV_COLUMNS = ("source", "request_id", "agency", "vendor", "slot", "officer", "party", "description", "hours",
               "rate", "amount", "rule")


def bill_story(text: str, source: str, registry: Registry) -> dict:
    """The bill of one story's JSON text as plain data (``BillResult.to_dict``)."""
    from .billing import bill
    from .story import load_json, parse_story

    story = parse_story(load_json(text, source), registry)
    return bill(story.rules, story.request, story.events, story.payment_method).to_dict()


def bill_stories(files: Sequence[str], registry: Registry, fmt: str,
                 report: Callable[[OffdutyError], None]) -> int:
    """Bill every story of ``files`` and print the results; ``report`` prints a refusal."""
    refused = billed = 0
    rows: list[dict] = []
    for source, text in _stories(files):
        several = len(files) > 1 or source.startswith("stdin line")
        try:
            if isinstance(text, OffdutyError):
                raise text
            data = bill_story(text, source, registry)
        except OffdutyError as exc:
            refused += 1
            report(_located(exc, source) if several else exc)
            continue
        billed += 1
        if fmt == "csv":
            rows.extend(_csv_rows(source, data))
        elif several:
            # JSON Lines, written as billed, so a long batch streams.
            print(json.dumps({"source": source, **data}))
        else:
            print(json.dumps(data, indent=2))
    if fmt == "csv" and billed:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return 2 if refused else 0


class _Located(OffdutyError):
    pass


def _located(exc: OffdutyError, source: str) -> OffdutyError:

    text = message(exc)
    return exc if text.startswith(source) else _Located(f"{source}: {text}")


def _stories(files: Sequence[str]) -> Iterator[tuple[str, str | OffdutyError]]:
    """(source, text or the error reading it) for every story: a file is one story; stdin is
    one story or JSON Lines."""
    for path in files:
        if path != "-":
            try:
                yield path, decode(read_bytes(path, "FILE", MAX_STORY_BYTES), path)
            except OffdutyError as exc:
                yield path, exc
            continue
        yield from _stdin()


def _stdin() -> Iterator[tuple[str, str | OffdutyError]]:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream (tests replace sys.stdin with StringIO)
        stream = _TextAsBytes(sys.stdin)
    first = stream.readline(MAX_STORY_BYTES + 1)
    if not _whole_json(first):
        rest = stream.read(MAX_STORY_BYTES + 1 - len(first))
        data = first + rest
        if len(data) > MAX_STORY_BYTES:
            yield "stdin", InputError("stdin", "the story", f"is larger than {MAX_STORY_BYTES:,} bytes, the most "
                                                            "offduty reads (docs/limits.md)")
            return
        try:
            yield "stdin", decode(data, "stdin")
        except OffdutyError as exc:
            yield "stdin", exc
        return
    ahead = []  # lines read to see whether a second story follows
    while True:
        line = stream.readline(MAX_STORY_BYTES + 1)
        ahead.append(line)
        if not line or line.strip():
            break
    if not ahead[-1]:  # one story on one line
        yield "stdin", decode(first, "stdin")
        return

    def lines() -> Iterator[bytes]:
        yield first
        yield from ahead
        while line := stream.readline(MAX_STORY_BYTES + 1):
            yield line

    total, number, long_line = 0, 1, False
    for chunk in lines():
        total += len(chunk)
        source = f"stdin line {number}"
        if total > MAX_STORIES_BYTES:
            yield source, InputError("stdin", "JSON Lines", f"are larger than {MAX_STORIES_BYTES:,} bytes in all; "
                                                            "split the input (docs/limits.md)")
            return
        ends = chunk.endswith(b"\n")
        if long_line:  # the rest of a line past the bound, already reported
            pass
        elif len(chunk) > MAX_STORY_BYTES:
            yield source, InputError(source, "the story", f"is larger than {MAX_STORY_BYTES:,} bytes, the most "
                                                          "offduty reads (docs/limits.md)")
        elif chunk.strip():
            try:
                yield source, decode(chunk, source)
            except OffdutyError as exc:
                yield source, exc
        long_line = not ends
        number += ends


def _whole_json(line: bytes) -> bool:
    """Whether ``line`` is a complete JSON value by itself (the first line of JSON Lines)."""
    text = line.strip()
    if not text.startswith(b"{") or not text.endswith(b"}"):
        return False
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


class _TextAsBytes:
    def __init__(self, text_stream):
        self.stream = text_stream

    def readline(self, limit: int = -1) -> bytes:
        return self.stream.readline(limit).encode("utf-8", "surrogateescape")

    def read(self, limit: int = -1) -> bytes:
        return self.stream.read(limit).encode("utf-8", "surrogateescape")


def _csv_rows(source: str, data: dict) -> Iterator[dict]:
    for line in data["lines"]:
        yield {"source": source, "request_id": data["request_id"], "agency": data["agency"],
               "vendor": data["vendor"], "slot": line.get("slot"), "officer": line.get("officer"),
               "party": line["party"], "description": line["description"], "hours": line["hours"],
               "rate": line["rate"], "amount": line["amount"], "rule": line["rule"]}
