"""Operations after the map (issue 14): teams, territory sets, costs, a project's ops settings,
the ``team`` column of visitors and the project's ``ops_version``.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("ops_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("visitors") as batch:
        batch.add_column(sa.Column("team", sa.String(64), nullable=False, server_default=""))
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, server_default="渠道团队"),
        sa.Column("size", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("cost_model", sa.String(16), nullable=False, server_default="按人天"),
        sa.Column("day_rate", sa.Float(), nullable=False, server_default="0"),
        sa.Column("commission", sa.Float(), nullable=False, server_default="0"),
        sa.Column("monthly_fee", sa.Float(), nullable=False, server_default="0"),
        sa.Column("base_area", sa.String(120), nullable=False, server_default=""),
        sa.Column("base_lng", sa.Float(), nullable=True),
        sa.Column("base_lat", sa.Float(), nullable=True),
        sa.Column("aliases", sa.Text(), nullable=False, server_default=""),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_team_name"),
    )
    op.create_index("ix_teams_project_id", "teams", ["project_id"])
    op.create_table(
        "territory_sets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), sa.ForeignKey("grading_snapshots.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("status", sa.String(12), nullable=False, server_default="draft"),
        sa.Column("method", sa.String(16), nullable=False, server_default="manual"),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("project_id", "name", "version", name="uq_territory_name_version"),
    )
    op.create_index("ix_territory_sets_project_id", "territory_sets", ["project_id"])
    op.create_table(
        "costs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False, server_default=""),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
        sa.Column("area_id", sa.String(120), nullable=False, server_default=""),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(200), nullable=False, server_default=""),
        sa.Column("batch", sa.String(120), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_costs_project_id", "costs", ["project_id"])
    op.create_table(
        "project_ops",
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("project_ops")
    op.drop_index("ix_costs_project_id", "costs")
    op.drop_table("costs")
    op.drop_index("ix_territory_sets_project_id", "territory_sets")
    op.drop_table("territory_sets")
    op.drop_index("ix_teams_project_id", "teams")
    op.drop_table("teams")
    with op.batch_alter_table("visitors") as batch:
        batch.drop_column("team")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("ops_version")
