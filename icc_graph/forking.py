"""The worker processes a build forks for its parallel stages (records, validation, documents)."""

from __future__ import annotations

import signal


def quiet_worker() -> None:
    """Run first in each forked worker: SIGTERM ends it at once (the build's own handler, which
    turns the signal into a clean stop, belongs to the parent; a pool ends its workers with
    SIGTERM), and Ctrl-C is left to the parent, which stops the pool."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
