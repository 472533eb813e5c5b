"""The database: projects, imports, visitors and their resolved locations.

SQLite file by default (``TUOKE_DB_PATH``, default ``var/tuoke.sqlite3``);
PostgreSQL when ``DATABASE_URL`` is set.  The schema is created and upgraded by
Alembic migrations (:meth:`Store.migrate`).

The store only stores: it never resolves a place or calls a geocoder.  The
import pipeline (:mod:`mapping.importer`) diffs a file against the stored row
hashes, resolves what is new or changed, and hands the result to
:meth:`Store.write_import`, which writes it **atomically** (one transaction: a
failure half-way leaves the database as it was).  Corrections of place names
(:mod:`mapping.corrections`) read and replace locations through it likewise.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Integer, case, create_engine, delete, event, func, insert, inspect, select, update
from sqlalchemy import cast as sa_cast
from sqlalchemy import literal as sa_literal
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from mapping import schema as S
from mapping.db.models import (
    GradingSnapshot,
    ImportBatch,
    Location,
    PlaceAlias,
    PlaceCache,
    Setting,
    ValueMap,
    Visitor,
    VisitorVersion,
)
from mapping.db.models import Project as ProjectRow
from mapping.db.versions import APPROVED, DRAFT, save_version
from mapping.ingest import keys
from mapping.paths import VAR
from mapping.project import Project

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SNAPSHOT_COLUMNS = ["id", "name", "version", "status", "created_at", "created_by", "approved_by", "approved_at",
                    "layer_id", "dimension"]
CHUNK = 5000
COPY_ROWS = 20_000  # rows per executemany on SQLite

# Optional fields added after the first schema, stored last in this order: mapping.importer.prepare leaves
# the trailing EMPTY ones out of row_hash, so a row that has none of them hashes as before they existed
# (re-importing an older file is "unchanged").
TRAILING_FIELDS = (S.TEAM, *S.SEGMENT_FIELDS)
VISITOR_FIELDS = (
    "visitor_code", "visit_date", "product_line", "intention", "channel", "coord_system",
    *S.LOCATION_COLUMNS, "deal", "deal_date", "deal_product_line", "deal_amount",
    *S.PROFILE_COLUMNS, "phone_masked", "phone_hash", "name_masked", "name_hash", "stage", "stage_date",
    *TRAILING_FIELDS,
)

def default_url() -> str:
    """``DATABASE_URL`` if set, else a SQLite file (``TUOKE_DB_PATH``)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    path = Path(os.environ.get("TUOKE_DB_PATH", VAR / "tuoke.sqlite3"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    sqlite = parsed.get_backend_name() == "sqlite"
    # SQLite: a writer waits up to 30 s for another (two imports at once queue instead of
    # failing with "database is locked"); WAL lets readers go on while one writes.
    connect_args = {"timeout": 30} if sqlite else {}
    # hide_parameters: an error (IntegrityError …) never echoes a row's values into a message or a log
    engine = create_engine(parsed, future=True, pool_pre_ping=True, connect_args=connect_args, hide_parameters=True)
    if sqlite:
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()
    return engine


class Store:
    """Access to one database.

    Examples
    --------
    >>> store = Store("sqlite://")
    >>> store.migrate()
    >>> pid = store.create_project("示例", "310000", dt.date(2024, 5, 1), ["公寓"])
    >>> store.projects()["name"].tolist()
    ['示例']
    """

    def __init__(self, url: str | None = None):
        self.url = url or default_url()
        self.engine = _engine(self.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # ----------------------------------------------------------------- schema
    def migrate(self) -> None:
        """Create or upgrade the schema to the latest migration."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            cfg.attributes["pii_key"] = self.pii_key  # migration 0006 re-keys stored hashes with it
            command.upgrade(cfg, "head")

    def is_empty(self) -> bool:
        if not inspect(self.engine).has_table("projects"):
            return True
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(ProjectRow)).scalar_one() == 0

    def setting(self, key: str) -> str | None:
        """The installation setting ``key`` (app_settings), None when it was never written."""
        with self.engine.connect() as conn:
            return conn.execute(select(Setting.value).where(Setting.key == key)).scalar()

    def claim_setting(self, key: str, value: str) -> bool:
        """Write the setting ``key`` once: True for the process that wrote it, False when it was there
        already (two app instances starting together: one of them does the work)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(Setting).values(key=key, value=value))
            return True
        except IntegrityError:
            return False

    def forget_setting(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(Setting).where(Setting.key == key))

    def salt(self) -> str:
        """Per-installation secret for hashing personal data (created on first use)."""
        with self.engine.begin() as conn:
            value = conn.execute(select(Setting.value).where(Setting.key == "pii_salt")).scalar()
            if value is None:
                value = os.environ.get("TUOKE_PII_SALT") or secrets.token_hex(16)
                conn.execute(insert(Setting).values(key="pii_salt", value=value))
            return value

    def pii_key_file(self) -> Path:
        """Where this database's key file is (when ``TUOKE_PII_KEY`` is not set): see :mod:`mapping.ingest.keys`."""
        url = self.engine.url
        return keys.default_key_file(url.database if url.get_backend_name() == "sqlite" else None)

    def pii_key(self) -> bytes:
        """The key for hashing personal data, from outside the database (:func:`mapping.ingest.keys.pii_key`)."""
        url = self.engine.url
        return keys.pii_key(url.database if url.get_backend_name() == "sqlite" else None)

    def pii_secret(self) -> keys.PiiSecret:
        """Key and salt for hashing phone numbers and names; the key checked against the database.

        The first call stores the key's fingerprint in ``app_settings``; later calls refuse a
        different key (:class:`mapping.ingest.keys.PiiKeyError`, in Chinese) rather than hash
        re-imported visitors differently from the stored ones.
        """
        key, salt = self.pii_key(), self.salt()
        with self.engine.begin() as conn:
            stored = conn.execute(select(Setting.value).where(Setting.key == keys.FINGERPRINT_SETTING)).scalar()
            if stored is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(Setting).values(key=keys.FINGERPRINT_SETTING, value=keys.fingerprint(key)))
                    stored = keys.fingerprint(key)
                except IntegrityError:  # another process stored its fingerprint first
                    stored = conn.execute(select(Setting.value).where(
                        Setting.key == keys.FINGERPRINT_SETTING)).scalar()
        keys.check_fingerprint(stored, key)
        return keys.PiiSecret(key, salt)

    # --------------------------------------------------------------- projects
    def create_project(self, name: str, city_adcode: str, launch_date: dt.date | None,
                       product_lines, area_layer: str = S.LAYER_DISTRICTS,
                       site: tuple[float, float] | None = None) -> int:
        """A new project; its id.  The name is unique (ValueError in Chinese otherwise)."""
        name, city_adcode = self._clean_name(name), self._clean_city(city_adcode)
        with self.engine.begin() as conn:
            self._check_unique_name(conn, name)
            return conn.execute(insert(ProjectRow).values(
                name=name, city_adcode=city_adcode, launch_date=self._clean_launch_date(launch_date),
                product_lines=",".join(self._clean_lines(product_lines)), area_layer=area_layer,
                site_lng=site[0] if site else None, site_lat=site[1] if site else None,
                created_at=dt.datetime.now(),
            ).returning(ProjectRow.id)).scalar_one()

    def projects(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            rows = conn.execute(select(ProjectRow.__table__).order_by(ProjectRow.id)).mappings().all()
        return pd.DataFrame([{
            "id": p["id"], "name": p["name"], "city_adcode": p["city_adcode"], "launch_date": p["launch_date"],
            "product_lines": [x for x in p["product_lines"].split(",") if x], "area_layer": p["area_layer"],
            "site_lng": p["site_lng"], "site_lat": p["site_lat"],
            "competitors": json.loads(p["competitors"]) if p["competitors"] else [],
            "archived": bool(p["archived"]),
        } for p in rows], columns=["id", "name", "city_adcode", "launch_date", "product_lines",
                                   "area_layer", "site_lng", "site_lat", "competitors", "archived"])

    def project(self, project_id: int) -> Project:
        with self.engine.connect() as conn:
            row = conn.execute(select(ProjectRow.__table__).where(ProjectRow.id == project_id)).mappings().first()
        if row is None:
            raise KeyError(f"没有编号为 {project_id} 的项目")
        return Project(
            id=row["id"], name=row["name"], city_adcode=row["city_adcode"], launch_date=row["launch_date"],
            product_lines=tuple(x for x in row["product_lines"].split(",") if x), area_layer=row["area_layer"],
            site_lng=row["site_lng"], site_lat=row["site_lat"],
            competitors=tuple(json.loads(row["competitors"])) if row["competitors"] else (),
            archived=bool(row["archived"]), min_count=int(row["min_count"]), deal_stage=row["deal_stage"],
            stages=tuple(x for x in row["stages"].split(",") if x), segment_bands=row["segment_bands"] or "")

    def set_sites(self, project_id: int, site: tuple[float, float] | None, competitors: list[dict]) -> None:
        """The project's own site and its competitors ({name, lng, lat} in WGS-84)."""
        clean = []
        for i, c in enumerate(competitors, start=1):
            name = str(c.get("name") or "").strip()
            try:
                lng, lat = float(c["lng"]), float(c["lat"])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"第 {i} 个竞品「{name or '未命名'}」的经纬度不是数字，请填写经度和纬度。") from None
            if not name:
                raise ValueError(f"第 {i} 个竞品没有名称，请填写名称。")
            if not (73 <= lng <= 136 and 3 <= lat <= 54):
                raise ValueError(f"竞品「{name}」的坐标（{lng}, {lat}）不在中国范围内：经度约 73–136，纬度约 3–54，"
                                 "请检查是否把经纬度填反了。")
            clean.append({"name": name[:100], "lng": round(lng, 6), "lat": round(lat, 6)})
        with self.engine.begin() as conn:
            conn.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(
                site_lng=site[0] if site else None, site_lat=site[1] if site else None,
                competitors=json.dumps(clean, ensure_ascii=False)))

    # The sales stages in the order a visitor goes through them (schema.STAGE_RANK; 退房 undoes a deal
    # and never counts) and those a project may count as 成交, with every later one (schema.DEAL_STAGES).
    SALES_STAGES = tuple(S.STAGE_RANK)
    DEAL_STAGES = S.DEAL_STAGES
    CANCELLED_STAGE = S.STAGE_REFUND
    MIN_COUNT_LIMITS = (1, 100)  # the minimum count k a project may set

    def update_project(self, project_id: int, *, name: str | None = None, city_adcode: str | None = None,
                       launch_date: dt.date | None = ..., product_lines=None, area_layer: str | None = None,
                       min_count: int | None = None, stages=None) -> None:
        """Change a project's settings in one transaction; what is left out stays as it is.

        ``launch_date=None`` clears the launch date (leave it out to keep the date).
        Changing the product lines or the minimum count bumps the project's settings
        version, so every cache keyed by :meth:`data_version` refreshes.

        Raises
        ------
        ValueError
            In Chinese, naming the setting: an empty or taken name, a city code that is
            not six digits, a product line that is blank-only, too long or holds a comma,
            an area unit not in ``schema.LAYER_LABELS``, a minimum count outside 1–100,
            stages that are unknown or leave out the stage counted as 成交, an unknown project.
        """
        values = self._settings_values(name=name, city_adcode=city_adcode, launch_date=launch_date,
                                       product_lines=product_lines, area_layer=area_layer,
                                       min_count=min_count, stages=stages)
        with self.engine.begin() as conn:
            current = self._project_row(conn, project_id)
            if values.get("name", current["name"]) != current["name"]:
                self._check_unique_name(conn, values["name"])
            if current["deal_stage"] not in values.get("stages", current["deal_stage"]).split(","):
                raise ValueError(f"销售阶段必须包含现在算作成交的「{current['deal_stage']}」；"
                                 "要去掉它，请先把「成交口径」改成另一个阶段。")
            if any(values.get(key, current[key]) != current[key] for key in ("product_lines", "min_count",
                                                                            "city_adcode")):
                values["settings_version"] = ProjectRow.settings_version + 1
            if values:
                conn.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(**values))

    def rename_product_line(self, project_id: int, old: str, new: str) -> int:
        """Rename the product line ``old`` to ``new`` everywhere in the project; the visitors changed.

        The project's list keeps its order; the visitors' 意向业态 and 成交业态 and the
        value maps that lead to ``old`` follow, in one transaction.

        Raises
        ------
        ValueError
            When the project has no line ``old``, already has a line ``new``, or ``new`` is
            not a valid product line name.
        """
        cleaned = self._clean_lines([new])
        if not cleaned:
            raise ValueError(f"请填写「{old}」的新名称。")
        new = cleaned[0]
        with self.engine.begin() as conn:
            lines = self._lines_of(self._project_row(conn, project_id))
            if old not in lines:
                raise ValueError(f"项目没有业态「{old}」；现有业态：{'、'.join(lines) or '无'}。")
            if new == old:
                return 0
            if new in lines:
                raise ValueError(f"项目已有业态「{new}」，不能把「{old}」改成同一个名字。")
            conn.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(
                product_lines=",".join(new if line == old else line for line in lines),
                settings_version=ProjectRow.settings_version + 1))
            conn.execute(update(ValueMap).where(
                ValueMap.project_id == project_id, ValueMap.target == old,
                ValueMap.field.in_((S.PRODUCT_LINE, S.DEAL_PRODUCT_LINE))).values(target=new))
            return conn.execute(update(Visitor).where(
                Visitor.project_id == project_id, (Visitor.product_line == old) | (Visitor.deal_product_line == old),
            ).values(product_line=case((Visitor.product_line == old, new), else_=Visitor.product_line),
                     deal_product_line=case((Visitor.deal_product_line == old, new),
                                            else_=Visitor.deal_product_line))).rowcount

    def set_deal_stage(self, project_id: int, stage: str) -> int:
        """Count ``stage`` (认购 or 签约) and every later stage as 成交; the visitors whose 成交 changed.

        ``visitors.deal`` of the whole project is recomputed from ``visitors.stage`` in one
        UPDATE: 退房 and any other stage never count; a visitor with no stage keeps its
        成交 as imported.  The settings version is bumped, so cached counts refresh.

        Raises
        ------
        ValueError
            When ``stage`` is not 认购 or 签约, or is not among the project's stages.
        """
        if stage not in self.DEAL_STAGES:
            raise ValueError(f"成交口径只能是 {' 或 '.join(self.DEAL_STAGES)}，收到「{stage}」。")
        is_deal = Visitor.stage.in_(self.SALES_STAGES[self.SALES_STAGES.index(stage):])
        with self.engine.begin() as conn:
            stages = self._project_row(conn, project_id)["stages"].split(",")
            if stage not in stages:
                raise ValueError(f"「{stage}」不在本项目使用的销售阶段（{'、'.join(stages)}）中，"
                                 "请先在销售阶段里勾选它。")
            conn.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(
                deal_stage=stage, settings_version=ProjectRow.settings_version + 1))
            return conn.execute(update(Visitor).where(
                Visitor.project_id == project_id, Visitor.stage != "", Visitor.deal != is_deal,
            ).values(deal=is_deal)).rowcount

    def set_segment_bands(self, project_id: int, area_text: str, price_text: str) -> None:
        """Save the project's 面积段 and 总价段 as the cut points a user typed ("90, 120, 144"; "" = the
        defaults of :mod:`mapping.segments.bands`) and bump the settings version, so every cache keyed by
        :meth:`data_version` refreshes.  Stored as JSON {"area": "90,120,144", "price": "…"} in
        :attr:`Project.segment_bands`, each text one :func:`mapping.segments.bands.bands_from_text` reads
        (a leading 0 the user typed is dropped: 0 is always the first edge).

        Raises
        ------
        ValueError
            In Chinese, naming 面积段 or 总价段: cut points that are not increasing positive numbers.
        """
        texts = {"area": self._clean_band_text("area", area_text), "price": self._clean_band_text("price", price_text)}
        payload = json.dumps(texts, ensure_ascii=False) if any(texts.values()) else ""
        with self.engine.begin() as conn:
            current = self._project_row(conn, project_id)
            if (current["segment_bands"] or "") == payload:
                return
            conn.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(
                segment_bands=payload, settings_version=ProjectRow.settings_version + 1))

    @staticmethod
    def _clean_band_text(kind: str, text) -> str:
        """The cut points of ``text`` as "90,120,144" ("" for none), checked by ``bands_from_text``."""
        from mapping.segments.bands import BandError, bands_from_text  # pure module; imported where used

        label = "面积段" if kind == "area" else "总价段"
        text = "" if text is None else str(text).strip()
        if not text:
            return ""
        if len(text) > 200:
            raise ValueError(f"{label}的分段点太长（{len(text)} 个字符），请只写几个数字，如 90, 120, 144。")
        pieces = [p for p in text.replace("，", ",").replace("、", ",").split(",") if p.strip()]
        if len(pieces) > 1 and pieces[0].strip() in ("0", "0.0"):
            text = ",".join(pieces[1:])
        try:
            bands = bands_from_text(kind, text)
        except BandError as exc:
            raise ValueError(f"{label}：{exc}") from None
        if len(bands.labels) > 20:
            raise ValueError(f"{label}分了 {len(bands.labels)} 段，最多 20 段；请合并一些分段点。")
        return ",".join(f"{edge:g}" for edge in bands.edges[1:-1])

    def archive_project(self, project_id: int, archived: bool = True) -> None:
        """Hide a project from the pickers (``archived=False`` shows it again); its data stays."""
        with self.engine.begin() as conn:
            self._project_row(conn, project_id)
            conn.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(archived=bool(archived)))

    def delete_project(self, project_id: int) -> None:
        """Delete a project and everything of it, in one transaction: its visitors and their
        locations, its imports (and what they changed), saved gradings and value maps."""
        visitor_ids = select(Visitor.id).where(Visitor.project_id == project_id)
        import_ids = select(ImportBatch.id).where(ImportBatch.project_id == project_id)
        with self.engine.begin() as conn:
            self._project_row(conn, project_id)
            for statement in (delete(Location).where(Location.visitor_id.in_(visitor_ids)),
                              delete(Visitor).where(Visitor.project_id == project_id),
                              delete(VisitorVersion).where(VisitorVersion.import_id.in_(import_ids)),
                              delete(ImportBatch).where(ImportBatch.project_id == project_id),
                              delete(GradingSnapshot).where(GradingSnapshot.project_id == project_id),
                              delete(ValueMap).where(ValueMap.project_id == project_id),
                              delete(ProjectRow).where(ProjectRow.id == project_id)):
                conn.execute(statement)

    def value_maps(self, project_id: int) -> dict[str, dict[str, str]]:
        """The project's value maps as ``{field: {raw: target}}``, e.g. ``{"product_line": {"叠墅": "洋房"}}``."""
        maps: dict[str, dict[str, str]] = {}
        for field, raw, target in self.value_map_rows(project_id).itertuples(index=False):
            maps.setdefault(field, {})[raw] = target
        return maps

    def value_map_rows(self, project_id: int) -> pd.DataFrame:
        """The project's value maps, one row each (columns field, raw, target), sorted by field and raw."""
        query = select(ValueMap.field, ValueMap.raw, ValueMap.target).where(ValueMap.project_id == project_id)
        with self.engine.connect() as conn:
            frame = pd.DataFrame(conn.execute(query).all(), columns=["field", "raw", "target"])
        return frame.sort_values(["field", "raw"], ignore_index=True)

    def put_value_maps(self, project_id: int, field: str, mapping: dict[str, str]) -> None:
        """Save ``{raw: target}`` for ``field`` (a canonical column), replacing the same raw values."""
        field = str(field or "").strip()
        if not field or len(field) > 32:
            raise ValueError(f"值映射的字段应为 1–32 个字符的列名，收到「{field}」。")
        rows = [{"project_id": project_id, "field": field, **pair} for pair in self._clean_value_map(mapping)]
        raws = [row["raw"] for row in rows]
        with self.engine.begin() as conn:
            self._project_row(conn, project_id)
            for start in range(0, len(raws), 900):
                conn.execute(delete(ValueMap).where(ValueMap.project_id == project_id, ValueMap.field == field,
                                                    ValueMap.raw.in_(raws[start:start + 900])))
            if rows:
                conn.execute(insert(ValueMap), rows)

    def delete_value_map(self, project_id: int, field: str, raw: str) -> None:
        """Forget what ``raw`` in ``field`` means for the project (nothing happens when it was not set)."""
        with self.engine.begin() as conn:
            conn.execute(delete(ValueMap).where(ValueMap.project_id == project_id, ValueMap.field == field,
                                                ValueMap.raw == raw))

    def _project_row(self, conn, project_id: int):
        row = conn.execute(select(ProjectRow.__table__).where(ProjectRow.id == project_id)).mappings().first()
        if row is None:
            raise ValueError(f"没有编号为 {project_id} 的项目（可能已被删除），请刷新页面后重新选择项目。")
        return row

    @staticmethod
    def _lines_of(row) -> list[str]:
        return [line for line in row["product_lines"].split(",") if line]

    @staticmethod
    def _check_unique_name(conn, name: str) -> None:
        if conn.execute(select(ProjectRow.id).where(ProjectRow.name == name)).scalar() is not None:
            raise ValueError(f"已有同名项目「{name}」，请换一个名称")

    def _settings_values(self, *, launch_date, **given) -> dict:
        """The columns :meth:`update_project` writes: each given setting, validated."""
        cleaners = {"name": self._clean_name, "city_adcode": self._clean_city, "area_layer": self._clean_layer,
                    "min_count": self._clean_min_count,
                    "product_lines": lambda lines: ",".join(self._clean_lines(lines)),
                    "stages": lambda stages: ",".join(self._clean_stages(stages))}
        values = {key: cleaners[key](value) for key, value in given.items() if value is not None}
        if launch_date is not ...:
            values["launch_date"] = self._clean_launch_date(launch_date)
        return values

    @staticmethod
    def _clean_name(name) -> str:
        name = str(name or "").strip()
        if not name:
            raise ValueError("项目名称不能为空")
        if len(name) > 200:
            raise ValueError(f"项目名称最多 200 个字，现在是 {len(name)} 个字。")
        return name

    @staticmethod
    def _clean_city(adcode) -> str:
        code = str(adcode or "").strip()
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise ValueError(f"城市代码应为 6 位数字（例如上海 310000），收到「{code}」。")
        return code

    @staticmethod
    def _clean_launch_date(value) -> dt.date | None:
        if value is None or value is pd.NaT:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        raise ValueError(f"开盘日期应为日期（例如 2024-05-01），收到「{value}」。")

    @staticmethod
    def _clean_lines(lines) -> list[str]:
        """Product line names stripped, blanks dropped, duplicates once, in the order given."""
        clean: list[str] = []
        for line in [lines] if isinstance(lines, str) else (lines or ()):
            line = str(line).strip()
            if "," in line:
                raise ValueError(f"业态名称不能含逗号：「{line}」。多个业态请分开添加。")
            if len(line) > 32:
                raise ValueError(f"业态名称最多 32 个字：「{line[:32]}…」。")
            if line and line not in clean:
                clean.append(line)
        return clean

    @classmethod
    def _clean_stages(cls, stages) -> list[str]:
        chosen = {str(stage).strip() for stage in stages}
        unknown = chosen - set(cls.SALES_STAGES)
        if unknown:
            raise ValueError(f"不认识的销售阶段：{'、'.join(sorted(unknown))}；可选：{'、'.join(cls.SALES_STAGES)}。")
        if not chosen:
            raise ValueError("请至少选择一个销售阶段。")
        return [stage for stage in cls.SALES_STAGES if stage in chosen]

    @staticmethod
    def _clean_layer(layer: str) -> str:
        if layer not in S.LAYER_LABELS:
            raise ValueError(f"默认分级单元应为 {'、'.join(S.LAYER_LABELS.values())} 之一，收到「{layer}」。")
        return layer

    @classmethod
    def _clean_min_count(cls, k) -> int:
        low, high = cls.MIN_COUNT_LIMITS
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not low <= k <= high:
            raise ValueError(f"最少人数 k 应为 {low}–{high} 的整数，收到「{k}」。")
        return int(k)

    @staticmethod
    def _clean_value_map(mapping: dict[str, str]) -> list[dict[str, str]]:
        pairs = []
        for raw, target in mapping.items():
            raw, target = str(raw), str(target if target is not None else "").strip()
            if not raw.strip() or len(raw) > 200:
                raise ValueError(f"值映射的原值应为 1–200 个字符，收到「{raw[:40]}」。")
            if len(target) > 64:
                raise ValueError(f"「{raw}」的对应值最多 64 个字，收到「{target[:40]}…」。")
            pairs.append({"raw": raw, "target": target})
        return pairs

    # ---------------------------------------------------------------- grading snapshots (plans)
    # A plan is a draft until a 销售总监 approves it (:meth:`approve_snapshot`); an approved
    # version is locked: saving under its name makes the next version, a draft again.  Only the
    # latest version of a name can be a draft.
    def save_snapshot(self, project_id: int, name: str, layer_id: str, dimension: str, payload: dict, *,
                      created_by: str = "", replace: bool = False) -> int:
        """Save a grading run as a plan under a name; returns the saved version's id.

        A new name is version 1, a draft.  When the name's latest version is a draft,
        ``replace`` overwrites it (else ValueError); when it is approved, it is never
        touched: the run is saved as the next version, a draft (compare the returned
        id's ``version`` to tell).
        """
        name = str(name or "").strip()[:200]
        if not name:
            raise ValueError("请给这次分级起个名字，例如「2024年第12周 拓客计划」。")
        values = dict(created_at=dt.datetime.now(), layer_id=layer_id, dimension=dimension,
                      payload=json.dumps(payload, ensure_ascii=False), created_by=str(created_by or "")[:64])
        try:
            with self.engine.begin() as conn:
                return save_version(conn, GradingSnapshot, project_id, name, values, replace=replace, what="方案")
        except IntegrityError as exc:  # someone saved the same name and version a moment ago
            raise ValueError(f"刚才有人同时保存了「{name}」。请再保存一次。") from exc

    def approve_snapshot(self, snapshot_id: int, approved_by: str) -> None:
        """Approve a draft plan: it becomes locked (never changed or deleted afterwards)."""
        approved_by = str(approved_by or "").strip()[:64]
        if not approved_by:
            raise ValueError("批准方案需要写明批准人。")
        with self.engine.begin() as conn:
            done = conn.execute(update(GradingSnapshot).where(
                GradingSnapshot.id == snapshot_id, GradingSnapshot.status == DRAFT).values(
                status=APPROVED, approved_by=approved_by, approved_at=dt.datetime.now())).rowcount
            if done:
                return
            row = conn.execute(select(GradingSnapshot.name, GradingSnapshot.version).where(
                GradingSnapshot.id == snapshot_id)).first()
        if row is None:
            raise KeyError(f"没有编号为 {snapshot_id} 的分级快照")
        raise ValueError(f"方案「{row.name}」第 {row.version} 版已经批准过了，不能再次批准或修改。")

    def snapshots(self, project_id: int) -> pd.DataFrame:
        """Saved plans of a project, newest first (without their payload), with version and approval."""
        query = (select(*(getattr(GradingSnapshot, c) for c in SNAPSHOT_COLUMNS))
                 .where(GradingSnapshot.project_id == project_id).order_by(GradingSnapshot.id.desc()))
        with self.engine.connect() as conn:
            out = pd.DataFrame(conn.execute(query).mappings().all(), columns=SNAPSHOT_COLUMNS)
        out["approved_at"] = out["approved_at"].astype(object).where(out["approved_at"].notna(), None)
        return out

    def snapshot(self, snapshot_id: int) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(select(GradingSnapshot.__table__).where(
                GradingSnapshot.id == snapshot_id)).mappings().first()
        if row is None:
            raise KeyError(f"没有编号为 {snapshot_id} 的分级快照")
        return {**dict(row), "payload": json.loads(row["payload"])}

    def approved_plan(self, project_id: int) -> dict | None:
        """The project's plan in force: its most recently approved version (as :meth:`snapshot`), or None."""
        with self.engine.connect() as conn:
            found = conn.execute(select(GradingSnapshot.id).where(
                GradingSnapshot.project_id == project_id, GradingSnapshot.status == APPROVED)
                .order_by(GradingSnapshot.approved_at.desc(), GradingSnapshot.id.desc()).limit(1)).scalar()
        return None if found is None else self.snapshot(found)

    def delete_snapshot(self, snapshot_id: int) -> None:
        """Delete a draft plan (an approved version stays: it records what the team followed)."""
        with self.engine.begin() as conn:
            status = conn.execute(select(GradingSnapshot.status).where(GradingSnapshot.id == snapshot_id)).scalar()
            if status == APPROVED:
                raise ValueError("已批准的方案不能删除：它记录了团队按哪一版执行。要调整，请保存为新的版本。")
            conn.execute(delete(GradingSnapshot).where(GradingSnapshot.id == snapshot_id,
                                                       GradingSnapshot.status != APPROVED))

    # ---------------------------------------------------------------- imports
    def stored_hashes(self, project_id: int) -> dict[str, str]:
        """{visitor_key: row_hash} of the project's visitors: what an import diffs against."""
        with self.engine.connect() as conn:
            return dict(conn.execute(
                select(Visitor.visitor_key, Visitor.row_hash).where(Visitor.project_id == project_id)).all())

    def stored_hash_arrays(self, project_id: int, chunk: int = 100_000) -> tuple[pa.Array, pa.Array]:
        """:meth:`stored_hashes` as two Arrow string arrays (keys, row hashes), read ``chunk`` rows at a time:
        about a third of the dict's memory for a project of a million visitors."""
        keys: list[pa.Array] = []
        hashes: list[pa.Array] = []
        query = select(Visitor.visitor_key, Visitor.row_hash).where(Visitor.project_id == project_id)
        with self.engine.connect() as conn:
            for part in conn.execution_options(stream_results=True, yield_per=chunk).execute(query).partitions(chunk):
                keys.append(pa.array([row[0] for row in part], pa.string()))
                hashes.append(pa.array([row[1] for row in part], pa.string()))
        if not keys:
            return pa.array([], pa.string()), pa.array([], pa.string())
        return pa.concat_arrays(keys), pa.concat_arrays(hashes)

    def write_import(self, project_id: int, batch: dict, new: pd.DataFrame, changed: pd.DataFrame,
                     locations: pd.DataFrame) -> int:
        """Write one import in one transaction and return its id.

        ``batch`` holds the import's row of the imports table (filename, file_sha256,
        rows_total, accepted, fixed, rejected, unchanged, and optionally created_by);
        ``new`` and ``changed`` are prepared visitor records (``visitor_key``,
        ``row_hash`` and :data:`VISITOR_FIELDS`); ``locations`` are their resolved
        locations, one row per visitor and dimension, keyed by ``visitor_key``.  A
        concurrent import of the same visitors hits the unique key and rolls this one
        back whole.  Before changing anything it keeps a version of every visitor it
        touches (see :meth:`undo_import`).  One chunk of :meth:`write_import_chunks`.
        """
        return self.write_import_chunks(project_id, batch, [(new, changed, locations)])

    def write_import_chunks(self, project_id: int, batch: dict, chunks: Iterable[tuple[pd.DataFrame, ...]],
                            finish: Callable[[], dict] | None = None) -> int:
        """Write one import given as chunks ``(new, changed, locations)`` (as :meth:`write_import`), all in
        **one** transaction, and return its id: a failure in any chunk, or in the iterator producing them
        (which may resolve each chunk lazily, so only one chunk's rows are held at a time), leaves the
        database as it was.  ``inserted`` and ``updated`` of the import's row are the chunks' totals.

        Rows go in bulk: on PostgreSQL with ``COPY`` (straight into the tables for new rows, into a
        temporary table and one ``UPDATE … FROM`` for changed visitors); on SQLite with one prepared
        ``executemany`` per table and chunk.  New visitors get their ids up front (the sequence on
        PostgreSQL; above the largest id on SQLite, whose write lock this transaction holds), so no
        id is read back.  Nothing is built row by row in Python beyond the tuples handed to the driver.

        A chunk may carry a fourth frame, ``rewritten``: visitors an earlier chunk of this same import
        wrote (a file read batch by batch, whose later row of a visitor wins).  They are overwritten with
        their locations, without a version of their own (the earlier chunk kept the one of before the
        import) and without counting again.  ``finish()``, called after the last chunk in the same
        transaction, returns values for the import's row known only then (its row counts).
        """
        values = {**batch, "filename": batch["filename"][:300], "created_by": str(batch.get("created_by", ""))[:100]}
        values.pop("inserted", None)
        values.pop("updated", None)
        with self.engine.begin() as conn:
            batch_id = conn.execute(insert(ImportBatch).values(
                project_id=project_id, imported_at=dt.datetime.now(), **values, inserted=0, updated=0,
            ).returning(ImportBatch.id)).scalar_one()
            inserted = updated = 0
            if conn.dialect.name == "postgresql":
                inserted, updated = self._write_chunks_behind(conn, project_id, batch_id, chunks)
            else:
                for new, changed, locations, *rewritten in chunks:
                    previous_ids = self._write_versions(conn, project_id, batch_id, new, changed)
                    ids = self._insert_visitors(conn, project_id, batch_id, new)
                    changed_ids = self._update_visitors(conn, project_id, batch_id, changed, previous_ids)
                    self._write_locations(conn, locations, {**ids, **changed_ids},
                                          replace=list(changed_ids.values()))
                    self._rewrite_visitors(conn, project_id, batch_id, rewritten, locations)
                    inserted, updated = inserted + len(new), updated + len(changed) - self._put_back(rewritten)
            conn.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(
                inserted=inserted, updated=updated, **(finish() if finish else {})))
        return batch_id

    def _rewrite_visitors(self, conn, project_id: int, batch_id: int, rewritten: list, locations) -> None:
        """Overwrite visitors this import already wrote, and their locations (no version, no count).  One
        marked ``back`` (its later row is the stored one again) is put back exactly as it was before the
        import, and its version dropped: the import leaves it unchanged."""
        if not rewritten or not len(rewritten[0]):
            return
        frame = rewritten[0]
        back = frame["back"].to_numpy(dtype=bool) if "back" in frame else np.zeros(len(frame), bool)
        if (~back).any():
            ids = self._update_visitors(conn, project_id, batch_id, frame[~back])
            self._write_locations(conn, locations, ids, replace=list(ids.values()))
        keys = frame["visitor_key"][back].tolist()
        for start in range(0, len(keys), CHUNK):
            part = keys[start:start + CHUNK]
            mine = (VisitorVersion.import_id == batch_id) & VisitorVersion.visitor_key.in_(part)
            states = [json.loads(state) for state in conn.execute(
                select(VisitorVersion.previous).where(mine, VisitorVersion.previous.is_not(None))).scalars()]
            self._remove_visitors(conn, project_id, part)
            self._restore_visitors(conn, project_id, states)
            conn.execute(delete(VisitorVersion).where(mine))

    @staticmethod
    def _put_back(rewritten: list) -> int:
        """How many visitors of a chunk's ``rewritten`` go back to their state before the import."""
        return int(rewritten[0]["back"].sum()) if rewritten and "back" in rewritten[0] else 0

    def _write_chunks_behind(self, conn, project_id: int, batch_id: int,
                             chunks: Iterable[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]) -> tuple[int, int]:
        """PostgreSQL: the chunks of :meth:`write_import_chunks`, with each chunk's new visitors, their versions
        and locations turned into Arrow tables in the caller's thread while a writer thread sends the previous
        chunk (``COPY``), so the server's work (foreign-key checks, indexes) overlaps Python's instead of
        following it.  The writer does, in the order of the sequential path: the versions (the stored state
        of changed visitors read there), ids for the new visitors, the visitors, the changed ones' update,
        then the locations.  Only the writer thread uses ``conn``.  Returns (inserted, updated)."""
        counts = [0, 0]

        def built():
            for new, changed, locations, *rewritten in chunks:
                counts[0], counts[1] = counts[0] + len(new), counts[1] + len(changed) - self._put_back(rewritten)
                yield _NewRows.build(conn, project_id, batch_id, new, locations), changed, locations, rewritten

        def send(item) -> None:
            rows, changed, locations, rewritten = item
            _copy_table(conn, VisitorVersion.__tablename__, rows.versions)
            previous_ids = self._write_versions(conn, project_id, batch_id, rows.none, changed)
            if rows.count:
                ids = np.asarray(_new_ids(conn, Visitor.__table__, rows.count), dtype=np.int64)
                _copy_table(conn, Visitor.__tablename__, rows.visitors.add_column(0, "id", pa.array(ids)))
            changed_ids = self._update_visitors(conn, project_id, batch_id, changed, previous_ids)
            self._write_locations(conn, locations, changed_ids, replace=list(changed_ids.values()))
            if rows.locations is not None:
                _copy_table(conn, Location.__tablename__,
                            rows.locations.add_column(0, "visitor_id", pa.array(ids[rows.at])))
            self._rewrite_visitors(conn, project_id, batch_id, rewritten, locations)

        _behind(built(), send)
        return counts[0], counts[1]

    def put_places_bulk(self, city: str, version: str, results: dict[str, dict]) -> None:
        """:meth:`put_places` for the many strings of a large import, in one transaction: PostgreSQL
        ``COPY`` into a temporary table and one ``INSERT … ON CONFLICT DO UPDATE``; SQLite one
        ``executemany`` of ``INSERT OR REPLACE``.  Strings over 300 characters are not cached."""
        items = [(t, r) for t, r in results.items() if len(t) <= 300]
        if not items:
            return
        columns = {"city": [city] * len(items), "text": [t for t, _ in items], "version": [version] * len(items),
                   "result": [json.dumps(_jsonable(r), ensure_ascii=False) for _, r in items]}
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("CREATE TEMP TABLE import_stage_places (LIKE place_cache) ON COMMIT DROP")
                _copy(conn, "import_stage_places", columns)
                conn.exec_driver_sql(
                    "INSERT INTO place_cache (city, text, version, result) "
                    "SELECT city, text, version, result FROM import_stage_places "
                    "ON CONFLICT (city, text) DO UPDATE SET version = EXCLUDED.version, result = EXCLUDED.result")
            else:
                rows = list(zip(*columns.values()))
                for start in range(0, len(rows), COPY_ROWS):
                    conn.exec_driver_sql("INSERT OR REPLACE INTO place_cache (city, text, version, result) "
                                         "VALUES (?, ?, ?, ?)", rows[start:start + COPY_ROWS])

    def _write_versions(self, conn, project_id, batch_id, new: pd.DataFrame, changed: pd.DataFrame) -> dict[str, int]:
        """Keep what this import is about to change: NULL for a visitor it inserts; for one it updates,
        the stored row and its locations as JSON (:func:`_previous_states`), a chunk at a time, so a
        large import never holds all of them in memory.  Returns {visitor_key: id} of the updated ones."""
        _bulk_insert(conn, VisitorVersion.__table__, {
            "import_id": [batch_id] * len(new), "visitor_key": new["visitor_key"].tolist(),
            "previous": [None] * len(new)})
        keys = changed["visitor_key"].tolist()
        ids: dict[str, int] = {}
        for start in range(0, len(keys), CHUNK):
            previous = _previous_states(conn, project_id, keys[start:start + CHUNK], ids)
            _bulk_insert(conn, VisitorVersion.__table__, {
                "import_id": [batch_id] * len(previous), "visitor_key": list(previous),
                "previous": list(previous.values())})
        return ids

    def _insert_visitors(self, conn, project_id, batch_id, records: pd.DataFrame) -> dict[str, int]:
        """Insert new visitors with ids taken up front; {visitor_key: id}."""
        if records.empty:
            return {}
        ids = _new_ids(conn, Visitor.__table__, len(records))
        _bulk_insert(conn, Visitor.__table__, _visitor_columns(conn, records, project_id, batch_id, ids))
        return dict(zip(records["visitor_key"].tolist(), ids))

    def _update_visitors(self, conn, project_id, batch_id, records: pd.DataFrame,
                         ids: dict[str, int] | None = None) -> dict[str, int]:
        """Overwrite changed visitors (found by key; ``ids`` when already known); {visitor_key: id}."""
        if records.empty:
            return {}
        keys = records["visitor_key"].tolist()
        ids = dict(ids or {})
        missing = [k for k in keys if k not in ids]
        for start in range(0, len(missing), CHUNK):
            ids.update(conn.execute(select(Visitor.visitor_key, Visitor.id).where(
                Visitor.project_id == project_id, Visitor.visitor_key.in_(missing[start:start + CHUNK]))).all())
        columns = _visitor_columns(conn, records, project_id, batch_id, [ids[k] for k in keys])
        names = [n for n in columns if n != "id"]
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS import_stage_visitors "
                                 "(LIKE visitors INCLUDING DEFAULTS) ON COMMIT DROP")
            conn.exec_driver_sql("TRUNCATE import_stage_visitors")
            _copy(conn, "import_stage_visitors", columns)
            conn.exec_driver_sql(
                f"UPDATE visitors AS v SET {', '.join(f'{n} = s.{n}' for n in names)} "
                "FROM import_stage_visitors AS s WHERE v.id = s.id")
        else:
            conn.exec_driver_sql(f"UPDATE visitors SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
                                 list(zip(*(columns[n] for n in [*names, "id"]))))
        return {k: ids[k] for k in keys}

    def _write_locations(self, conn, locations: pd.DataFrame, ids: dict[str, int], replace=()) -> None:
        """Write the locations of the visitors in ``ids`` ({visitor_key: id}), first deleting the stored ones
        of the visitor ids in ``replace`` (those updated; a new visitor has none)."""
        if not ids:
            return
        replace = list(replace)
        for start in range(0, len(replace), CHUNK):
            conn.execute(delete(Location).where(Location.visitor_id.in_(replace[start:start + CHUNK])))
        at = pd.Index(list(ids)).get_indexer(locations["visitor_key"])  # a hash join, not a dict lookup per row
        keep = at >= 0
        loc = locations if keep.all() else locations[keep]
        visitor_ids = np.fromiter(ids.values(), dtype=np.int64, count=len(ids))[at[keep]]
        # in the order of the primary key (visitor_id, dimension): the key's index and the foreign-key
        # lookups in visitors then walk forward instead of jumping back once per dimension
        order = np.argsort(visitor_ids, kind="stable")
        _insert_locations(conn, visitor_ids[order].tolist(), loc.iloc[order])

    # ---------------------------------------------------------------- undoing an import
    def dependent_imports(self, import_id: int) -> list[int]:
        """Later imports of the same project that built on this one, newest first.

        An import builds on an earlier one when it inserted or updated a visitor (by
        ``visitor_key``) that the earlier one inserted or updated, directly or through
        another import that does: undoing the earlier one undoes them first.
        """
        with self.engine.connect() as conn:
            return _dependents(conn, _import_row(conn, import_id))

    def undo_plan(self, import_id: int) -> dict:
        """What :meth:`undo_import` would do, without doing it.

        Returns ``{"import_id", "project_id", "imports", "batches", "removed",
        "restored", "refusal"}``: the imports it undoes (newest first, this one
        last) and their rows of the imports table, how many visitors it deletes and
        how many it puts back as they were, and why it cannot be done ("" when it
        can).  Counts are net: a visitor this import inserted and a later one
        updated is one visitor removed.
        """
        with self.engine.connect() as conn:
            return _undo_plan(conn, import_id)

    def undo_import(self, import_id: int) -> dict:
        """Undo an import and the imports that built on it, in one transaction.

        Newest first, each import's visitors go back to their version from before
        it: a visitor it inserted is deleted, one it updated gets its row and its
        locations back exactly.  Then the imports' rows go.  Returns
        ``{"imports": [ids], "removed": n, "restored": n}`` (see :meth:`undo_plan`);
        an import made before versions were kept raises ValueError (in Chinese).
        """
        with self.engine.begin() as conn:
            plan = _undo_plan(conn, import_id)
            if plan["refusal"]:
                raise ValueError(plan["refusal"])
            for batch_id in plan["imports"]:
                self._revert_import(conn, plan["project_id"], batch_id)
            conn.execute(delete(VisitorVersion).where(VisitorVersion.import_id.in_(plan["imports"])))
            conn.execute(delete(ImportBatch).where(ImportBatch.id.in_(plan["imports"])))
            # data_version (last import, visitors inserted) can come out as before an undo of an import
            # that only updated; settings_version is the part of it that says "counts changed"
            conn.execute(update(ProjectRow).where(ProjectRow.id == plan["project_id"]).values(
                settings_version=ProjectRow.settings_version + 1))
        return {key: plan[key] for key in ("imports", "removed", "restored")}

    def _revert_import(self, conn, project_id: int, batch_id: int) -> None:
        """Put the visitors one import touched back as they were before it, a chunk of versions at a time
        (an import touches each visitor once, so the chunks are independent)."""
        ids = conn.execute(select(VisitorVersion.id).where(VisitorVersion.import_id == batch_id)
                           .order_by(VisitorVersion.id.desc())).scalars().all()
        for start in range(0, len(ids), CHUNK):
            versions = conn.execute(select(VisitorVersion.visitor_key, VisitorVersion.previous).where(
                VisitorVersion.id.in_(ids[start:start + CHUNK]))).all()
            self._remove_visitors(conn, project_id, [key for key, _ in versions])
            self._restore_visitors(conn, project_id, [json.loads(state) for _, state in versions if state is not None])

    def _remove_visitors(self, conn, project_id: int, keys: list[str]) -> None:
        ids = select(Visitor.id).where(Visitor.project_id == project_id, Visitor.visitor_key.in_(keys))
        conn.execute(delete(Location).where(Location.visitor_id.in_(ids)))  # not left to SQLite's PRAGMA
        conn.execute(delete(Visitor).where(Visitor.project_id == project_id, Visitor.visitor_key.in_(keys)))

    def _restore_visitors(self, conn, project_id: int, states: list[dict]) -> None:
        """Insert visitors (same id) and their locations from :func:`_previous_states` JSON."""
        imports = set(conn.execute(select(ImportBatch.id).where(ImportBatch.project_id == project_id)).scalars())
        visitors = [_from_json(s["visitor"], Visitor.__table__) for s in states]
        for row in visitors:
            if row["import_id"] not in imports:  # an import deleted since (its visitors were set to NULL)
                row["import_id"] = None
        locations = [_from_json({**loc, "visitor_id": s["visitor"]["id"]}, Location.__table__)
                     for s in states for loc in s["locations"]]
        for rows, table in ((visitors, Visitor.__table__), (locations, Location.__table__)):
            for start in range(0, len(rows), CHUNK):
                conn.execute(insert(table), rows[start:start + CHUNK])

    # ------------------------------------------------- resolution cache and aliases
    def cached_places(self, city: str, version: str, texts: list[str]) -> dict[str, dict]:
        """Cached results for normalised strings, made by gazetteer ``version``."""
        out: dict[str, dict] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(texts), 900):
                rows = conn.execute(select(PlaceCache.text, PlaceCache.result).where(
                    PlaceCache.city == city, PlaceCache.version == version,
                    PlaceCache.text.in_(texts[start:start + 900]))).all()
                out.update({t: json.loads(r) for t, r in rows})
        return out

    def put_places(self, city: str, version: str, results: dict[str, dict]) -> None:
        items = [(t, r) for t, r in results.items() if len(t) <= 300]
        with self.engine.begin() as conn:
            for start in range(0, len(items), 900):
                chunk = items[start:start + 900]
                conn.execute(delete(PlaceCache).where(PlaceCache.city == city,
                                                      PlaceCache.text.in_([t for t, _ in chunk])))
                conn.execute(insert(PlaceCache), [
                    {"city": city, "text": t, "version": version, "result": json.dumps(_jsonable(r), ensure_ascii=False)}
                    for t, r in chunk])

    def aliases(self, city: str) -> dict[str, dict]:
        """Saved corrections of ``city``: {normalised text: {adcode, lng, lat, label}}."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(PlaceAlias.__table__).where(PlaceAlias.city == city)).mappings().all()
        return {r["text"]: {"adcode": r["adcode"], "lng": r["lng"], "lat": r["lat"], "label": r["label"],
                            "created_at": r["created_at"]}
                for r in rows}

    def put_alias(self, city: str, key: str, adcode: str, lng: float | None = None, lat: float | None = None,
                  label: str = "") -> None:
        """Save "the normalised string ``key`` means this place" for ``city`` (replacing an earlier one)."""
        with self.engine.begin() as conn:
            conn.execute(delete(PlaceAlias).where(PlaceAlias.city == city, PlaceAlias.text == key))
            conn.execute(insert(PlaceAlias).values(city=city, text=key, adcode=adcode, lng=lng, lat=lat,
                                                   label=label[:200], created_at=dt.datetime.now()))

    def delete_alias(self, city: str, key: str) -> int:
        """Forget the saved correction of the normalised string ``key`` in ``city``; how many rows went (0 or 1)."""
        with self.engine.begin() as conn:
            return conn.execute(delete(PlaceAlias).where(PlaceAlias.city == city, PlaceAlias.text == key)).rowcount

    def text_locations(self, city: str, dimension: str) -> pd.DataFrame:
        """(visitor_id, text) of every location of ``dimension`` given as text only (no coordinates),
        in every project of ``city``: what a new alias may change."""
        text_col = getattr(Visitor, S.text_col(dimension))
        with self.engine.connect() as conn:
            project_ids = select(ProjectRow.id).where(ProjectRow.city_adcode == city)
            rows = conn.execute(
                select(Visitor.id, text_col).where(Visitor.project_id.in_(project_ids), text_col != "",
                                                   getattr(Visitor, S.lng_col(dimension)).is_(None))).all()
        return pd.DataFrame(rows, columns=["visitor_id", "text"])

    def location_inputs(self, project_id: int, chunk: int = 100_000) -> Iterator[pd.DataFrame]:
        """The project's location inputs as imported — ``visitor_id``, ``<dim>_text``, ``<dim>_lng``,
        ``<dim>_lat`` of each dimension and ``coord_system`` — ``chunk`` visitors at a time: what
        resolving them again for another city needs (:func:`mapping.importer.relocate`)."""
        columns = [Visitor.id.label("visitor_id"), *(getattr(Visitor, c) for c in S.LOCATION_COLUMNS),
                   Visitor.coord_system]
        last = 0
        while True:
            with self.engine.connect() as conn:
                part = pd.read_sql(select(*columns).where(Visitor.project_id == project_id, Visitor.id > last)
                                   .order_by(Visitor.id).limit(chunk), conn)
            if part.empty:
                return
            last = int(part["visitor_id"].iloc[-1])
            yield part

    def relocate_visitors(self, project_id: int, visitor_ids: list[int], locations: pd.DataFrame) -> None:
        """Replace every location of ``visitor_ids`` by ``locations`` (resolver columns + ``dimension`` +
        ``visitor_id``) in one transaction, and mark the project's counts as changed."""
        with self.engine.begin() as conn:
            for start in range(0, len(visitor_ids), CHUNK):
                conn.execute(delete(Location).where(Location.visitor_id.in_(visitor_ids[start:start + CHUNK])))
            _insert_locations(conn, locations["visitor_id"].astype(int).tolist(), locations)
            conn.execute(update(ProjectRow).where(ProjectRow.id == project_id).values(
                settings_version=ProjectRow.settings_version + 1))

    def replace_locations(self, dimension: str, visitor_ids: list[int], locations: pd.DataFrame) -> None:
        """Replace the ``dimension`` locations of ``visitor_ids`` by ``locations`` (one row each, same order)."""
        with self.engine.begin() as conn:
            for start in range(0, len(visitor_ids), CHUNK):
                conn.execute(delete(Location).where(Location.dimension == dimension,
                                                    Location.visitor_id.in_(visitor_ids[start:start + CHUNK])))
            _insert_locations(conn, visitor_ids, locations.assign(dimension=dimension))

    def locations_by_method(self, project_id: int, methods: tuple[str, ...]) -> pd.DataFrame:
        """(text, method, candidates, confidence, dimension) of the project's locations resolved by ``methods``."""
        frames = []
        with self.engine.connect() as conn:
            for dim in S.DIMENSIONS:
                text_col = getattr(Visitor, S.text_col(dim))
                query = (select(text_col.label("text"), Location.method, Location.candidates, Location.confidence)
                         .join(Location, (Location.visitor_id == Visitor.id) & (Location.dimension == dim))
                         .where(Visitor.project_id == project_id, Location.method.in_(methods)))
                frames.append(pd.read_sql(query, conn).assign(dimension=dim))
        return pd.concat(frames, ignore_index=True)

    # ---------------------------------------------------------------- reading
    def imports(self, project_id: int) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.read_sql(select(ImportBatch).where(ImportBatch.project_id == project_id)
                               .order_by(ImportBatch.id.desc()), conn)

    def visitors(self, project_id: int) -> pd.DataFrame:
        """Visitors of a project (masked PII only), one row each."""
        with self.engine.connect() as conn:
            frame = pd.read_sql(select(Visitor).where(Visitor.project_id == project_id)
                                .order_by(Visitor.id), conn)
        return frame.drop(columns=["phone_hash", "name_hash"])

    def locations(self, project_id: int) -> pd.DataFrame:
        """Resolved locations joined with the visitor fields the maps filter on."""
        query = (
            select(Location.visitor_id, Location.dimension, Location.adcode, Location.lng, Location.lat,
                   Location.level, Location.method, Location.confidence, Location.town_code,
                   Location.outside, Location.candidates, Visitor.product_line,
                   Visitor.intention, Visitor.channel, Visitor.visit_date, Visitor.deal,
                   Visitor.deal_date, Visitor.deal_product_line, Visitor.team, Visitor.stage)
            .join(Visitor, Visitor.id == Location.visitor_id)
            .where(Visitor.project_id == project_id)
        )
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn)

    # ---------------------------------------------------------------- aggregates (the database counts)
    def visitor_count(self, project_id: int) -> int:
        """How many visitors the project has (one indexed count, no locations read)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(Visitor.project_id == project_id)).scalar_one())

    def summary(self, project_id: int, groups: pd.DataFrame | None = None) -> dict:
        """The home page's figures, counted by the database (GROUP BY, no rows read):
        ``visitors``, ``deals``, ``conversion`` and per dimension ``resolved[dim]`` =
        ``{"given", "resolved", "share"}`` — the same dict as :func:`mapping.analysis.aggregate.headline`
        of :meth:`visitors` and :meth:`locations`.  A location is *given* unless its method is
        ``"empty"``, *resolved* when it has a district code.

        ``groups``: the project's :meth:`location_groups` (same data version), when the caller has
        them already: the per-dimension counts are summed from them instead of another pass over
        the locations; only the visitors are counted by the database."""
        given = case((func.coalesce(Location.method, "") != METHOD_EMPTY, 1), else_=0)
        resolved = case((func.coalesce(Location.adcode, "") != "", 1), else_=0)
        with self.engine.connect() as conn:
            n, deals = conn.execute(
                select(func.count(), func.coalesce(func.sum(case((Visitor.deal, 1), else_=0)), 0))
                .where(Visitor.project_id == project_id)).one()
            per_dim = _group_dim_counts(groups) if groups is not None else {
                dim: (int(g or 0), int(r or 0)) for dim, g, r in conn.execute(
                    select(Location.dimension, func.sum(given), func.sum(resolved))
                    .join(Visitor, Visitor.id == Location.visitor_id)
                    .where(Visitor.project_id == project_id).group_by(Location.dimension))}
        n, deals = int(n), int(deals)
        shares = {}
        for dim in S.DIMENSIONS:
            g, r = per_dim.get(dim, (0, 0))
            shares[dim] = {"given": g, "resolved": r, "share": r / g if g else 0.0}
        return {"visitors": n, "deals": deals, "conversion": deals / n if n else 0.0, "resolved": shares}

    def weekly(self, project_id: int) -> pd.DataFrame:
        """Visits per visit date and deals per deal date (else visit date), one row per day
        (``day``, ``visits``, ``deals``), counted by the database; weeks are made of them by
        :func:`mapping.analysis.aggregate.weekly_from_days`."""
        deal_day = func.coalesce(Visitor.deal_date, Visitor.visit_date)
        with self.engine.connect() as conn:
            visits = conn.execute(select(Visitor.visit_date, func.count())
                                  .where(Visitor.project_id == project_id, Visitor.visit_date.is_not(None))
                                  .group_by(Visitor.visit_date)).all()
            deals = conn.execute(select(deal_day, func.count())
                                 .where(Visitor.project_id == project_id, Visitor.deal, deal_day.is_not(None))
                                 .group_by(deal_day)).all()
        frames = [pd.DataFrame({"day": pd.to_datetime([str(d) for d, _ in rows]) if rows else
                                pd.to_datetime(pd.Series([], dtype=object)),
                                col: np.array([c for _, c in rows], dtype=np.int64)})
                  for rows, col in ((visits, "visits"), (deals, "deals"))]
        out = frames[0].merge(frames[1], on="day", how="outer")
        out[["visits", "deals"]] = out[["visits", "deals"]].fillna(0).astype(np.int64)
        return out.sort_values("day").reset_index(drop=True)

    def adcode_counts(self, project_id: int) -> dict[str, int]:
        """Resolved locations of the project per county-level adcode (every dimension), counted by the
        database: what decides which neighbouring cities a map draws (:mod:`mapping.analysis.metro`).
        The same as :meth:`adcode_counts_of` the project's :meth:`location_groups`."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(Location.adcode, func.count())
                                .join(Visitor, Visitor.id == Location.visitor_id)
                                .where(Visitor.project_id == project_id, func.coalesce(Location.adcode, "") != "")
                                .group_by(Location.adcode)).all()
        return {str(code): int(n) for code, n in rows}

    @staticmethod
    def adcode_counts_of(groups: pd.DataFrame) -> dict[str, int]:
        """:meth:`adcode_counts` summed from :meth:`location_groups` (no query)."""
        if groups.empty:
            return {}
        sums = groups["n"].groupby(groups["adcode"], sort=False, observed=True).sum()
        return {str(code): int(n) for code, n in sums.items() if isinstance(code, str) and code != ""}

    def location_groups(self, project_id: int, chunk: int = 200_000) -> pd.DataFrame:
        """The project's locations grouped by everything that decides where one goes on a map
        unit — ``dimension``, ``adcode``, ``given`` (a location was filled in: its method is not
        ``"empty"``), ``outside``, ``lng``, ``lat`` (NaN without a point) — with their count ``n``,
        read in **one pass** over the project's locations.  The home page needs nothing else of them:
        :func:`mapping.analysis.aggregate.grouped_coverages` places the groups on a map unit,
        :meth:`summary` (``groups=``) sums the given / resolved shares and :meth:`adcode_counts_of`
        the counts per county from them (before, each of those scanned the 3M joined location
        rows of 1M visitors once more: ≈ 1.5 s a pass on SQLite).

        The rows are read as compact columns the way :meth:`fact_columns` reads them (dimension,
        method and outside as one small integer; on SQLite each column as one ``group_concat``
        string, on PostgreSQL ``chunk`` rows at a time; a SQL GROUP BY over the coordinates sorts
        them all and costs more than it saves) and grouped here, so locations sharing a landmark
        are placed once.  ``dimension`` and ``adcode`` are categorical (a few bytes a group)."""
        flags = (case(*((Location.dimension == d, i) for i, d in enumerate(S.DIMENSIONS)), else_=3)
                 + case((func.coalesce(Location.method, "") != METHOD_EMPTY, 4), else_=0)
                 + case((Location.outside, 8), else_=0))
        query = (select(flags, func.coalesce(Location.adcode, ""), Location.lng, Location.lat)
                 .join(Visitor, Visitor.id == Location.visitor_id).where(Visitor.project_id == project_id))
        with self.engine.connect() as conn:
            cols = (self._fact_read_sqlite(conn, query, _COVERAGE_POINT_COLS) if self.dialect == "sqlite" else
                    self._fact_read_rows(conn, query, _COVERAGE_POINT_COLS, chunk))
        out_cols = ["dimension", "adcode", "given", "outside", "lng", "lat", "n"]
        fl = cols["flags"]
        if not len(fl):
            return pd.DataFrame({c: [] for c in out_cols})
        lng, lat = np.asarray(cols["lng"], dtype=float), np.asarray(cols["lat"], dtype=float)
        point = ~(np.isnan(lng) | np.isnan(lat))  # half a point is no point
        rows = pd.DataFrame({"flags": fl.astype(np.int8), "adcode": cols["adcode"],
                             "lng": np.where(point, lng, np.nan), "lat": np.where(point, lat, np.nan)})
        out = (rows.groupby(["flags", "adcode", "lng", "lat"], sort=False, observed=True, dropna=False)
               .size().rename("n").reset_index())  # 4 keys (flags = dimension + given + outside): fewer to hash
        fl = out["flags"].to_numpy()
        dim = np.where((fl & 3) < len(S.DIMENSIONS), fl & 3, len(S.DIMENSIONS))
        out["dimension"] = pd.Categorical.from_codes(dim, [*S.DIMENSIONS, ""])
        out["given"], out["outside"] = (fl & 4) > 0, (fl & 8) > 0
        out["n"] = out["n"].astype(np.int64)
        return out[out_cols]

    def fact_columns(self, project_id: int) -> pd.DataFrame:
        """The columns :meth:`mapping.analysis.facts.Facts.from_columns` needs, one row per location,
        as compact typed columns: ``visitor_id`` (int64), ``dim`` (int8 index into
        :data:`mapping.schema.DIMENSIONS`), ``adcode`` and ``town_code`` (categorical), ``lng``, ``lat``
        (float, NaN without a point), ``given`` / ``outside`` (bool), the visitor's ``product_line``,
        ``channel``, ``intention``, ``deal_product_line``, ``team``, ``stage`` (categorical), ``day`` /
        ``deal_day`` (int32 days since 1970-01-01, 0 without a date) and ``deal`` (bool).  The same facts
        as :meth:`locations`.

        Reading :meth:`locations` at 1,000,000 visitors (3,000,000 rows, 18 columns through SQLAlchemy's
        row processing, dates parsed one by one) took 30 s.  Here visitor fields are read once per
        visitor (not once per location) and joined by id in numpy, the database turns dates into day
        numbers and flags into integers, and on SQLite each column comes back as *one* string
        (``group_concat``) that numpy parses: the Python driver builds a handful of objects instead of
        one per cell.  Coordinates travel as integers: a double of magnitude 1…1024 times 2**52 is an
        exact integer (no digit lost); a project with any other value (|x| < 1°) is read row by row.
        PostgreSQL reads the same narrow columns in chunks."""
        visitors, locations = self._fact_queries(project_id)
        read = self._fact_read_sqlite if self.dialect == "sqlite" else self._fact_read_rows
        with self.engine.connect() as conn:
            v = read(conn, visitors, _FACT_VISITOR_COLS)
            loc = read(conn, locations, _FACT_LOCATION_COLS)
            if v.pop("team:sparse", False) and len(v["team"]) != np.count_nonzero(v["deal"] & 2):
                v = self._fact_read_rows(conn, visitors, _FACT_VISITOR_COLS)  # a team text holding the separator
            odd = {} if not ((v["deal"] >> 2) == len(_FACT_STAGES)).any() else dict(conn.execute(select(
                Visitor.id, Visitor.stage).where(Visitor.project_id == project_id,
                                                 Visitor.stage.notin_(_FACT_STAGES))).all())
        order = np.argsort(v["id"], kind="stable")
        at = order[np.searchsorted(v["id"], loc["visitor_id"], sorter=order)] if len(order) else \
            np.zeros(0, dtype=np.int64)
        flags = loc.pop("flags")
        out = {"visitor_id": loc["visitor_id"], "dim": (flags & 3).astype(np.int8),
               "adcode": loc["adcode"], "town_code": loc["town_code"],
               "lng": loc["lng"], "lat": loc["lat"],
               "given": (flags & 4) > 0, "outside": (flags & 8) > 0}
        for col in ("product_line", "channel", "intention", "deal_product_line"):
            out[col] = v[col].take(at)
        out["day"] = v["day"].astype(np.int32).take(at)
        out["deal_day"] = v["deal_day"].astype(np.int32).take(at)
        out["deal"] = ((v["deal"] & 1) > 0).take(at)
        out["team"] = _fact_texts(v["team"], (v["deal"] & 2) > 0).take(at)
        out["stage"] = _fact_stages(v["deal"] >> 2, v["id"], order, odd).take(at)
        return pd.DataFrame(out)

    SEGMENT_COLUMNS = (*S.PROFILE_COLUMNS, S.AREA_WANT, S.PRICE_WANT, S.HOMETOWN, S.INTENDED_AREA)

    def hometown_count(self, project_id: int) -> int:
        """How many of the project's visitors have a 籍贯 (derived by an import that ticked the opt-in)."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Visitor).where(
                Visitor.project_id == project_id, Visitor.hometown != "")).scalar_one())

    def segment_columns(self, project_id: int) -> pd.DataFrame:
        """One row per visitor of the project, ordered by ``visitor_id`` (int64, ``visitors.id``: the id
        :attr:`mapping.analysis.facts.Facts.visitor` holds), then the categorical columns
        :data:`SEGMENT_COLUMNS` (年龄段, 行业, 收入, 家庭结构, 置业目的, 意向面积, 意向总价, 籍贯, 意向区域)
        as stored, "" where empty (categories sorted).

        One narrow query, and no Python string per cell: on SQLite each column comes back as one
        ``group_concat`` string (as :meth:`fact_columns` reads), split and dictionary-encoded by Arrow;
        on PostgreSQL the rows come as CSV through ``COPY … TO STDOUT``, parsed by Arrow."""
        query = select(Visitor.id, *(func.coalesce(getattr(Visitor, c), "") for c in self.SEGMENT_COLUMNS)
                       ).where(Visitor.project_id == project_id)
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                ids, texts = _segment_read_sqlite(conn, query)
            elif self.dialect == "postgresql":
                ids, texts = _segment_read_copy(conn, query)
            else:
                ids, texts = None, None
            if ids is None:  # another database, or a value holding the separator: row by row
                v = self._fact_read_rows(conn, query, (("id", "int"), *((c, "text") for c in self.SEGMENT_COLUMNS)))
                ids, texts = v["id"], [pa.array(np.asarray(v[c], dtype=object), pa.string()).dictionary_encode()
                                       if len(v["id"]) else pa.array([], pa.string()).dictionary_encode()
                                       for c in self.SEGMENT_COLUMNS]
        ids = np.asarray(ids, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        out = {"visitor_id": ids[order]}
        for name, encoded in zip(self.SEGMENT_COLUMNS, texts):
            out[name] = _sorted_categorical(encoded, order)
        return pd.DataFrame(out)

    def _fact_queries(self, project_id: int):
        """(visitors query, locations query) of :meth:`fact_columns`, columns as in the _FACT_* tuples."""
        if self.dialect == "sqlite":
            def days(col):
                return func.coalesce(sa_cast(func.julianday(col) - 2440587.5, Integer), 0)
        else:
            def days(col):
                return func.coalesce(col - sa_literal(dt.date(1970, 1, 1)), 0)
        visitors = select(Visitor.id, func.coalesce(Visitor.product_line, ""), func.coalesce(Visitor.channel, ""),
                          func.coalesce(Visitor.intention, ""), func.coalesce(Visitor.deal_product_line, ""),
                          # bit 0 成交, bit 1 a team text, above them the stage's index in _FACT_STAGES
                          case((Visitor.deal, 1), else_=0) + case((Visitor.team != "", 2), else_=0) + 4 * case(
                              {s: i for i, s in enumerate(_FACT_STAGES)}, value=func.coalesce(Visitor.stage, ""),
                              else_=len(_FACT_STAGES)),
                          days(Visitor.visit_date), days(Visitor.deal_date), func.nullif(Visitor.team, ""),
                          ).where(Visitor.project_id == project_id)
        dim = case(*((Location.dimension == d, i) for i, d in enumerate(S.DIMENSIONS)), else_=3)
        flags = (dim + case((func.coalesce(Location.method, "") != METHOD_EMPTY, 4), else_=0)
                 + case((Location.outside, 8), else_=0))
        locations = (select(Location.visitor_id, flags, func.coalesce(Location.adcode, ""),
                            func.coalesce(Location.town_code, ""), Location.lng, Location.lat)
                     .join(Visitor, Visitor.id == Location.visitor_id).where(Visitor.project_id == project_id))
        return visitors, locations

    @staticmethod
    def _fact_read_rows(conn, query, columns: tuple[tuple[str, str], ...], chunk: int = 200_000) -> dict:
        """Any database: the narrow columns of ``query``, fetched in chunks by the driver."""
        parts = {name: [] for name, _ in columns}
        cursor = conn.execute(query).cursor  # the driver's own rows (SQLAlchemy's row processing doubles the read)
        while rows := cursor.fetchmany(chunk):
            for (name, kind), values in zip(columns, zip(*rows)):
                parts[name].append(_fact_array(values, kind))
        return {name: _fact_concat(parts[name], kind) for name, kind in columns}

    @staticmethod
    def _fact_read_sqlite(conn, query, columns: tuple[tuple[str, str], ...]) -> dict:
        """SQLite: every column of ``query`` as one ``group_concat`` string (the aggregates of one
        SELECT see the rows in one order), parsed by numpy; text joined with the unit separator."""
        cols = list(query.selected_columns)  # aggregated in the same SELECT: no subquery to materialise
        parts = [func.count()]
        for col, (_, kind) in zip(cols, columns):
            if kind in ("text", "sparse"):  # group_concat leaves NULLs out: a sparse column gives its texts only
                parts.append(func.group_concat(col, _UNIT_SEP))
            elif kind == "float":  # x * 2**52 is an exact integer for 1 <= |x| < 1024 (0: no value)
                parts.append(func.group_concat(func.coalesce(sa_cast(col * float(2 ** 52), Integer), 0)))
                parts += [func.min(func.abs(col)), func.max(func.abs(col))]  # NULLs left out
            else:
                parts.append(func.group_concat(func.coalesce(col, 0)))
        row = list(conn.execute(query.with_only_columns(*parts, maintain_column_froms=True)).one())
        n, values = int(row[0]), row[1:]
        out, i = {}, 0
        for name, kind in columns:
            if kind == "text":
                items = values[i].split(_UNIT_SEP) if n else []
                i += 1
                if len(items) != n:  # a value holding the separator itself: read it row by row
                    return Store._fact_read_rows(conn, query, columns)
                out[name] = pd.Categorical(items)
            elif kind == "sparse":  # the caller knows how many texts to expect
                out[name] = pd.Categorical(values[i].split(_UNIT_SEP) if values[i] is not None else [])
                out[f"{name}:sparse"] = True
                i += 1
            elif kind == "float":
                low, high = values[i + 1], values[i + 2]
                if low is not None and (low < 1 or high >= 1024):  # |x| < 1° (or not a coordinate): row by row
                    return Store._fact_read_rows(conn, query, columns)
                scaled = _int_text(values[i], n)
                i += 3
                x = scaled / 2.0 ** 52
                x[scaled == 0] = np.nan
                out[name] = x
            else:
                out[name] = _int_text(values[i], n)
                i += 1
        return out

    def data_version(self, project_id: int) -> str:
        """Changes whenever the project's data changes (a cache key for pages)."""
        # from the imports table (a few rows; counting visitors costs 0.1 s at a million) and the
        # project's settings_version, which project settings that change counts (e.g. what is 成交) bump
        with self.engine.connect() as conn:
            last, inserted = conn.execute(
                select(func.max(ImportBatch.id), func.coalesce(func.sum(ImportBatch.inserted), 0))
                .where(ImportBatch.project_id == project_id)).one()
            settings, city = conn.execute(select(ProjectRow.settings_version, ProjectRow.city_adcode)
                                          .where(ProjectRow.id == project_id)).one_or_none() or (None, "")
            # a saved or removed alias of the city re-resolves the project's locations: it changes too
            alias_last, aliases = conn.execute(select(func.max(PlaceAlias.created_at), func.count())
                                               .where(PlaceAlias.city == city)).one()
        return f"{project_id}:{last}:{inserted}:{settings}:{alias_last}:{aliases}"


