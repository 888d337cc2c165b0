"""Problems found in a user's file, reported as `FILE:LINE:COLUMN: what is wrong`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a file. `line` and `column` count from 1; 0 when unknown."""

    source: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: {self.message}"


class InputError(Exception):
    """A file could not be used; `problems` lists every problem found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ScenarioError(InputError):
    """A scenario file breaks SCENARIO.md (or is missing, empty, not YAML...)."""


class PlanFileError(InputError):
    """A plan file is missing or is not JSON of the shape PLAN.md describes."""
