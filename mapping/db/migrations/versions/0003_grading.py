"""Battle maps: saved grading snapshots (plans) and competitor sites per project.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("competitors", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "grading_snapshots",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("layer_id", sa.String(120), nullable=False),
        sa.Column("dimension", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_snapshot_name"),
    )
    op.create_index("ix_grading_snapshots_project_id", "grading_snapshots", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_grading_snapshots_project_id", "grading_snapshots")
    op.drop_table("grading_snapshots")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("competitors")
