"""What docs/realtime.md promises, read as data: its tables, and the `backticked` names in their cells."""

from __future__ import annotations

import re

from forum import PROJECT_ROOT

DOC = (PROJECT_ROOT / "docs" / "realtime.md").read_text(encoding="utf-8")


def doc_table(header: str) -> list[list[str]]:
    """The body rows of the Markdown table in docs/realtime.md whose header row starts with ``header``."""
    lines = DOC.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    assert rows, f"the table under {header!r} is empty"
    return rows


def names(cell: str) -> list[str]:
    """The `backticked` names in a table cell."""
    return re.findall(r"`([^`]+)`", cell)
