"""Organizer accounts: the people who sign in to set up and run events."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import Base, utcnow


class Organizer(UserMixin, Base):
    __tablename__ = "organizers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Organizer {self.id} {self.email}>"
