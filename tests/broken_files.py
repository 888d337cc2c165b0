"""Broken scenario files that say, in their first lines, what the reader must answer.

Each file begins with one or more `# expect: LINE:COLUMN: words of the message` lines; the
reader must refuse the file, quickly, with exactly those problems.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from planner.errors import ScenarioError
from planner.read import read_scenario

_EXPECT = re.compile(r"#\s*expect:\s*(\d+):(\d+):\s*(.+?)\s*$")


def expectations(path: Path) -> list[tuple[int, int, str]]:
    """The (line, column, gist) of each `# expect:` line at the top of `path`."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _EXPECT.match(line)
        if not match:
            break
        out.append((int(match.group(1)), int(match.group(2)), match.group(3)))
    return out


def assert_refused_as_expected(path: Path) -> None:
    """`read_scenario(path)` refuses the file within a second of CPU, with exactly the
    problems its `# expect:` lines name, each at its line and column."""
    expected = expectations(path)
    assert expected, f"{path.name} must begin with `# expect: LINE:COLUMN: message`"
    begun = time.process_time()
    with pytest.raises(ScenarioError) as caught:
        read_scenario(path)
    assert time.process_time() - begun < 1.0, "a broken file is refused fast"
    problems = caught.value.problems
    found = [(p.line, p.column, p.message) for p in problems]
    for line, column, gist in expected:
        assert any(
            (line, column) == (p_line, p_column) and gist in message
            for p_line, p_column, message in found
        ), f"{path.name}: no {line}:{column}: {gist!r} in\n" + "\n".join(map(str, problems))
    assert len(found) == len(expected), "\n".join(map(str, problems))
    assert all(p.source == str(path) for p in problems)
    assert str(caught.value).startswith(f"{path}:")
