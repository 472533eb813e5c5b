"""Database tables (SQLAlchemy 2 declarative).  Schema changes go through the
Alembic migrations in ``mapping/migrations``; keep the two in agreement
(``tests/test_store.py`` checks it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        false, true)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Setting(Base):
    """Installation-wide settings, e.g. the salt for hashing personal data."""

    __tablename__ = "app_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    city_adcode: Mapped[str] = mapped_column(String(6))
    launch_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    product_lines: Mapped[str] = mapped_column(Text, default="")  # "公寓,洋房,…"
    area_layer: Mapped[str] = mapped_column(String(64), default="districts")
    site_lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    site_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    competitors: Mapped[str] = mapped_column(Text, default="", server_default="")  # JSON list of sites
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    min_count: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # the first sales stage that counts as 成交 (认购 or 签约); 退房 never counts
    deal_stage: Mapped[str] = mapped_column(String(8), default="认购", server_default="认购")
    stages: Mapped[str] = mapped_column(Text, default="来访,认筹,认购,签约", server_default="来访,认筹,认购,签约")
    settings_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # part of data_version
    ops_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # bumped by mapping.db.operations
    # 面积段 / 总价段 edges, JSON {"area": "90,120,…", "price": "200,300,…"} ("" = defaults; Store.set_segment_bands)
    segment_bands: Mapped[str] = mapped_column(Text, default="", server_default="")


class ImportBatch(Base):
    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    fixed: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(100), default="", server_default="")


class Visitor(Base):
    """One visitor of one project.  No clear phone number or name is stored."""

    __tablename__ = "visitors"
    __table_args__ = (UniqueConstraint("project_id", "visitor_key", name="uq_visitor_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    visitor_key: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(32))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id", ondelete="SET NULL"), nullable=True)
    visitor_code: Mapped[str] = mapped_column(String(100), default="")
    visit_date: Mapped[dt.date] = mapped_column(Date)
    product_line: Mapped[str] = mapped_column(String(32), default="")
    intention: Mapped[str] = mapped_column(String(4), default="")
    channel: Mapped[str] = mapped_column(String(64), default="")
    coord_system: Mapped[str] = mapped_column(String(8), default="")
    home_text: Mapped[str] = mapped_column(Text, default="")
    home_lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    home_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    work_text: Mapped[str] = mapped_column(Text, default="")
    work_lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    work_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    leisure_text: Mapped[str] = mapped_column(Text, default="")
    leisure_lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    leisure_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    deal: Mapped[bool] = mapped_column(Boolean, default=False)  # stage counts as 成交 under the project's rule
    stage: Mapped[str] = mapped_column(String(8), default="", server_default="")  # 来访/认筹/认购/签约/退房
    stage_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    deal_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    deal_product_line: Mapped[str] = mapped_column(String(32), default="")
    deal_amount: Mapped[float | None] = mapped_column(Float, nullable=True)
    age_band: Mapped[str] = mapped_column(String(32), default="")
    industry: Mapped[str] = mapped_column(String(64), default="")
    team: Mapped[str] = mapped_column(String(64), default="", server_default="")  # 拓客人员/渠道团队/置业顾问 text
    income_band: Mapped[str] = mapped_column(String(32), default="")
    family: Mapped[str] = mapped_column(String(32), default="")
    purpose: Mapped[str] = mapped_column(String(32), default="")
    phone_masked: Mapped[str] = mapped_column(String(32), default="")
    phone_hash: Mapped[str] = mapped_column(String(32), default="")
    name_masked: Mapped[str] = mapped_column(String(64), default="")
    name_hash: Mapped[str] = mapped_column(String(32), default="")
    # segments (issue 15): 意向面积 / 意向总价 as the file gave them (read into bands at read time), 意向区域,
    # 籍贯 as a 6-digit city code derived at ingest when the user opted in (the ID number is never stored)
    area_want: Mapped[str] = mapped_column(String(32), default="", server_default="")
    price_want: Mapped[str] = mapped_column(String(32), default="", server_default="")
    intended_text: Mapped[str] = mapped_column(String(100), default="", server_default="")
    hometown: Mapped[str] = mapped_column(String(6), default="", server_default="")


class Location(Base):
    """A visitor's resolved location for one dimension (home/work/leisure), WGS-84."""

    __tablename__ = "locations"
    __table_args__ = (Index("ix_locations_adcode", "adcode"),)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitors.id", ondelete="CASCADE"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(8), primary_key=True)
    adcode: Mapped[str] = mapped_column(String(6), default="")
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    level: Mapped[str] = mapped_column(String(16), default="none")
    method: Mapped[str] = mapped_column(String(32), default="")
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    town_code: Mapped[str] = mapped_column(String(9), default="", server_default="")
    outside: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    candidates: Mapped[str] = mapped_column(Text, default="", server_default="")


