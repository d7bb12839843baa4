"""The read model's documents tables."""

from __future__ import annotations

import sqlite3

from . import Source


def write(con: sqlite3.Connection, source: Source) -> None:
    """Write this part's tables."""
