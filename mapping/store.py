"""The database: projects, imports, visitors and their resolved locations.

SQLite file by default (``TUOKE_DB_PATH``, default ``var/tuoke.sqlite3``);
PostgreSQL when ``DATABASE_URL`` is set.  The schema is created and upgraded by
Alembic migrations (:meth:`Store.migrate`).

An import is **atomic** (one transaction: a failure half-way leaves the database
as it was) and **idempotent** (a visitor is keyed by its 客户编号, else by its
phone hash; the same row imported twice is left unchanged, a changed row
updates its visitor).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, bindparam, create_engine, delete, event, func, insert, inspect, select, update
from sqlalchemy.engine import make_url

from . import schema as S
from .ingest import IngestResult, as_text
from .gazetteer import version as gazetteer_version
from .geocode import geocoder_from_env
from .models import GradingSnapshot, ImportBatch, Location, PlaceAlias, PlaceCache, Project, Setting, Visitor
from .placetext import normalise
from .resolve import REVIEW_METHODS, resolve_records, resolve_texts

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CHUNK = 5000

VISITOR_FIELDS = (
    "visitor_code", "visit_date", "product_line", "intention", "channel", "coord_system",
    *S.LOCATION_COLUMNS, "deal", "deal_date", "deal_product_line", "deal_amount",
    *S.PROFILE_COLUMNS, "phone_masked", "phone_hash", "name_masked", "name_hash",
)

Progress = Callable[[float, str], None]


def default_url() -> str:
    """``DATABASE_URL`` if set, else a SQLite file (``TUOKE_DB_PATH``)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    path = Path(os.environ.get("TUOKE_DB_PATH", ROOT / "var" / "tuoke.sqlite3"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, future=True, pool_pre_ping=True)
    if parsed.get_backend_name() == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()
    return engine


@dataclass
class ImportSummary:
    import_id: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    geocoder_error: str = ""

    def message(self) -> str:
        text = (f"导入完成：新增 {self.inserted} 位客户，更新 {self.updated} 位，"
                f"未变化 {self.unchanged} 位，拒绝 {self.rejected} 行。")
        if self.geocoder_error:
            text += f" 在线地理编码未完成（{self.geocoder_error}），相关地名留在「位置复核」。"
        return text


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
            command.upgrade(cfg, "head")

    def is_empty(self) -> bool:
        if not inspect(self.engine).has_table("projects"):
            return True
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Project)).scalar_one() == 0

    def salt(self) -> str:
        """Per-installation secret for hashing personal data (created on first use)."""
        with self.engine.begin() as conn:
            value = conn.execute(select(Setting.value).where(Setting.key == "pii_salt")).scalar()
            if value is None:
                value = os.environ.get("TUOKE_PII_SALT") or secrets.token_hex(16)
                conn.execute(insert(Setting).values(key="pii_salt", value=value))
            return value

    # --------------------------------------------------------------- projects
    def create_project(self, name: str, city_adcode: str, launch_date: dt.date | None,
                       product_lines, area_layer: str = S.LAYER_DISTRICTS,
                       site: tuple[float, float] | None = None) -> int:
        name = name.strip()
        if not name:
            raise ValueError("项目名称不能为空")
        with self.engine.begin() as conn:
            exists = conn.execute(select(Project.id).where(Project.name == name)).scalar()
            if exists is not None:
                raise ValueError(f"已有同名项目「{name}」，请换一个名称")
            return conn.execute(insert(Project).values(
                name=name, city_adcode=city_adcode, launch_date=launch_date,
                product_lines=",".join(product_lines), area_layer=area_layer,
                site_lng=site[0] if site else None, site_lat=site[1] if site else None,
                created_at=dt.datetime.now(),
            ).returning(Project.id)).scalar_one()

    def projects(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Project.__table__).order_by(Project.id)).mappings().all()
        return pd.DataFrame([{
            "id": p["id"], "name": p["name"], "city_adcode": p["city_adcode"], "launch_date": p["launch_date"],
            "product_lines": [x for x in p["product_lines"].split(",") if x], "area_layer": p["area_layer"],
            "site_lng": p["site_lng"], "site_lat": p["site_lat"],
            "competitors": json.loads(p["competitors"]) if p["competitors"] else [],
        } for p in rows], columns=["id", "name", "city_adcode", "launch_date", "product_lines",
                                   "area_layer", "site_lng", "site_lat", "competitors"])

    def project(self, project_id: int) -> dict:
        frame = self.projects()
        match = frame[frame["id"] == project_id]
        if match.empty:
            raise KeyError(f"没有编号为 {project_id} 的项目")
        return match.iloc[0].to_dict()

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
            conn.execute(update(Project).where(Project.id == project_id).values(
                site_lng=site[0] if site else None, site_lat=site[1] if site else None,
                competitors=json.dumps(clean, ensure_ascii=False)))

    # ---------------------------------------------------------------- grading snapshots
    def save_snapshot(self, project_id: int, name: str, layer_id: str, dimension: str, payload: dict,
                      replace: bool = False) -> int:
        """Save a grading run under a name (unique per project); ``replace`` overwrites one."""
        name = name.strip()
        if not name:
            raise ValueError("请给这次分级起个名字，例如「2024年第12周 拓客计划」。")
        with self.engine.begin() as conn:
            existing = conn.execute(select(GradingSnapshot.id).where(
                GradingSnapshot.project_id == project_id, GradingSnapshot.name == name)).scalar()
            if existing is not None and not replace:
                raise ValueError(f"已有名为「{name}」的分级快照。换一个名字，或勾选“覆盖同名快照”。")
            values = dict(created_at=dt.datetime.now(), layer_id=layer_id, dimension=dimension,
                          payload=json.dumps(payload, ensure_ascii=False))
            if existing is not None:
                conn.execute(update(GradingSnapshot).where(GradingSnapshot.id == existing).values(**values))
                return existing
            return conn.execute(insert(GradingSnapshot).values(
                project_id=project_id, name=name[:200], **values).returning(GradingSnapshot.id)).scalar_one()

    def snapshots(self, project_id: int) -> pd.DataFrame:
        """Saved gradings of a project, newest first (without their payload)."""
        query = (select(GradingSnapshot.id, GradingSnapshot.name, GradingSnapshot.created_at,
                        GradingSnapshot.layer_id, GradingSnapshot.dimension)
                 .where(GradingSnapshot.project_id == project_id).order_by(GradingSnapshot.id.desc()))
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(),
                                columns=["id", "name", "created_at", "layer_id", "dimension"])

    def snapshot(self, snapshot_id: int) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(select(GradingSnapshot.__table__).where(
                GradingSnapshot.id == snapshot_id)).mappings().first()
        if row is None:
            raise KeyError(f"没有编号为 {snapshot_id} 的分级快照")
        return {**dict(row), "payload": json.loads(row["payload"])}

    def delete_snapshot(self, snapshot_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(GradingSnapshot).where(GradingSnapshot.id == snapshot_id))

    # ---------------------------------------------------------------- imports
    def import_records(self, project_id: int, result: IngestResult, filename: str, file_sha256: str,
                       progress: Progress | None = None) -> ImportSummary:
        """Write accepted/fixed records in one transaction; see the module docstring."""
        progress = progress or (lambda _f, _m: None)
        project = self.project(project_id)
        records = _prepare(result.records)
        counts = result.counts
        with self.engine.connect() as conn:
            existing = dict(conn.execute(
                select(Visitor.visitor_key, Visitor.row_hash).where(Visitor.project_id == project_id)).all())
        todo = records[~records["visitor_key"].isin(existing.keys())
                       | (records["row_hash"] != records["visitor_key"].map(existing))].reset_index(drop=True)
        progress(0.05, "解析位置…")
        city = project["city_adcode"]
        # Only new and changed visitors are resolved; unique strings come from the cache.
        locations = resolve_records(todo, city, aliases=self.aliases(city), cache=self,
                                    geocoder=geocoder_from_env())
        with self.engine.begin() as conn:
            batch_id = conn.execute(insert(ImportBatch).values(
                project_id=project_id, filename=filename[:300], file_sha256=file_sha256,
                imported_at=dt.datetime.now(), rows_total=int(len(result.row_status)),
                accepted=counts["accepted"], fixed=counts["fixed"], rejected=counts["rejected"],
                inserted=0, updated=0, unchanged=0,
            ).returning(ImportBatch.id)).scalar_one()
            # ``existing`` was read before resolving; a concurrent import of the same visitors
            # would hit the unique key and roll this one back whole.
            is_new = ~records["visitor_key"].isin(existing.keys())
            changed = ~is_new & (records["row_hash"] != records["visitor_key"].map(existing))
            progress(0.3, "写入客户…")
            ids = self._insert_visitors(conn, project_id, batch_id, records[is_new])
            ids.update(self._update_visitors(conn, project_id, batch_id, records[changed]))
            progress(0.7, "写入位置…")
            self._write_locations(conn, todo, locations, ids)
            summary = ImportSummary(batch_id, int(is_new.sum()), int(changed.sum()),
                                    int((~is_new & ~changed).sum()), counts["rejected"],
                                    locations.attrs.get("geocoder_error", ""))
            conn.execute(update(ImportBatch).where(ImportBatch.id == batch_id).values(
                inserted=summary.inserted, updated=summary.updated, unchanged=summary.unchanged))
        progress(1.0, "完成")
        return summary

    def _insert_visitors(self, conn, project_id, batch_id, records: pd.DataFrame) -> dict[str, int]:
        if records.empty:
            return {}
        rows = _rows(records, project_id, batch_id)
        # A plain executemany, then one SELECT for the new ids: much faster on PostgreSQL than
        # INSERT … RETURNING over thousands of rows.
        for start in range(0, len(rows), CHUNK):
            conn.execute(insert(Visitor), rows[start:start + CHUNK])
        new_keys = set(records["visitor_key"])
        found = conn.execute(select(Visitor.visitor_key, Visitor.id).where(
            Visitor.project_id == project_id, Visitor.import_id == batch_id)).all()
        return {key: vid for key, vid in found if key in new_keys}

    def _update_visitors(self, conn, project_id, batch_id, records: pd.DataFrame) -> dict[str, int]:
        if records.empty:
            return {}
        keys = dict(conn.execute(select(Visitor.visitor_key, Visitor.id).where(
            Visitor.project_id == project_id)).all())
        rows = _rows(records, project_id, batch_id)
        for row in rows:
            row["b_id"] = keys[row["visitor_key"]]
        statement = update(Visitor.__table__).where(Visitor.__table__.c.id == bindparam("b_id"))
        for start in range(0, len(rows), CHUNK):
            conn.execute(statement, rows[start:start + CHUNK])
        return {r["visitor_key"]: r["b_id"] for r in rows}

    def _write_locations(self, conn, records: pd.DataFrame, locations: pd.DataFrame,
                         ids: dict[str, int]) -> None:
        if not ids:
            return
        changed_ids = list(ids.values())
        for start in range(0, len(changed_ids), CHUNK):
            conn.execute(delete(Location).where(Location.visitor_id.in_(changed_ids[start:start + CHUNK])))
        keys = records["visitor_key"].to_numpy()
        loc = locations[locations["row"].map(lambda r: keys[r] in ids)]
        _insert_locations(conn, [ids[keys[r]] for r in loc["row"]], loc)

    # ------------------------------------------------- resolution cache and aliases
    def get_results(self, city: str, texts: list[str]) -> dict[str, dict]:
        """Cached results for normalised strings (only those made by this gazetteer version)."""
        out: dict[str, dict] = {}
        version = gazetteer_version()
        with self.engine.connect() as conn:
            for start in range(0, len(texts), 900):
                rows = conn.execute(select(PlaceCache.text, PlaceCache.result).where(
                    PlaceCache.city == city, PlaceCache.version == version,
                    PlaceCache.text.in_(texts[start:start + 900]))).all()
                out.update({t: json.loads(r) for t, r in rows})
        return out

    def put_results(self, city: str, results: dict[str, dict]) -> None:
        version = gazetteer_version()
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
        return {r["text"]: {"adcode": r["adcode"], "lng": r["lng"], "lat": r["lat"], "label": r["label"]}
                for r in rows}

    def save_alias(self, city: str, text: str, adcode: str, lng: float | None = None, lat: float | None = None,
                   label: str = "") -> int:
        """Save "``text`` means this place" and re-resolve every affected visitor at once.

        Returns how many locations changed.
        """
        key = normalise(text)
        if not key:
            raise ValueError("地名为空，无法保存对应关系")
        if not (len(adcode) == 6 and adcode.isdigit()):
            raise ValueError(f"区县代码应为 6 位数字，收到「{adcode}」")
        with self.engine.begin() as conn:
            conn.execute(delete(PlaceAlias).where(PlaceAlias.city == city, PlaceAlias.text == key))
            conn.execute(insert(PlaceAlias).values(city=city, text=key, adcode=adcode, lng=lng, lat=lat,
                                                   label=label[:200], created_at=dt.datetime.now()))
        return self.reresolve(city, [key])

    def reresolve(self, city: str, texts: list[str]) -> int:
        """Resolve again the text locations (without coordinates) whose normalised text is in ``texts``."""
        wanted = set(texts)
        aliases = self.aliases(city)
        changed = 0
        with self.engine.begin() as conn:
            project_ids = [p for p, in conn.execute(select(Project.id).where(Project.city_adcode == city)).all()]
            for dim in S.DIMENSIONS:
                text_col = getattr(Visitor, S.text_col(dim))
                rows = conn.execute(
                    select(Visitor.id, text_col).where(Visitor.project_id.in_(project_ids), text_col != "",
                                                       getattr(Visitor, S.lng_col(dim)).is_(None))).all()
                keys = {raw: normalise(raw) for raw in {raw for _, raw in rows}}  # each spelling once
                hits = [(vid, raw) for vid, raw in rows if keys[raw] in wanted]
                if not hits:
                    continue
                ids = [vid for vid, _ in hits]
                result = resolve_texts([raw for _, raw in hits], city, aliases=aliases)
                result.insert(0, "dimension", dim)
                for start in range(0, len(ids), CHUNK):
                    conn.execute(delete(Location).where(Location.dimension == dim,
                                                        Location.visitor_id.in_(ids[start:start + CHUNK])))
                _insert_locations(conn, ids, result)
                changed += len(ids)
        return changed

    def review_queue(self, project_id: int) -> pd.DataFrame:
        """Strings that need a person: unresolved, ambiguous, conflicting or fuzzy, by visitors carried."""
        frames = []
        with self.engine.connect() as conn:
            for dim in S.DIMENSIONS:
                text_col = getattr(Visitor, S.text_col(dim))
                query = (select(text_col.label("text"), Location.method, Location.candidates, Location.confidence)
                         .join(Location, (Location.visitor_id == Visitor.id) & (Location.dimension == dim))
                         .where(Visitor.project_id == project_id, Location.method.in_(REVIEW_METHODS)))
                frame = pd.read_sql(query, conn)
                frame["dimension"] = dim
                frames.append(frame)
        rows = pd.concat(frames, ignore_index=True)
        if rows.empty:
            return pd.DataFrame(columns=["text", "visitors", "dimensions", "method", "candidates"])
        rows["key"] = rows["text"].map(normalise)
        out = rows.groupby("key").agg(
            text=("text", "first"), visitors=("text", "size"),
            dimensions=("dimension", lambda d: ",".join(sorted(set(d)))),
            method=("method", "first"), candidates=("candidates", "first"),
        ).reset_index(drop=True)
        return out.sort_values(["visitors", "text"], ascending=[False, True]).reset_index(drop=True)

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
                   Visitor.deal_date, Visitor.deal_product_line)
            .join(Visitor, Visitor.id == Location.visitor_id)
            .where(Visitor.project_id == project_id)
        )
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn)

    def data_version(self, project_id: int) -> str:
        """Changes whenever the project's data changes (a cache key for pages)."""
        # from the imports table only (a few rows): counting visitors costs 0.1 s at a million
        with self.engine.connect() as conn:
            last, inserted = conn.execute(
                select(func.max(ImportBatch.id), func.coalesce(func.sum(ImportBatch.inserted), 0))
                .where(ImportBatch.project_id == project_id)).one()
        return f"{project_id}:{last}:{inserted}"


