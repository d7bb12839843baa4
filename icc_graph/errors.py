"""Domain errors. Each one says what is wrong, where, and how to fix it.

The CLI maps them to exit codes in one place (``cli.py``): ``DataError`` is bad data (exit 1),
``UsageError`` a bad command line or path (exit 2), ``WriteError`` a disk or folder that cannot
take the output (exit 3); a build stopped by SIGTERM or Ctrl-C exits 143 or 130.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the data, located as precisely as the source allows."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file or "<data>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: "
        if self.field:
            text += f"field '{self.field}': "
        text += self.message
        if self.hint:
            text += f" (fix: {self.hint})"
        return text


class IccGraphError(Exception):
    """Base class of the project's errors."""


class DataError(IccGraphError):
    """The data is wrong: carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(IccGraphError):
    """The command was given something it cannot use (a missing path, a non-empty output...)."""


class WriteError(IccGraphError):
    """The output cannot be written: a full disk, an unwritable or read-only folder. Not the
    data's fault and not the command line's: the message says which and what to do."""


def rel(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
