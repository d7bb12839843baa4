"""Parsed records kept between builds (``--out/.cache/records.pickle``), so that a rebuild parses
only the YAML files that changed.

A file's entry is found by its size, modification time and inode, and when those differ by the
SHA-256 of its bytes; it holds what reading the file gave (a practice, or the records of a
shared file). Only files read without a problem are kept: a bad file is read again each time,
so its errors (file, line, field) are exactly those of a build without the cache. The cache is
salted with the code that reads records and the working directory (record locations are written
relative to it): a change to either starts it afresh.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from pathlib import Path
from typing import Any

from .cache_files import keep

CACHE_FILE = "records.pickle"
RACY_NS = 2_000_000_000
_READERS = ("loader.py", "records.py", "yamlio.py", "periods.py", "record_cache.py")


def _salt() -> str:
    here = Path(__file__).resolve().parent
    h = hashlib.sha256(os.getcwd().encode())
    for name in _READERS:
        h.update((here / name).read_bytes())
    return h.hexdigest()


class RecordCache:
    """What each record file read to, by path; ``get`` and ``put`` around the parsing."""

    def __init__(self, folder: Path | None):
        self.path = folder / CACHE_FILE if folder is not None else None
        self.salt = _salt()
        self.old: dict[tuple[str, str], tuple[tuple[int, int, int], str, Any]] = {}
        self.new: dict[tuple[str, str], tuple[tuple[int, int, int], str, Any]] = {}
        self.changed = False
        if self.path is not None and self.path.exists():
            try:
                with self.path.open("rb") as f:
                    salt, entries = pickle.load(f)  # noqa: S301 - our own file under --out
                if salt == self.salt:
                    self.old = entries
            except Exception:  # a broken cache only costs a full read
                self.old = {}

    def get(self, path: Path, kind: str) -> tuple[Any, bytes | None]:
        """The value read from ``path`` before if the file is unchanged (else None), and the
        file's bytes when they had to be read to tell."""
        key = (kind, str(path))
        try:
            st = path.stat()
        except OSError:
            return None, None
        stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
        found = self.old.get(key)
        if found is not None and found[0] == stamp:
            self.new[key] = found
            return found[2], None
        data = path.read_bytes()
        if found is not None and found[1] == hashlib.sha256(data).hexdigest():
            self.new[key] = (stamp, found[1], found[2])
            self.changed = True
            return found[2], data
        return None, data

    def put(self, path: Path, kind: str, data: bytes | str, value: Any) -> None:
        """Keep what a file read to without a problem (``data``: its bytes, or their SHA-256)."""
        try:
            st = path.stat()
        except OSError:
            return
        # a file changed within the last seconds may change again with the same stamp: such an
        # entry is told by its bytes next time
        recent = time.time_ns() - st.st_mtime_ns < RACY_NS
        stamp = (-1, -1, -1) if recent else (st.st_size, st.st_mtime_ns, st.st_ino)
        digest = data if isinstance(data, str) else hashlib.sha256(data).hexdigest()
        self.new[(kind, str(path))] = (stamp, digest, value)
        self.changed = True

    def save(self) -> None:
        """Keep this build's entries only (written atomically; errors are not fatal). Nothing is
        written where the folder holding the cache folder does not exist yet: a build that fails
        leaves no new ``--out`` behind."""
        if self.path is None or (not self.changed and self.new.keys() == self.old.keys()):
            return
        if not self.path.parent.parent.is_dir():
            return
        if keep(self.path, lambda f: pickle.dump((self.salt, self.new), f,
                                                 protocol=pickle.HIGHEST_PROTOCOL),
                parents=False):
            self.old, self.changed = self.new, False