# ------------------------------------------------------------------- helpers
def _prepare(records: pd.DataFrame) -> pd.DataFrame:
    out = records.copy()
    out["visitor_code"] = out[S.VISITOR_ID].fillna("").astype(str).str.slice(0, 100)
    out = out.drop_duplicates("visitor_key", keep="last").reset_index(drop=True)  # ingest reported them
    columns = [as_text(out[c]).tolist() for c in VISITOR_FIELDS]
    out["row_hash"] = [hashlib.md5("\x1f".join(values).encode()).hexdigest() for values in zip(*columns)]
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


def _insert_locations(conn, visitor_ids: list[int], loc: pd.DataFrame) -> None:
    frame = pd.DataFrame({
        "visitor_id": visitor_ids,
        "dimension": loc["dimension"].to_numpy(),
        "adcode": loc["adcode"].to_numpy(),
        "lng": pd.to_numeric(loc["lng"]).to_numpy(),
        "lat": pd.to_numeric(loc["lat"]).to_numpy(),
        "level": loc["level"].to_numpy(),
        "method": loc["method"].to_numpy(),
        "confidence": pd.to_numeric(loc["confidence"]).to_numpy(),
        "town_code": loc["town_code"].fillna("").astype(str).to_numpy(),
        "outside": loc["outside"].astype(bool).to_numpy(),
        "candidates": loc["candidates"].fillna("").astype(str).to_numpy(),
    })
    rows = _records_for_db(frame)
    for row in rows:
        row["outside"] = bool(row["outside"])
    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(Location), rows[start:start + CHUNK])


def _records_for_db(frame: pd.DataFrame) -> list[dict]:
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict("records")


def _rows(records: pd.DataFrame, project_id: int, batch_id: int) -> list[dict]:
    frame = records[["visitor_key", "row_hash", *VISITOR_FIELDS]].copy()
    frame["project_id"] = project_id
    frame["import_id"] = batch_id
    frame["deal"] = frame["deal"].astype(bool)
    for col in ("visit_date", "deal_date"):
        frame[col] = frame[col].map(lambda d: d if isinstance(d, dt.date) else None)
    for col in S.LOCATION_COLUMNS:
        if not col.endswith("_text"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    frame["deal_amount"] = pd.to_numeric(frame["deal_amount"], errors="coerce")
    return _records_for_db(frame)  # astype(object) gives plain Python scalars
