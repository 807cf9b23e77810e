"""Column helpers shared by the models."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def str_enum(enum_cls: type[enum.StrEnum], name: str) -> Enum:
    """Store a ``StrEnum`` as its value in a VARCHAR with a CHECK constraint, portable to any backend."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )
