"""Template search vectors: a nullable ``embedding`` column on ``optimizer_templates``.

384 float32 little-endian (1536 bytes) per template: the bundled sentence encoder's vector
of the original prompt's head. Rows saved before this revision keep ``NULL``; the template
store computes their vector on the first search that reads them and writes it back.

Revision ID: 0004_template_embeddings
Revises: 0003_system_prompts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_template_embeddings"
down_revision = "0003_system_prompts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("optimizer_templates",
                  sa.Column("embedding", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("optimizer_templates") as batch:
        batch.drop_column("embedding")