# ------------------------------------------------------------------- helpers
METHOD_EMPTY = "empty"  # the method of a location left blank: mapping.place.resolve.METHOD_EMPTY (db/ stays below place/)


# columns of Store.fact_columns' two queries: (name, kind)
_FACT_VISITOR_COLS = (("id", "int"), ("product_line", "text"), ("channel", "text"), ("intention", "text"),
                      ("deal_product_line", "text"), ("deal", "int"), ("day", "int"), ("deal_day", "int"),
                      ("team", "sparse"))  # sparse: text or NULL; SQLite's read gives the texts only
_FACT_STAGES = ("", *S.STAGES)  # a visitor's stage as a small integer in fact_columns' deal column
_FACT_LOCATION_COLS = (("visitor_id", "int"), ("flags", "int"), ("adcode", "text"), ("town_code", "text"),
                       ("lng", "float"), ("lat", "float"))
_COVERAGE_POINT_COLS = (("flags", "int"), ("adcode", "text"), ("lng", "float"), ("lat", "float"))
_UNIT_SEP = "\x1f"  # joins text values in one group_concat; a value holding it is read row by row


def _segment_read_sqlite(conn, query) -> tuple[np.ndarray | None, list]:
    """SQLite: (ids, one Arrow dictionary array per text column) of ``query`` (id, then text columns) from one
    ``group_concat`` per column, split by Arrow; (None, None) when a text holds the separator."""
    import pyarrow.compute as pc

    cols = list(query.selected_columns)
    parts = [func.count(), func.group_concat(cols[0]), *(func.group_concat(c, _UNIT_SEP) for c in cols[1:])]
    n, id_text, *texts = conn.execute(query.with_only_columns(*parts, maintain_column_froms=True)).one()
    n = int(n)
    out = []
    for text in texts:
        if not n:
            out.append(pa.array([], pa.string()).dictionary_encode())
            continue
        items = pc.split_pattern(pa.array([text], pa.large_string()), _UNIT_SEP).flatten()
        if len(items) != n:
            return None, None
        out.append(items.dictionary_encode())
    return _int_text(id_text, n), out


