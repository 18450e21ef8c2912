"""Results written where they cannot be half-seen: a run's folder, and single files.

A run writes into a temporary folder beside ``--out`` and moves it into place only when every
file is complete, as ``jupyter_server``'s ``atomic_writing`` does for one notebook: whatever
stops the run, ``--out`` holds either the previous complete set or the new one.  The folder is
claimed before the work starts, so an ``--out`` that cannot be written, or that holds results
nobody asked to replace, is refused before a year is simulated rather than after.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from offduty_core.errors import InputError

#: What ``offduty simulate`` writes, and what ``offduty report`` adds beside it: a folder
#: holding only these (or nothing) may be replaced.
RESULT_FILES = ("shifts.parquet", "officers.parquet", "ledger.parquet", "summary.json", "invoices.csv", "payroll.csv",
                "city.csv", "report.html", "forecast.xlsx")
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class OutFolder:
    """The folder ``out``, claimed for a new set of results (use as a context manager).

    Making it checks ``out`` and creates the temporary folder :attr:`tmp` beside it (so a
    folder that cannot be written fails now, naming ``option``).  Write the files into
    :attr:`tmp`, then :meth:`commit`; leaving the ``with`` block without committing (an error,
    Ctrl-C, SIGTERM) deletes :attr:`tmp` and leaves ``out`` as it was.  ``out`` may be missing
    or empty; one that holds results is replaced only with ``force``, and one that holds
    anything else is never replaced (the whole folder is swapped, so those files would go)."""

    def __init__(self, out: str | Path, force: bool = False, option: str = "--out",
                 files: tuple[str, ...] = RESULT_FILES):
        self.shown = str(out)
        self.out = Path(os.path.abspath(out))  # "." and "a/.." have a parent to write beside
        self.force = force
        self.option = option
        self.files = files
        self._check()
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".tmp", dir=self.out.parent))
            self.tmp.chmod(0o777 & ~_umask())  # mkdtemp's is private; results get a folder's usual mode
        except OSError as exc:
            raise InputError(option, self.shown, f"cannot be written ({exc.strerror or exc}); give a folder you "
                                               f"can write to") from None
        self._previous: dict = {}

    def _check(self) -> None:
        out, shown = self.out, self.shown
        cwd = Path.cwd()
        if out == cwd or out in cwd.parents:
            raise InputError(self.option, shown, "holds the current folder, and results replace the whole folder; "
                                                 "give a folder for them, e.g. ./out")
        if out.exists() and not out.is_dir():
            raise InputError(self.option, shown, "is a file; give a folder (it is made if missing)")
        if not out.is_dir():
            return
        try:
            names = sorted(p.name for p in out.iterdir())
        except OSError as exc:
            raise InputError(self.option, shown, f"cannot be read ({exc.strerror}); give a folder you can "
                                                    f"write to") from None
        others = [n for n in names if n not in self.files]
        if others:
            raise InputError(self.option, shown, f"holds other files ({others[0]}"
                                                    f"{f' and {len(others) - 1} more' if len(others) > 1 else ''}); "
                                                    f"results replace the whole folder, so give a new or empty one")
        if names and not self.force:
            raise InputError(self.option, shown, f"already holds results ({', '.join(names)}); give --force to "
                                                    f"replace them, or another folder")

    def __enter__(self) -> "OutFolder":
        # SIGTERM's default kills the process where it stands; while the folder is claimed it
        # first deletes the temporary folder, then dies by the same signal as before.
        if threading.current_thread() is threading.main_thread():
            self._previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, self._terminated)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
        self.discard()

    def _terminated(self, signum, frame) -> None:
        self.discard()
        previous = self._previous.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
            return
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def discard(self) -> None:
        """Delete the temporary folder (nothing if it was committed)."""
        shutil.rmtree(self.tmp, ignore_errors=True)

    def commit(self) -> Path:
        """Move :attr:`tmp` into place as ``out`` (SIGINT and SIGTERM wait until it is done)."""
        self._check()  # the folder may have changed while the year was simulated
        mask = getattr(signal, "pthread_sigmask", None)  # POSIX only
        blocked = mask(signal.SIG_BLOCK, _STOP_SIGNALS) if mask else None
        try:
            _swap(self.tmp, self.out)
        finally:
            if mask:
                mask(signal.SIG_SETMASK, blocked)
        return self.out


def _swap(new: Path, out: Path) -> None:
    """Put the folder ``new`` at ``out``: a plain rename when ``out`` is missing or empty;
    otherwise one atomic exchange where the system has it (Linux ``renameat2``), else the old
    folder renamed away, the new one renamed in, the old one deleted."""
    try:
        os.rename(new, out)  # replaces a missing or empty folder in one step
        return
    except OSError:
        if not out.is_dir():
            raise
    if _exchange(new, out):
        shutil.rmtree(new)  # now the old results
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rename(out, old / out.name)
    os.rename(new, out)
    shutil.rmtree(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's ``renameat2(RENAME_EXCHANGE)``; False where the
    system or file system has no such call."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):  # not glibc >= 2.28 (or not Linux at all)
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _umask() -> int:
    mask = os.umask(0o22)
    os.umask(mask)
    return mask


def check_file(path: str | Path, force: bool = False, option: str = "--out") -> Path:
    """Refuse an output file that exists (without ``force``) or whose folder cannot be written,
    before the work that fills it is done."""
    path = Path(path)
    if path.is_dir():
        raise InputError(option, str(path), "is a folder; give a file name")
    if path.exists() and not force:
        raise InputError(option, str(path), "already exists; give --force to replace it, or another name")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(option, str(path), f"cannot be written: the folder {str(folder)!r} does not exist")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise InputError(option, str(path), f"cannot be written ({exc.strerror or exc}); give a file in a folder "
                                            f"you can write to") from None
    return path


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` when the block ends
    without an error, deleted otherwise.  It ends in ``path``'s extension, for writers that
    pick a format by it (pandas' ExcelWriter)."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.chmod(0o666 & ~_umask())  # mkstemp's is private; the result gets a file's usual mode
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