class GradingSnapshot(Base):
    """A saved grading run (a plan): settings, fitted bins, grades per product line, KPI targets."""

    __tablename__ = "grading_snapshots"
    __table_args__ = (UniqueConstraint("project_id", "name", "version", name="uq_snapshot_name_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)
    layer_id: Mapped[str] = mapped_column(String(120))
    dimension: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)  # JSON, see mapping.plan
    # approval: a draft until a 销售总监 approves it; an approved version is locked and a change
    # to it is saved as the next version (same name, version + 1, a draft again)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    status: Mapped[str] = mapped_column(String(12), default="draft", server_default="draft")  # draft/approved
    created_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    approved_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Team(Base):
    """A 渠道团队 / 拓客小组 / 中介公司 / 置业顾问 / 小蜜蜂 of a project (see mapping.db.operations)."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_team_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="渠道团队", server_default="渠道团队")  # schema.TEAM_KINDS
    size: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # people
    cost_model: Mapped[str] = mapped_column(String(16), default="按人天", server_default="按人天")  # schema.COST_MODELS
    day_rate: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")  # 元/人天
    commission: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")  # 元/成交
    monthly_fee: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")  # 元/月
    base_area: Mapped[str] = mapped_column(String(120), default="", server_default="")  # an area_id, "" none
    base_lng: Mapped[float | None] = mapped_column(Float, nullable=True)  # WGS-84
    base_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    aliases: Mapped[str] = mapped_column(Text, default="", server_default="")  # "、"-joined other spellings
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)


class TerritorySet(Base):
    """Which team works which areas of a plan (JSON payload, see mapping.db.operations); versioned
    and approved like a grading snapshot."""

    __tablename__ = "territory_sets"
    __table_args__ = (UniqueConstraint("project_id", "name", "version", name="uq_territory_name_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("grading_snapshots.id", ondelete="SET NULL"),
                                                    nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    status: Mapped[str] = mapped_column(String(12), default="draft", server_default="draft")  # draft/approved
    method: Mapped[str] = mapped_column(String(16), default="manual", server_default="manual")  # manual/balance/auction
    payload: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)
    approved_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Cost(Base):
    """One cost entry: what a channel / team / area cost in a period (元), with the leads it brought."""

    __tablename__ = "costs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(64), default="", server_default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    area_id: Mapped[str] = mapped_column(String(120), default="", server_default="")
    category: Mapped[str] = mapped_column(String(16))  # schema.COST_CATEGORIES
    amount: Mapped[float] = mapped_column(Float)
    leads: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    batch: Mapped[str] = mapped_column(String(120), default="", server_default="")  # one entry or import
    created_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)


class ProjectOps(Base):
    """A project's operations settings (JSON, see Operations.ops_settings)."""

    __tablename__ = "project_ops"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)


class ValueMap(Base):
    """A project's choice for a category value its files use: raw 「叠墅」 in 意向业态 means 「洋房」."""

    __tablename__ = "value_maps"
    __table_args__ = (UniqueConstraint("project_id", "field", "raw", name="uq_value_map"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(32))  # canonical column, e.g. product_line, stage, channel
    raw: Mapped[str] = mapped_column(String(200))  # the value as normalised for matching
    target: Mapped[str] = mapped_column(String(64))


class VisitorVersion(Base):
    """What an import changed, so it can be undone: the visitor as it was before (JSON of its
    fields and locations), or NULL when the import inserted it."""

    __tablename__ = "visitor_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"), index=True)
    visitor_key: Mapped[str] = mapped_column(String(64))
    previous: Mapped[str | None] = mapped_column(Text, nullable=True)


class PlaceCache(Base):
    """A resolved place string (normalised), so re-imports cost nothing.  ``version``
    identifies the gazetteer and resolver that produced it; others are ignored."""

    __tablename__ = "place_cache"
    city: Mapped[str] = mapped_column(String(6), primary_key=True)
    text: Mapped[str] = mapped_column(String(300), primary_key=True)
    version: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(Text)  # JSON of the result columns


class PlaceAlias(Base):
    """A user's correction from the review page: this string means this place."""

    __tablename__ = "place_aliases"
    __table_args__ = (UniqueConstraint("city", "text", name="uq_alias_text"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    city: Mapped[str] = mapped_column(String(6))
    text: Mapped[str] = mapped_column(String(300))
    adcode: Mapped[str] = mapped_column(String(6))
    lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)


class User(Base):
    """A sign-in account.  ``password_hash`` is an argon2id hash ("" for an SSO-only account);
    ``failed``/``locked_until`` drive the lockout after failed attempts."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    role: Mapped[str] = mapped_column(String(16))  # see mapping.access.roles.ROLES
    password_hash: Mapped[str] = mapped_column(String(200), default="", server_default="")
    email: Mapped[str] = mapped_column(String(200), default="", server_default="")  # for SSO (st.login)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    failed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_login: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)


class ProjectMember(Base):
    """Which projects a user sees (管理员 see all of them)."""

    __tablename__ = "project_members"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)


class UserSession(Base):
    """A signed-in browser: the SHA-256 of its random token (the token itself is only in the
    browser's cookie), so a reload stays signed in until ``expires_at``."""

    __tablename__ = "user_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    """The audit log: append-only (database triggers refuse UPDATE and DELETE).  Who did what,
    when, in which project, on how many rows.  Never holds personal data of visitors."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)
    username: Mapped[str] = mapped_column(String(64), default="", server_default="")
    action: Mapped[str] = mapped_column(String(32))  # e.g. sign_in, sign_in_failed, import, undo, export
    project_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # no FK: outlives the project
    detail: Mapped[str] = mapped_column(Text, default="", server_default="")
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ok: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
