"""Watching the live connect handler refuse connections (a helper module tests share; no tests here)."""

from __future__ import annotations

from typing import Any


def record_refusals(monkeypatch: Any) -> list[tuple[Any, ...]]:
    """From now on, every connection the live handler refuses adds its ``(message, data)`` to the list."""
    from forum.live import handlers

    refusals: list[tuple[Any, ...]] = []
    original = handlers.ConnectionRefusedError

    class Recording(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any) -> None:
            refusals.append(args)
            super().__init__(*args)

    monkeypatch.setattr(handlers, "ConnectionRefusedError", Recording)
    return refusals
