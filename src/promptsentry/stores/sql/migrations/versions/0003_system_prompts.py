"""System-prompt fingerprints: keyed shingle hashes per tenant (never the prompt text).

Revision ID: 0003_system_prompts
Revises: 0002_templates
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_system_prompts"
down_revision = "0002_templates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "system_prompt_fingerprints",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("shingle_count", sa.Integer(), nullable=False),
        sa.Column("shingle_words", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], ondelete="CASCADE",
            name=op.f("fk_system_prompt_fingerprints_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_system_prompt_fingerprints")),
    )


def downgrade() -> None:
    op.drop_table("system_prompt_fingerprints")
