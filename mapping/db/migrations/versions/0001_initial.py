"""Initial schema: settings, projects, imports, visitors, locations.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("city_adcode", sa.String(6), nullable=False),
        sa.Column("launch_date", sa.Date(), nullable=True),
        sa.Column("product_lines", sa.Text(), nullable=False),
        sa.Column("area_layer", sa.String(64), nullable=False),
        sa.Column("site_lng", sa.Float(), nullable=True),
        sa.Column("site_lat", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        *[sa.Column(c, sa.Integer(), nullable=False)
          for c in ("rows_total", "accepted", "fixed", "rejected", "inserted", "updated", "unchanged")],
    )
    op.create_index("ix_imports_project_id", "imports", ["project_id"])
    op.create_table(
        "visitors",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("visitor_key", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(32), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("imports.id", ondelete="SET NULL"), nullable=True),
        sa.Column("visitor_code", sa.String(100), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("product_line", sa.String(32), nullable=False),
        sa.Column("intention", sa.String(4), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("coord_system", sa.String(8), nullable=False),
        *[c for dim in ("home", "work", "leisure") for c in (
            sa.Column(f"{dim}_text", sa.Text(), nullable=False),
            sa.Column(f"{dim}_lng", sa.Float(), nullable=True),
            sa.Column(f"{dim}_lat", sa.Float(), nullable=True),
        )],
        sa.Column("deal", sa.Boolean(), nullable=False),
        sa.Column("deal_date", sa.Date(), nullable=True),
        sa.Column("deal_product_line", sa.String(32), nullable=False),
        sa.Column("deal_amount", sa.Float(), nullable=True),
        sa.Column("age_band", sa.String(32), nullable=False),
        sa.Column("industry", sa.String(64), nullable=False),
        sa.Column("income_band", sa.String(32), nullable=False),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("phone_masked", sa.String(32), nullable=False),
        sa.Column("phone_hash", sa.String(32), nullable=False),
        sa.Column("name_masked", sa.String(64), nullable=False),
        sa.Column("name_hash", sa.String(32), nullable=False),
        sa.UniqueConstraint("project_id", "visitor_key", name="uq_visitor_key"),
    )
    op.create_index("ix_visitors_project_id", "visitors", ["project_id"])
    op.create_table(
        "locations",
        sa.Column("visitor_id", sa.Integer(), sa.ForeignKey("visitors.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("dimension", sa.String(8), primary_key=True),
        sa.Column("adcode", sa.String(6), nullable=False),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
    )
    op.create_index("ix_locations_adcode", "locations", ["adcode"])


def downgrade() -> None:
    op.drop_table("locations")
    op.drop_table("visitors")
    op.drop_table("imports")
    op.drop_table("projects")
    op.drop_table("app_settings")
