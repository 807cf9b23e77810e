"""live room: keep the poll and the audience question on the projector across questions

Revision ID: 0007_projector_keep
Revises: 0006_crew_stream
Create Date: 2026-11-22 05:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_projector_keep"
down_revision: str | None = "0006_crew_stream"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("live_states", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("projector_keep", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("live_states", schema=None) as batch_op:
        batch_op.drop_column("projector_keep")
