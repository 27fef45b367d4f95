"""Optimizer tables: private prompt templates and usage counters.

Revision ID: 0002_templates
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_templates"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "optimizer_templates",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("optimization_tier", sa.String(16), nullable=False),
        sa.Column("confidence_score", sa.Float(), nullable=False),
        sa.Column("original_prompt", sa.Text(), nullable=False),
        sa.Column("optimized_prompt", sa.Text(), nullable=False),
        sa.Column("optimization_goals", sa.JSON(), nullable=False),
        sa.Column("ai_context", sa.String(40), nullable=False),
        sa.Column("domain", sa.String(100), nullable=True),
        sa.Column("target_audience", sa.String(200), nullable=True),
        sa.Column("request_id", sa.String(80), nullable=True),
        sa.Column("request_metadata", sa.JSON(), nullable=False),
        sa.Column("model_used", sa.String(100), nullable=False),
        sa.Column("times_used", sa.BigInteger(), nullable=False),
        sa.Column("last_used", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_optimizer_templates")),
    )
    op.create_index("ix_optimizer_templates_tenant_created", "optimizer_templates",
                    ["tenant_id", "created_at"])
    op.create_index("ix_optimizer_templates_tenant_deleted_at", "optimizer_templates",
                    ["tenant_deleted_at"])
    op.create_table(
        "optimizer_usage",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(24), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "bucket", name=op.f("pk_optimizer_usage")),
    )


def downgrade() -> None:
    op.drop_table("optimizer_usage")
    op.drop_index("ix_optimizer_templates_tenant_deleted_at", "optimizer_templates")
    op.drop_index("ix_optimizer_templates_tenant_created", "optimizer_templates")
    op.drop_table("optimizer_templates")