def _segment_read_copy(conn, query) -> tuple[np.ndarray, list]:
    """PostgreSQL: (ids, one Arrow dictionary array per text column) of ``query`` through ``COPY (…) TO STDOUT``
    as CSV, parsed by Arrow (a project id is the only literal)."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    names = [f"c{i}" for i in range(len(query.selected_columns))]
    buffer = bytearray()
    with conn.connection.dbapi_connection.cursor() as cursor:
        with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                buffer += block
    if not buffer:
        return np.zeros(0, dtype=np.int64), [pa.array([], pa.string()).dictionary_encode() for _ in names[1:]]
    types = {names[0]: pa.int64(), **{n: pa.dictionary(pa.int32(), pa.string()) for n in names[1:]}}
    table = pa_csv.read_csv(
        pa.py_buffer(bytes(buffer)),
        read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                              quoted_strings_can_be_null=False))
    ids = table.column(0).to_numpy()
    return ids, [table.column(n).unify_dictionaries().combine_chunks() if table.column(n).num_chunks > 1
                 else table.column(n).chunk(0) for n in names[1:]]


def _sorted_categorical(encoded, order: np.ndarray) -> pd.Categorical:
    """An Arrow dictionary array as a pandas Categorical with sorted categories, rows taken in ``order``."""
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    words = encoded.dictionary.to_pylist()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    if not words:
        return pd.Categorical.from_codes(np.zeros(0, dtype=np.int32), [""])
    rank = np.argsort(np.array(words, dtype=object), kind="stable")
    new_code = np.empty(len(words), dtype=np.int32)
    new_code[rank] = np.arange(len(words), dtype=np.int32)
    return pd.Categorical.from_codes(new_code[codes][order], [words[i] for i in rank])


def _fact_texts(texts: pd.Categorical, given: np.ndarray) -> pd.Categorical:
    """Per visitor a text or "": ``texts`` one per visitor (NaN for none), or only those of the visitors
    ``given`` marks, in their order (what SQLite's ``group_concat`` of a sparse column gives).

    >>> _fact_texts(pd.Categorical(["甲"]), np.array([False, False, True])).tolist()
    ['', '', '甲']
    >>> _fact_texts(pd.Categorical(["乙", None, "甲"]), np.array([True, False, True])).tolist()
    ['乙', '', '甲']
    """
    if len(texts) == len(given):
        codes = texts.codes.astype(np.int32) + 1
    else:
        codes = np.zeros(len(given), dtype=np.int32)
        codes[given] = texts.codes + 1
    return pd.Categorical.from_codes(codes, ["", *texts.categories])


def _fact_stages(codes: np.ndarray, ids: np.ndarray, order: np.ndarray, odd: dict[int, str]) -> pd.Categorical:
    """Stages from their index in :data:`_FACT_STAGES`; ``odd`` ({visitor id: text}) gives those outside it.

    >>> _fact_stages(np.array([1, 4, 6]), np.array([1, 2, 3]), np.array([0, 1, 2]), {3: "意向"}).tolist()
    ['来访', '签约', '意向']
    """
    vocabulary, codes = list(_FACT_STAGES), codes.astype(np.int32)
    if odd:
        extra = sorted(set(odd.values()))
        vocabulary += extra
        at = order[np.searchsorted(ids, np.fromiter(odd, np.int64, len(odd)), sorter=order)]
        codes[at] = [len(_FACT_STAGES) + extra.index(text) for text in odd.values()]
    return pd.Categorical.from_codes(codes, vocabulary)


def _fact_array(values: tuple, kind: str):
    if kind in ("text", "sparse"):
        return pd.Categorical(values)
    return np.array(values, dtype=float if kind == "float" else np.int64)


def _fact_concat(parts: list, kind: str):
    if kind in ("text", "sparse"):
        return pd.api.types.union_categoricals(parts, sort_categories=True) if parts else pd.Categorical([])
    if not parts:
        return np.zeros(0, dtype=float if kind == "float" else np.int64)
    return np.concatenate(parts)


def _group_dim_counts(groups: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """(given, resolved) locations per dimension of :meth:`Store.location_groups`."""
    if groups.empty:
        return {}
    n = groups["n"].to_numpy(dtype=np.int64)
    resolved = (groups["adcode"].notna() & (groups["adcode"] != "")).to_numpy()
    sums = pd.DataFrame({"given": np.where(groups["given"].astype(bool).to_numpy(), n, 0),
                         "resolved": np.where(resolved, n, 0)}).groupby(
        groups["dimension"].to_numpy(), sort=False).sum()
    return {str(dim): (int(g), int(r)) for dim, (g, r) in zip(sums.index, sums.to_numpy())}


def _int_text(text: str | None, n: int) -> np.ndarray:
    """The ``n`` integers of a ``group_concat`` (comma separated), parsed by numpy."""
    if not n:
        return np.zeros(0, dtype=np.int64)
    out = np.fromstring(text, dtype=np.int64, sep=",")
    if len(out) != n:
        raise ValueError(f"group_concat: expected {n} integers, parsed {len(out)}")
    return out


def _jsonable(row: dict) -> dict:
    out = {}
    for key, value in row.items():
        if isinstance(value, float) and np.isnan(value):
            value = None
        elif isinstance(value, (np.floating, np.integer, np.bool_)):
            value = value.item()
        out[key] = value
    return out


def _iso(value: dt.date) -> str:
    return value.isoformat()


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_iso)


def _from_json(row: dict, table) -> dict:
    """A row of ``table`` from its JSON form: ISO dates parsed, a column the JSON predates at its default."""
    out = {}
    for col in table.columns:
        value = row.get(col.name, col.default.arg if col.default is not None and col.default.is_scalar else None)
        kind = col.type.python_type
        if isinstance(value, str) and kind in (dt.date, dt.datetime):
            value = kind.fromisoformat(value)
        out[col.name] = value
    return out


def _import_row(conn, import_id: int) -> dict:
    row = conn.execute(select(ImportBatch.__table__).where(ImportBatch.id == import_id)).mappings().first()
    if row is None:
        raise ValueError(f"没有编号为 {import_id} 的导入：它可能已经撤销了，请刷新页面。")
    return dict(row)


def _dependents(conn, batch: dict) -> list[int]:
    """Ids of the later imports of ``batch``'s project that touched its visitors, transitively, newest first."""
    later = select(ImportBatch.id).where(ImportBatch.project_id == batch["project_id"], ImportBatch.id > batch["id"])
    keys_of: dict[int, set[str]] = {}
    for batch_id, key in conn.execute(select(VisitorVersion.import_id, VisitorVersion.visitor_key).where(
            VisitorVersion.import_id.in_(later))):
        keys_of.setdefault(batch_id, set()).add(key)
    if not keys_of:
        return []
    touched = set(conn.execute(select(VisitorVersion.visitor_key).where(
        VisitorVersion.import_id == batch["id"])).scalars())
    found = []
    for batch_id in sorted(keys_of):  # oldest first, so an import reached through another is seen
        if not touched.isdisjoint(keys_of[batch_id]):
            found.append(batch_id)
            touched |= keys_of[batch_id]
    return found[::-1]


def _undo_plan(conn, import_id: int) -> dict:
    batch = _import_row(conn, import_id)
    order = [*_dependents(conn, batch), import_id]
    batches = {row["id"]: dict(row) for row in conn.execute(
        select(ImportBatch.__table__).where(ImportBatch.id.in_(order))).mappings()}
    versions = conn.execute(select(VisitorVersion.import_id, VisitorVersion.visitor_key,
                                   VisitorVersion.previous.is_(None)).where(VisitorVersion.import_id.in_(order))
                            .order_by(VisitorVersion.import_id)).all()
    inserted_first: dict[str, bool] = {}  # per visitor: did the oldest import undone insert it?
    kept = dict.fromkeys(order, 0)
    for batch_id, key, inserted in versions:
        inserted_first.setdefault(key, bool(inserted))
        kept[batch_id] += 1
    too_old = [batches[i] for i in order if kept[i] != batches[i]["inserted"] + batches[i]["updated"]]
    removed = sum(inserted_first.values())
    return {"import_id": import_id, "project_id": batch["project_id"], "imports": order,
            "batches": [batches[i] for i in order], "removed": removed, "restored": len(inserted_first) - removed,
            "refusal": _too_old_message(too_old[0]) if too_old else ""}


def _too_old_message(batch: dict) -> str:
    return (f"这次导入早于撤销功能，无法撤销：「{batch['filename']}」（{batch['imported_at']:%Y-%m-%d %H:%M}）"
            "导入时还没有保存客户被改动前的样子。")


def _previous_states(conn, project_id: int, keys: list[str], ids: dict[str, int] | None = None) -> dict[str, str]:
    """{visitor_key: JSON} of the stored visitors ``keys``: every column of the row and its locations
    (one SELECT each).  Dates as ISO strings; floats and None as stored, so a restore is exact.
    ``ids``, when given, receives {visitor_key: id} of those visitors."""
    # plain tuples zipped with the column names and dates made ISO here, not by the encoder's default:
    # half the cost of mappings() and json.dumps(default=...) at 20,000 visitors
    visitor_cols = [c.name for c in Visitor.__table__.columns]
    dates = [c.name for c in Visitor.__table__.columns if c.type.python_type is dt.date]
    visitors = [dict(zip(visitor_cols, row)) for row in conn.execute(select(Visitor.__table__).where(
        Visitor.project_id == project_id, Visitor.visitor_key.in_(keys)))]
    location_cols = [c for c in Location.__table__.columns if c.name != "visitor_id"]
    names = [c.name for c in location_cols]
    locations: dict[int, list[dict]] = {}
    for visitor_id, *values in conn.execute(select(Location.visitor_id, *location_cols).where(
            Location.visitor_id.in_([v["id"] for v in visitors]))):
        locations.setdefault(visitor_id, []).append(dict(zip(names, values)))
    out = {}
    if ids is not None:
        ids.update((v["visitor_key"], v["id"]) for v in visitors)
    for v in visitors:
        for col in dates:
            v[col] = v[col] and v[col].isoformat()
        out[v["visitor_key"]] = _JSON.encode({"visitor": v, "locations": locations.get(v["id"], [])})
    return out


def _insert_locations(conn, visitor_ids: list[int], loc: pd.DataFrame) -> None:
    """Insert ``loc`` (resolver columns + ``dimension``) as the locations of ``visitor_ids`` (same order)."""
    if not len(visitor_ids):
        return
    _bulk_insert(conn, Location.__table__, {"visitor_id": list(visitor_ids), **_location_columns(conn, loc)})


def _location_columns(conn, loc: pd.DataFrame) -> dict[str, list]:
    """The locations table's columns but ``visitor_id`` for ``loc``, as plain Python values."""
    return {
        "dimension": _texts(loc["dimension"]),
        "adcode": _texts(loc["adcode"]),
        "lng": _floats(loc["lng"]),
        "lat": _floats(loc["lat"]),
        "level": _texts(loc["level"]),
        "method": _texts(loc["method"]),
        "confidence": _floats(loc["confidence"]),
        "town_code": loc["town_code"].fillna("").astype(str).tolist(),
        "outside": _bools(conn, loc["outside"]),
        "candidates": loc["candidates"].fillna("").astype(str).tolist(),
    }


def _visitor_columns(conn, records: pd.DataFrame, project_id: int, batch_id: int,
                     ids: list[int] | None) -> dict[str, list]:
    """The visitors table's columns for prepared ``records``, as lists of plain Python values the driver
    takes as they are (missing → None; dates as ISO text on SQLite, as SQLAlchemy stores them); no ``id``
    column when ``ids`` is None."""
    n = len(records)
    columns: dict[str, list] = {} if ids is None else {"id": list(ids)}
    columns.update({"project_id": [project_id] * n, "import_id": [batch_id] * n,
                    "visitor_key": _texts(records["visitor_key"]), "row_hash": _texts(records["row_hash"])})
    for name in VISITOR_FIELDS:
        kind = Visitor.__table__.c[name].type.python_type
        values = records[name]
        if kind is float:
            columns[name] = _floats(values)
        elif kind is bool:
            columns[name] = _bools(conn, values)
        elif kind is dt.date:
            columns[name] = _dates(conn, values)
        else:
            columns[name] = _texts(values)
    return columns


def _texts(values: pd.Series) -> list:
    """Values as they are (``str``), missing → None."""
    if values.dtype == object:
        mask = values.isna().to_numpy()
        out = values.tolist()
        if mask.any():
            for i in np.flatnonzero(mask):
                out[i] = None
        return out
    return values.astype(object).where(values.notna(), None).tolist()


def _floats(values: pd.Series) -> list:
    """Floats (Python ``float``), NaN and what is not a number → None."""
    arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    nan = np.isnan(arr)
    if not nan.any():
        return arr.tolist()
    return np.where(nan, None, arr).tolist()


def _bools(conn, values: pd.Series) -> list:
    arr = values.fillna(False).astype(bool).to_numpy()
    return arr.tolist() if conn.dialect.name == "postgresql" else arr.astype(np.int8).tolist()


def _dates(conn, values: pd.Series) -> list:
    """Dates (anything else → None): ``date`` objects on PostgreSQL (or ``conn`` None), ISO text on SQLite."""
    iso = conn is not None and conn.dialect.name != "postgresql"
    out = []
    for d in values.tolist():
        if isinstance(d, dt.datetime):
            d = d.date()
        elif not isinstance(d, dt.date):
            out.append(None)
            continue
        out.append(d.isoformat() if iso else d)
    return out


def _new_ids(conn, table, n: int) -> list[int]:
    """``n`` ids for new rows of ``table``: from its sequence on PostgreSQL; on SQLite above the largest
    id (this transaction has written already, so it holds the database's write lock: nobody else can
    take them)."""
    if conn.dialect.name == "postgresql":  # one row back, not n: the ids as one comma-separated text
        sequence = conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('{table.name}', 'id')").scalar_one()
        literal = "'" + sequence.replace("'", "''") + "'"  # a constant, not a catalog lookup per row
        text = conn.exec_driver_sql(
            f"SELECT string_agg(nextval({literal}::regclass)::text, ',') FROM generate_series(1, {int(n)})"
        ).scalar_one()
        return _int_text(text, n).tolist()
    top = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table.name}").scalar_one()
    return list(range(top + 1, top + 1 + n))


