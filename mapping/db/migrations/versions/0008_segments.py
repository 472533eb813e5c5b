"""Segments and targeting (issue 15): the visitors' 意向面积 / 意向总价 / 意向区域 as the file gave them,
their 籍贯 (a 6-digit city code derived from the ID number, which itself is never stored) and the
project's 面积段 / 总价段 edges (``segment_bands``, JSON text; "" = the defaults).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

VISITOR_COLUMNS = (("area_want", 32), ("price_want", 32), ("intended_text", 100), ("hometown", 6))


def upgrade() -> None:
    with op.batch_alter_table("visitors") as batch:
        for name, length in VISITOR_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length), nullable=False, server_default=""))
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("segment_bands", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("segment_bands")
    with op.batch_alter_table("visitors") as batch:
        for name, _ in reversed(VISITOR_COLUMNS):
            batch.drop_column(name)
