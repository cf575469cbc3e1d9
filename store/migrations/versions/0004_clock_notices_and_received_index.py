"""clock notices for the scheduled jobs, cases received_at index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clock_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clock_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("point", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clock_id"], ["clocks.id"], name=op.f("fk_clock_notices_clock_id_clocks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_notices")),
        sa.UniqueConstraint("clock_id", "due_on", "point", name=op.f("uq_clock_notices_clock_id_due_on_point")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_received_at")
    op.drop_table("clock_notices")