def _bulk_insert(conn, table, columns: dict[str, list]) -> None:
    """Insert the rows given as equally long column lists: ``COPY`` on PostgreSQL, one ``executemany``
    of a prepared INSERT on SQLite.  Values must be what the driver takes as they are."""
    n = len(next(iter(columns.values())))
    if not n:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table.name, columns)
        return
    names = list(columns)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    for start in range(0, n, COPY_ROWS):
        conn.exec_driver_sql(sql, list(zip(*(values[start:start + COPY_ROWS] for values in columns.values()))))


def _copy(conn, table_name: str, columns: dict[str, list]) -> None:
    """``COPY table (columns) FROM STDIN`` of the column lists, through the transaction's own connection
    (:func:`_arrow_table`, then :func:`_copy_table`)."""
    _copy_table(conn, table_name, _arrow_table(table_name, columns))


def _arrow_table(table_name: str, columns: dict[str, list]) -> pa.Table:
    """The column lists as Arrow arrays of the column's type (in the model's table, or the one a staging
    table is ``LIKE``)."""
    like = _STAGING[table_name] if table_name in _STAGING else Visitor.metadata.tables[table_name]
    return pa.table({name: _arrow(values, like.c[name].type.python_type) for name, values in columns.items()})


def _copy_table(conn, table_name: str, table: pa.Table) -> None:
    """``COPY table_name (table's columns) FROM STDIN`` of an Arrow table: pyarrow writes it as one CSV
    buffer (strings always quoted, so ``""`` is an empty string and an empty field is NULL, as
    ``COPY … (FORMAT csv)`` reads them) handed to psycopg in one ``write``: no Python call per row,
    and the CSV writer runs without the GIL."""
    if not table.num_rows:
        return
    payload = pa.BufferOutputStream()
    pa_csv.write_csv(table, payload, pa_csv.WriteOptions(include_header=False, batch_size=8192))
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table_name} ({', '.join(table.column_names)}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(memoryview(payload.getvalue()))
    cursor.close()


class _NewRows:
    """A chunk's new visitors as Arrow tables ready for ``COPY``, all but their ids (taken when written):
    ``visitors`` (no ``id``), their ``versions`` (NULL previous state), their ``locations`` (no
    ``visitor_id``; ``at`` is each row's visitor's position, in that order), ``count``, and ``none``
    (no visitors, for the calls that expect a frame)."""

    def __init__(self, count, visitors, versions, locations, at, none):
        self.count, self.visitors, self.versions, self.locations, self.at, self.none = (
            count, visitors, versions, locations, at, none)

    @classmethod
    def build(cls, conn, project_id: int, batch_id: int, new: pd.DataFrame, locations: pd.DataFrame) -> "_NewRows":
        n = len(new)
        keys = _arrow_of(new["visitor_key"], str)
        versions = pa.table({"import_id": pa.array(np.full(n, batch_id, dtype=np.int64)), "visitor_key": keys,
                             "previous": pa.nulls(n, pa.string())})
        visitors = _arrow_frame(Visitor.__table__, new, ("visitor_key", "row_hash", *VISITOR_FIELDS),
                                project_id=project_id, import_id=batch_id)
        at = pd.Index(new["visitor_key"]).get_indexer(locations["visitor_key"])
        mine = np.flatnonzero(at >= 0)
        mine = mine[np.argsort(at[mine], kind="stable")]  # in the primary key's order (see _write_locations)
        loc = None
        if len(mine):
            loc = locations.iloc[mine]
            loc = _arrow_frame(Location.__table__, loc.assign(town_code=loc["town_code"].fillna("").astype(str),
                                                              candidates=loc["candidates"].fillna("").astype(str)),
                               [c.name for c in Location.__table__.columns if c.name != "visitor_id"])
        return cls(n, visitors, versions, loc, at[mine], pd.DataFrame({"visitor_key": []}, dtype=object))


def _arrow_frame(table, frame: pd.DataFrame, names, **constants: int) -> pa.Table:
    """The columns ``names`` of ``frame`` as an Arrow table of ``table``'s column types (:func:`_arrow_of`),
    after a column of each of ``constants`` (one integer repeated)."""
    n = len(frame)
    arrays = {name: pa.array(np.full(n, value, dtype=np.int64)) for name, value in constants.items()}
    arrays.update((name, _arrow_of(frame[name], table.c[name].type.python_type)) for name in names)
    return pa.table(arrays)


def _arrow_of(values: pd.Series, kind: type) -> pa.Array:
    """A column as the Arrow array that :func:`_arrow` makes of its :func:`_texts` / :func:`_floats` /
    :func:`_bools` / :func:`_dates` list (missing → null), built from the column's own memory
    (Arrow strings as they are, numpy floats and booleans) instead of one Python value per row.

    >>> _arrow_of(pd.Series([1.5, None, "x"], dtype=object), float).to_pylist()
    [1.5, None, None]
    >>> _arrow_of(pd.Series(["a", None, 2], dtype=object), str).to_pylist()
    ['a', None, '2']
    """
    if kind is str:
        if isinstance(values.array, pd.arrays.ArrowStringArray):
            return pa.array(values.array).cast(pa.string())
        return _arrow(_texts(values), str)
    if kind is float:
        return pa.array(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan),
                        from_pandas=True)
    if kind is bool:
        return pa.array(values.fillna(False).astype(bool).to_numpy())
    if kind is dt.date:
        return pa.array(_dates(None, values), type=pa.date32())
    return _arrow(values.tolist(), kind)


