"""The files a build keeps in ``--out/.cache`` for the next build to reuse: each written whole
or not at all (into a temporary file beside it, then renamed over the old one), and never a
reason for a build to fail: a file that cannot be written is not kept, and the next build does
again what it would have saved."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def keep(path: Path, write: Callable[[BinaryIO], object], parents: bool = True) -> bool:
    """Write ``path`` through ``write(file)``, atomically; False, with nothing left behind,
    when it cannot be written (full disk, unwritable folder). ``parents``: make the missing
    folders above it (else only its own folder)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=parents, exist_ok=True)
        with tmp.open("wb") as f:
            write(f)
        os.replace(tmp, path)
        return True
    except BaseException as exc:  # no temporary file left behind, whatever stopped the write
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            return False
        raise  # a bug of the caller's (what it writes cannot be written), not the disk's
