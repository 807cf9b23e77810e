"""Watching the SQL the app sends (a helper module tests share; no tests here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event


def statements_during(app: Any, action: Callable[[], Any]) -> tuple[list[str], Any]:
    """Every statement the app's engine sent while ``action`` ran (whitespace collapsed), and its result."""
    engine = app.extensions["forum.db"].engine
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        result = action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements, result


def is_write(statement: str) -> bool:
    return statement.split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
