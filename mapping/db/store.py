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
from pathlib import Path

import numpy as np
import pandas as pd
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, bindparam, create_engine, delete, event, func, insert, inspect, select, update
from sqlalchemy.engine import make_url

from mapping import schema as S
from mapping.db.models import GradingSnapshot, ImportBatch, Location, PlaceAlias, PlaceCache, Setting, Visitor
from mapping.db.models import Project as ProjectRow
from mapping.paths import VAR
from mapping.project import Project

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CHUNK = 5000

VISITOR_FIELDS = (
    "visitor_code", "visit_date", "product_line", "intention", "channel", "coord_system",
    *S.LOCATION_COLUMNS, "deal", "deal_date", "deal_product_line", "deal_amount",
    *S.PROFILE_COLUMNS, "phone_masked", "phone_hash", "name_masked", "name_hash",
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
    engine = create_engine(parsed, future=True, pool_pre_ping=True)
    if parsed.get_backend_name() == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
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
            command.upgrade(cfg, "head")

    def is_empty(self) -> bool:
        if not inspect(self.engine).has_table("projects"):
            return True
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(ProjectRow)).scalar_one() == 0

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
            exists = conn.execute(select(ProjectRow.id).where(ProjectRow.name == name)).scalar()
            if exists is not None:
                raise ValueError(f"已有同名项目「{name}」，请换一个名称")
            return conn.execute(insert(ProjectRow).values(
                name=name, city_adcode=city_adcode, launch_date=launch_date,
                product_lines=",".join(product_lines), area_layer=area_layer,
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
            stages=tuple(x for x in row["stages"].split(",") if x))

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
    def stored_hashes(self, project_id: int) -> dict[str, str]:
        """{visitor_key: row_hash} of the project's visitors: what an import diffs against."""
        with self.engine.connect() as conn:
            return dict(conn.execute(
                select(Visitor.visitor_key, Visitor.row_hash).where(Visitor.project_id == project_id)).all())

    def write_import(self, project_id: int, batch: dict, new: pd.DataFrame, changed: pd.DataFrame,
                     locations: pd.DataFrame) -> int:
        """Write one import in one transaction and return its id.

        ``batch`` holds the import's row of the imports table (filename, file_sha256,
        rows_total, accepted, fixed, rejected, unchanged); ``new`` and ``changed``
        are prepared visitor records (``visitor_key``, ``row_hash`` and
        :data:`VISITOR_FIELDS`); ``locations`` are their resolved locations, one
        row per visitor and dimension, keyed by ``visitor_key``.  A concurrent
        import of the same visitors hits the unique key and rolls this one back whole.
        """
        with self.engine.begin() as conn:
            batch_id = conn.execute(insert(ImportBatch).values(
                project_id=project_id, imported_at=dt.datetime.now(), **{**batch, "filename": batch["filename"][:300]},
                inserted=len(new), updated=len(changed),
            ).returning(ImportBatch.id)).scalar_one()
            ids = self._insert_visitors(conn, project_id, batch_id, new)
            ids.update(self._update_visitors(conn, project_id, batch_id, changed))
            self._write_locations(conn, locations, ids)
        return batch_id

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

    def _write_locations(self, conn, locations: pd.DataFrame, ids: dict[str, int]) -> None:
        """Replace the locations of the visitors in ``ids`` ({visitor_key: id}) by ``locations``."""
        if not ids:
            return
        changed_ids = list(ids.values())
        for start in range(0, len(changed_ids), CHUNK):
            conn.execute(delete(Location).where(Location.visitor_id.in_(changed_ids[start:start + CHUNK])))
        loc = locations[locations["visitor_key"].isin(ids.keys())]
        _insert_locations(conn, loc["visitor_key"].map(ids).tolist(), loc)

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
        return {r["text"]: {"adcode": r["adcode"], "lng": r["lng"], "lat": r["lat"], "label": r["label"]}
                for r in rows}

    def put_alias(self, city: str, key: str, adcode: str, lng: float | None = None, lat: float | None = None,
                  label: str = "") -> None:
        """Save "the normalised string ``key`` means this place" for ``city`` (replacing an earlier one)."""
        with self.engine.begin() as conn:
            conn.execute(delete(PlaceAlias).where(PlaceAlias.city == city, PlaceAlias.text == key))
            conn.execute(insert(PlaceAlias).values(city=city, text=key, adcode=adcode, lng=lng, lat=lat,
                                                   label=label[:200], created_at=dt.datetime.now()))

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
                   Visitor.deal_date, Visitor.deal_product_line)
            .join(Visitor, Visitor.id == Location.visitor_id)
            .where(Visitor.project_id == project_id)
        )
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn)

    def data_version(self, project_id: int) -> str:
        """Changes whenever the project's data changes (a cache key for pages)."""
        # from the imports table (a few rows; counting visitors costs 0.1 s at a million) and the
        # project's settings_version, which project settings that change counts (e.g. what is 成交) bump
        with self.engine.connect() as conn:
            last, inserted = conn.execute(
                select(func.max(ImportBatch.id), func.coalesce(func.sum(ImportBatch.inserted), 0))
                .where(ImportBatch.project_id == project_id)).one()
            settings = conn.execute(select(ProjectRow.settings_version).where(ProjectRow.id == project_id)).scalar()
        return f"{project_id}:{last}:{inserted}:{settings}"


# ------------------------------------------------------------------- helpers
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
