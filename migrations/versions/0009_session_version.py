"""accounts: a session version per organizer, so signing out or a new password ends every session

Revision ID: 0009_session_version
Revises: 0008_event_local_year
Create Date: 2026-12-05 23:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_session_version"
down_revision: str | None = "0008_event_local_year"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("organizers", schema=None) as batch_op:
        batch_op.drop_column("session_version")