def _behind(items: Iterable, send) -> None:
    """``send(item)`` for each of ``items``, in order, in one worker thread, while this thread produces the
    next item (at most one sent at a time, one waiting).  An error on either side stops both; it is
    raised here once the worker has finished what it was doing, so nothing else uses what ``send``
    uses (the import's connection) until then."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-write") as pool:
        pending = None
        try:
            for item in items:
                if pending is not None:
                    pending.result()
                pending = pool.submit(send, item)
            if pending is not None:
                pending.result()
        finally:
            if pending is not None:
                wait([pending])


_STAGING = {"import_stage_visitors": Visitor.__table__, "import_stage_places": PlaceCache.__table__}
_ARROW_TYPES = {str: pa.string(), float: pa.float64(), int: pa.int64(), bool: pa.bool_(), dt.date: pa.date32()}


def _arrow(values, kind: type) -> pa.Array:
    """``values`` (plain Python values, None for NULL) as an Arrow array of the column's type.  A text
    column holding something else than ``str`` gets ``str(value)``, the text psycopg would send."""
    arrow_type = _ARROW_TYPES[kind]
    try:
        return pa.array(values, type=arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        if kind is not str:
            raise
        return pa.array([v if v is None or type(v) is str else str(v) for v in values], type=arrow_type)
