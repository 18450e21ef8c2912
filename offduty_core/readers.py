"""Reading the text files a user hands us: size, encoding and line endings, checked once.

Every reader of a story, roster, history or scenario goes through :func:`read_text`, so a
spreadsheet's export (a byte-order mark, CRLF or old-Mac CR line endings) reads the same as a
hand-written file, and a file saved as Latin-1 or UTF-16 is refused with the line of its
first bad byte and what to do, never a ``UnicodeDecodeError``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from .errors import InputError
from .limits import MAX_PROBLEMS

_SAVE = "save it as UTF-8 (in a spreadsheet: CSV UTF-8; in an editor: Save with Encoding, UTF-8)"


def read_bytes(path: str, field: str, limit: int) -> bytes:
    """The bytes of ``path`` (``-``: standard input), refused past ``limit`` bytes."""
    try:
        if path == "-":
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:  # a text stream (tests replace sys.stdin with StringIO)
                data = sys.stdin.read(limit + 1).encode("utf-8", "surrogateescape")
            else:
                data = stream.read(limit + 1)
        else:
            with open(path, "rb") as fh:
                data = fh.read(limit + 1)
    except IsADirectoryError:
        raise InputError(field, path, "is a folder; give a file") from None
    except OSError as exc:
        raise InputError(field, path, f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise InputError(field, "stdin" if path == "-" else path,
                         f"is larger than {limit:,} bytes, the most offduty reads (docs/limits.md)")
    return data


def decode(data: bytes, source: str) -> str:
    """UTF-8 text without a byte-order mark, with ``\\n`` line endings."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise EncodingError(source, "UTF-16 text", f"{source}: the file is UTF-16 text; offduty reads UTF-8: {_SAVE}")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
        byte = data[exc.start:exc.start + 1]
        raise EncodingError(f"{source} line {line}", f"byte 0x{byte.hex()}",
                            f"{source} line {line}: byte 0x{byte.hex().upper()} is not UTF-8 (the file is Latin-1 "
                            f"or another encoding); {_SAVE}") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise EncodingError(source, "a NUL character", f"{source} line {line}: a NUL character: the file is not "
                                                       f"UTF-8 text (UTF-16, or not text at all); {_SAVE}")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


class EncodingError(InputError):
    """A file that is not UTF-8 text; the message says what to do about it."""

    def __init__(self, field: str, value: str, text: str):
        super().__init__(field, value, "save it as UTF-8")
        Exception.__init__(self, text)


def read_text(path: str | Path, field: str, limit: int) -> str:
    """:func:`read_bytes` then :func:`decode`, naming the file (or ``stdin``) in errors."""
    path = str(path)
    return decode(read_bytes(path, field, limit), "stdin" if path == "-" else path)


def problems_line(source: str, problems: Sequence[str]) -> str:
    """Many problems in one line: the first :data:`MAX_PROBLEMS` separated by ``;``, then how
    many more."""
    shown = "; ".join(problems[:MAX_PROBLEMS])
    more = f"; and {len(problems) - MAX_PROBLEMS} more" if len(problems) > MAX_PROBLEMS else ""
    return f"{source}: {len(problems)} problem{'s' if len(problems) != 1 else ''}: {shown}{more}"


class ProblemsError(InputError):
    """Every problem found in one file, reported as one line (:func:`problems_line`)."""

    def __init__(self, source: str, problems: Sequence[str]):
        super().__init__(source, f"{len(problems)} problems", "fix them and run again")
        self.problems = list(problems)
        Exception.__init__(self, problems_line(source, self.problems))
