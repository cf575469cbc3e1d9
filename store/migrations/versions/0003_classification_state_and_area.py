"""classification state, area team, review confidence

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("low_confidence", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("classified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("area_team_id", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_classified_at"), ["classified_at"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_cases_area_team_id_teams"), "teams", ["area_team_id"], ["id"])
    # Cases from before the classifiers were wired in are not sent through them now: the CRT already
    # sorted them by hand, and new suggestions would put them back in the review queue.
    op.execute("UPDATE cases SET classified_at = received_at")
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needs_review", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_column("needs_review")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_area_team_id_teams"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_cases_classified_at"))
        batch_op.drop_column("area_team_id")
        batch_op.drop_column("classified_at")
        batch_op.drop_column("low_confidence")
