"""Full text resolution: more per-location detail, a cache of resolved strings, user aliases.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.add_column(sa.Column("town_code", sa.String(9), nullable=False, server_default=""))
        batch.add_column(sa.Column("outside", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("candidates", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "place_cache",
        sa.Column("city", sa.String(6), primary_key=True),
        sa.Column("text", sa.String(300), primary_key=True),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
    )
    op.create_table(
        "place_aliases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("city", sa.String(6), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("adcode", sa.String(6), nullable=False),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("city", "text", name="uq_alias_text"),
    )


def downgrade() -> None:
    op.drop_table("place_aliases")
    op.drop_table("place_cache")
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("candidates")
        batch.drop_column("outside")
        batch.drop_column("town_code")
