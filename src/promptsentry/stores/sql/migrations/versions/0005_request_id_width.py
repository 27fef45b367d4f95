"""Widen ``optimizer_templates.request_id`` from 80 to 128 characters.

The API accepts an ``X-Request-ID`` of up to 128 characters (``MAX_REQUEST_ID_CHARS``) and
stores it with a saved template; on PostgreSQL an id of 81-128 characters failed the insert.
Widening a ``VARCHAR`` is a catalogue change on PostgreSQL (no table rewrite). SQLite does not
enforce ``VARCHAR`` lengths, so nothing changes there.

Revision ID: 0005_request_id_width
Revises: 0004_template_embeddings
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_request_id_width"
down_revision = "0004_template_embeddings"
branch_labels = None
depends_on = None

# Fixed here, not imported: a migration describes the schema of its own time.
WIDTH = 128
OLD_WIDTH = 80


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("optimizer_templates", "request_id", type_=sa.String(WIDTH),
                    existing_type=sa.String(OLD_WIDTH), existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    # Ids longer than the old width are cut to fit.
    op.execute(sa.text(
        f"UPDATE optimizer_templates SET request_id = LEFT(request_id, {OLD_WIDTH}) "
        f"WHERE LENGTH(request_id) > {OLD_WIDTH}"))
    op.alter_column("optimizer_templates", "request_id", type_=sa.String(OLD_WIDTH),
                    existing_type=sa.String(WIDTH), existing_nullable=True)
