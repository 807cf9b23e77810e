"""events: the start's year at the venue, for the archive's year filter

Revision ID: 0008_event_local_year
Revises: 0007_projector_keep
Create Date: 2026-12-05 20:30:00.000000
"""

from collections.abc import Sequence
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0008_event_local_year"
down_revision: str | None = "0007_projector_keep"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_year", sa.Integer(), nullable=True))
    events = sa.table(
        "events",
        sa.column("id", sa.Integer()),
        sa.column("starts_at", sa.DateTime()),
        sa.column("timezone", sa.String()),
        sa.column("local_year", sa.Integer()),
    )
    connection = op.get_bind()
    for event_id, starts_at, zone in connection.execute(
        sa.select(events.c.id, events.c.starts_at, events.c.timezone)
    ):
        instant = starts_at if starts_at.tzinfo else starts_at.replace(tzinfo=UTC)
        connection.execute(
            events.update()
            .where(events.c.id == event_id)
            .values(local_year=instant.astimezone(ZoneInfo(zone)).year)
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.alter_column("local_year", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_events_local_year"), ["local_year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_local_year"))
        batch_op.drop_column("local_year")
