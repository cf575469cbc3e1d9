"""inbound mail, attachments, outbox kind and Message-ID

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:48:38.198493
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("envelope_sender", sa.String(length=998), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_inbound_mail_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_mail")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_inbound_mail_dedupe_key")),
    )
    with op.batch_alter_table("inbound_mail", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_mail_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_inbound_mail_status_id", ["status", "id"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("refused_because", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_attachments_message_id_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_message_id"), ["message_id"], unique=False)

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inbound_mail_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_inbound_mail_id"), ["inbound_mail_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_inbound_mail_id_inbound_mail"), "inbound_mail", ["inbound_mail_id"], ["id"]
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=30), nullable=False))
        batch_op.add_column(sa.Column("message_id", sa.String(length=254), nullable=False))
        batch_op.create_index("ix_outbox_to_kind_created", ["to_address", "kind", "created_at"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_message_id"), ["message_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_message_id"), type_="unique")
        batch_op.drop_index("ix_outbox_to_kind_created")
        batch_op.drop_column("message_id")
        batch_op.drop_column("kind")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_messages_inbound_mail_id_inbound_mail"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_messages_inbound_mail_id"))
        batch_op.drop_column("inbound_mail_id")

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_message_id"))

    op.drop_table("attachments")
    with op.batch_alter_table("inbound_mail", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_mail_status_id")
        batch_op.drop_index(batch_op.f("ix_inbound_mail_case_id"))

    op.drop_table("inbound_mail")
