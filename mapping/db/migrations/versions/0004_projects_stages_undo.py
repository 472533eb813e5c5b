"""A team's own project: settings, archive, sales stages, value maps, undoable imports.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("min_count", sa.Integer(), nullable=False, server_default="5"))
        batch.add_column(sa.Column("deal_stage", sa.String(8), nullable=False, server_default="认购"))
        batch.add_column(sa.Column("stages", sa.Text(), nullable=False, server_default="来访,认筹,认购,签约"))
        batch.add_column(sa.Column("settings_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("visitors") as batch:
        batch.add_column(sa.Column("stage", sa.String(8), nullable=False, server_default=""))
        batch.add_column(sa.Column("stage_date", sa.Date(), nullable=True))
    with op.batch_alter_table("imports") as batch:
        batch.add_column(sa.Column("created_by", sa.String(100), nullable=False, server_default=""))
    op.create_table(
        "value_maps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("raw", sa.String(200), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.UniqueConstraint("project_id", "field", "raw", name="uq_value_map"),
    )
    op.create_index("ix_value_maps_project_id", "value_maps", ["project_id"])
    op.create_table(
        "visitor_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("imports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("visitor_key", sa.String(64), nullable=False),
        sa.Column("previous", sa.Text(), nullable=True),
    )
    op.create_index("ix_visitor_versions_import_id", "visitor_versions", ["import_id"])


def downgrade() -> None:
    op.drop_index("ix_visitor_versions_import_id", "visitor_versions")
    op.drop_table("visitor_versions")
    op.drop_index("ix_value_maps_project_id", "value_maps")
    op.drop_table("value_maps")
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("created_by")
    with op.batch_alter_table("visitors") as batch:
        batch.drop_column("stage_date")
        batch.drop_column("stage")
    with op.batch_alter_table("projects") as batch:
        for col in ("settings_version", "stages", "deal_stage", "min_count", "archived"):
            batch.drop_column(col)
