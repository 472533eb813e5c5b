"""Operations data of a project (issue 14): teams, territory sets, costs and the ops settings.

``ops = Operations(store)`` reads and writes the tables ``teams``, ``territory_sets``,
``costs`` and ``project_ops``; every write bumps ``projects.ops_version`` in the same
transaction, so :meth:`Operations.version` changes and pages that cache on
``(store.data_version(pid), ops.version(pid))`` recompute.  Bad input raises a
``ValueError`` whose message (Chinese) says what was wrong and what to do.

Territory sets are versioned exactly like grading snapshots (plans): a new name is
version 1, a draft; saving over a draft needs ``replace=True``; saving under an approved
name makes version n+1, a draft; an approved version is locked and cannot be deleted.

>>> from mapping.db.store import Store
>>> store = Store("sqlite://"); store.migrate()
>>> pid = store.create_project("示例", "310000", None, ["公寓"])
>>> ops = Operations(store)
>>> v0 = ops.version(pid)
>>> tid = ops.save_team(pid, name="链家金桥店", kind="中介公司", cost_model="按成交佣金", commission=8000)
>>> ops.teams(pid)[["name", "kind", "commission"]].values.tolist()
[['链家金桥店', '中介公司', 8000.0]]
>>> ops.version(pid) != v0
True
>>> ops.save_team(pid, name="链家金桥店")
Traceback (most recent call last):
...
ValueError: 已有名为「链家金桥店」的团队：换一个名称，或在列表里编辑原来的团队。
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from mapping import schema as S
from mapping.db.models import Cost, GradingSnapshot, ProjectOps, Team, TerritorySet
from mapping.db.models import Project as ProjectRow
from mapping.db.versions import APPROVED, DRAFT, save_version

TERRITORY_METHODS = ("manual", "balance", "auction")
TEAM_COLUMNS = ["id", "name", "kind", "size", "cost_model", "day_rate", "commission", "monthly_fee", "base_area",
                "base_lng", "base_lat", "aliases", "active"]
TERRITORY_COLUMNS = ["id", "name", "version", "status", "method", "snapshot_id", "created_by", "created_at",
                     "approved_by", "approved_at"]
COST_COLUMNS = ["id", "period_start", "period_end", "channel", "team_id", "team", "area_id", "category", "amount",
                "leads", "note", "batch", "created_by"]
COST_LABELS = {"period_start": "开始日期", "period_end": "结束日期", "channel": "渠道", "team_id": "团队",
               "area_id": "区域", "category": "费用类别", "amount": "金额", "leads": "线索数", "note": "备注"}
ALIAS_SEP = "、"
DEFAULT_OPS_SETTINGS = {"target_cost_per_deal": None, "day_rate": 300.0, "outreach_channels": ["拓客"],
                        "xuke": {}, "opening_date": None, "silent_weeks": 2}


class Operations:
    """Teams, territory sets, costs and ops settings of the projects in one :class:`Store`."""

    def __init__(self, store):
        self.store = store
        self.engine = store.engine

    # ----------------------------------------------------------------- version
    def version(self, project_id: int) -> str:
        """Changes on every write of this class for the project (a cache key, with ``store.data_version``)."""
        with self.engine.connect() as conn:
            found = conn.execute(select(ProjectRow.ops_version).where(ProjectRow.id == project_id)).scalar()
        return f"{project_id}:ops{found}"

    @staticmethod
    def _bump(conn, project_id: int) -> None:
        """Bump the project's ops_version (and check it exists) inside the writing transaction."""
        done = conn.execute(update(ProjectRow).where(ProjectRow.id == project_id)
                            .values(ops_version=ProjectRow.ops_version + 1)).rowcount
        if not done:
            raise ValueError(f"没有编号为 {project_id} 的项目（可能已被删除），请刷新页面后重新选择项目。")

    # ------------------------------------------------------------------- teams
    def teams(self, project_id: int, active_only: bool = False) -> pd.DataFrame:
        """The project's teams in the order they were created (columns :data:`TEAM_COLUMNS`)."""
        query = select(*(getattr(Team, c) for c in TEAM_COLUMNS)).where(Team.project_id == project_id)
        if active_only:
            query = query.where(Team.active.is_(True))
        with self.engine.connect() as conn:
            out = pd.DataFrame(conn.execute(query.order_by(Team.id)).mappings().all(), columns=TEAM_COLUMNS)
        out = out.astype({"id": "int64", "size": "int64", "day_rate": float, "commission": float,
                          "monthly_fee": float, "base_lng": float, "base_lat": float, "active": bool})
        return out

    def save_team(self, project_id: int, *, team_id: int | None = None, name: str, kind: str = "渠道团队",
                  size: int = 1, cost_model: str = "按人天", day_rate: float = 0.0, commission: float = 0.0,
                  monthly_fee: float = 0.0, base_area: str = "", base_lng: float | None = None,
                  base_lat: float | None = None, aliases="", active: bool = True) -> int:
        """Add a team (``team_id`` None) or change one; returns its id.

        ``aliases``: other spellings of the team in the import's 拓客人员 column, a list or
        a text separated by 、 , ， ; ； or new lines (stored 、-joined, duplicates once).
        """
        name = _text(name, "团队名称", 64, required=True)
        if kind not in S.TEAM_KINDS:
            raise ValueError(f"团队类型应为 {'、'.join(S.TEAM_KINDS)} 之一，收到「{kind}」。")
        if cost_model not in S.COST_MODELS:
            raise ValueError(f"计费方式应为 {'、'.join(S.COST_MODELS)} 之一，收到「{cost_model}」。")
        size_n = _number(size, "人数")
        if size_n != int(size_n) or size_n < 1:
            raise ValueError(f"「{name}」的人数应为不小于 1 的整数，收到「{size}」。")
        lng = None if _blank(base_lng) else _number(base_lng, "驻点经度", low=None)
        lat = None if _blank(base_lat) else _number(base_lat, "驻点纬度", low=None)
        if (lng is None) != (lat is None):
            raise ValueError(f"「{name}」的驻点坐标要同时填写经度和纬度，或都不填。")
        if lng is not None and not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise ValueError(f"「{name}」的驻点坐标（{lng}, {lat}）不是有效的经纬度，请检查是否填反了。")
        values = dict(name=name, kind=kind, size=int(size_n), cost_model=cost_model,
                      day_rate=_number(day_rate, "人天单价"), commission=_number(commission, "成交佣金"),
                      monthly_fee=_number(monthly_fee, "月固定费用"),
                      base_area=_text(base_area, "驻点区域", 120), base_lng=lng, base_lat=lat,
                      aliases=ALIAS_SEP.join(_aliases(aliases, name)), active=bool(active))
        try:
            with self.engine.begin() as conn:
                self._bump(conn, project_id)
                clash = conn.execute(select(Team.id).where(Team.project_id == project_id, Team.name == name,
                                                           Team.id != (team_id or -1))).scalar()
                if clash is not None:
                    raise ValueError(f"已有名为「{name}」的团队：换一个名称，或在列表里编辑原来的团队。")
                if team_id is None:
                    return conn.execute(insert(Team).values(project_id=project_id, created_at=dt.datetime.now(),
                                                            **values).returning(Team.id)).scalar_one()
                done = conn.execute(update(Team).where(Team.id == team_id, Team.project_id == project_id)
                                    .values(**values)).rowcount
                if not done:
                    raise ValueError(f"这个项目没有编号为 {team_id} 的团队（可能已被删除），请刷新页面。")
                return int(team_id)
        except IntegrityError as exc:  # the same name saved a moment ago by someone else
            raise ValueError(f"已有名为「{name}」的团队：换一个名称，或在列表里编辑原来的团队。") from exc

    def delete_team(self, team_id: int) -> None:
        """Delete a team.  Its costs stay, with no team (team_id NULL); territory payloads that
        name it keep its id (an approved set is never changed) and show it as a removed team."""
        with self.engine.begin() as conn:
            project_id = conn.execute(select(Team.project_id).where(Team.id == team_id)).scalar()
            if project_id is None:
                raise ValueError(f"没有编号为 {team_id} 的团队（可能已被删除），请刷新页面。")
            self._bump(conn, project_id)
            conn.execute(update(Cost).where(Cost.team_id == team_id).values(team_id=None))
            conn.execute(delete(Team).where(Team.id == team_id))

    # ------------------------------------------------------------ territories
    def save_territory_set(self, project_id: int, name: str, payload: dict, *, snapshot_id: int | None = None,
                           method: str = "manual", created_by: str = "", replace: bool = False) -> int:
        """Save a territory set under a name; returns the saved version's id (versioned like plans)."""
        name = str(name or "").strip()[:200]
        if not name:
            raise ValueError("请给这套片区分配起个名字，例如「第12周 片区分配」。")
        if method not in TERRITORY_METHODS:
            raise ValueError(f"分配方式应为 {'、'.join(TERRITORY_METHODS)} 之一，收到「{method}」。")
        if not isinstance(payload, dict):
            raise ValueError("片区分配的内容应为一个字典（layer_id、dimension、areas …）。")
        if not isinstance(payload.get("areas", []), list) or not isinstance(payload.get("bids", []), list):
            raise ValueError("片区分配的 areas 和 bids 应为列表。")
        values = dict(created_at=dt.datetime.now(), method=method, snapshot_id=snapshot_id,
                      payload=_dumps(payload, "片区分配"), created_by=str(created_by or "")[:64])
        try:
            with self.engine.begin() as conn:
                self._bump(conn, project_id)
                if snapshot_id is not None and conn.execute(select(GradingSnapshot.project_id).where(
                        GradingSnapshot.id == snapshot_id)).scalar() != project_id:
                    raise ValueError(f"这个项目没有编号为 {snapshot_id} 的分级方案（可能已被删除），请刷新页面。")
                return save_version(conn, TerritorySet, project_id, name, values, replace=replace, what="片区分配")
        except IntegrityError as exc:  # someone saved the same name and version a moment ago
            raise ValueError(f"刚才有人同时保存了「{name}」。请再保存一次。") from exc

    def approve_territory_set(self, set_id: int, approved_by: str) -> None:
        """Approve a draft territory set: it becomes locked (never changed or deleted afterwards)."""
        approved_by = str(approved_by or "").strip()[:64]
        if not approved_by:
            raise ValueError("批准片区分配需要写明批准人。")
        with self.engine.begin() as conn:
            row = conn.execute(select(TerritorySet.project_id, TerritorySet.name, TerritorySet.version,
                                      TerritorySet.status).where(TerritorySet.id == set_id)).first()
            if row is None:
                raise ValueError(f"没有编号为 {set_id} 的片区分配（可能已被删除），请刷新页面。")
            if row.status == APPROVED:
                raise ValueError(f"片区分配「{row.name}」第 {row.version} 版已经批准过了，不能再次批准或修改。")
            self._bump(conn, row.project_id)
            done = conn.execute(update(TerritorySet).where(TerritorySet.id == set_id, TerritorySet.status == DRAFT)
                                .values(status=APPROVED, approved_by=approved_by,
                                        approved_at=dt.datetime.now())).rowcount
            if not done:
                raise ValueError(f"片区分配「{row.name}」第 {row.version} 版刚刚被别人批准了，请刷新页面。")

    def delete_territory_set(self, set_id: int) -> None:
        """Delete a draft territory set (an approved version stays: it records who worked where)."""
        with self.engine.begin() as conn:
            row = conn.execute(select(TerritorySet.project_id, TerritorySet.status)
                               .where(TerritorySet.id == set_id)).first()
            if row is None:
                return
            if row.status == APPROVED:
                raise ValueError("已批准的片区分配不能删除：它记录了各团队按哪一版执行。要调整，请保存为新的版本。")
            self._bump(conn, row.project_id)
            conn.execute(delete(TerritorySet).where(TerritorySet.id == set_id, TerritorySet.status != APPROVED))

    def territory_sets(self, project_id: int) -> pd.DataFrame:
        """The project's territory sets, newest first, without payload (columns :data:`TERRITORY_COLUMNS`)."""
        query = (select(*(getattr(TerritorySet, c) for c in TERRITORY_COLUMNS))
                 .where(TerritorySet.project_id == project_id).order_by(TerritorySet.id.desc()))
        with self.engine.connect() as conn:
            out = pd.DataFrame(conn.execute(query).mappings().all(), columns=TERRITORY_COLUMNS)
        for col in ("snapshot_id", "approved_at"):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
        return out

    def territory_set(self, set_id: int) -> dict:
        """One territory set: its row (:data:`TERRITORY_COLUMNS` and project_id) with ``payload`` parsed."""
        with self.engine.connect() as conn:
            row = conn.execute(select(TerritorySet.__table__).where(TerritorySet.id == set_id)).mappings().first()
        if row is None:
            raise ValueError(f"没有编号为 {set_id} 的片区分配（可能已被删除），请刷新页面。")
        return {**dict(row), "payload": json.loads(row["payload"])}

    def approved_territory_set(self, project_id: int) -> dict | None:
        """The most recently approved territory set (as :meth:`territory_set`), or None."""
        with self.engine.connect() as conn:
            found = conn.execute(select(TerritorySet.id).where(
                TerritorySet.project_id == project_id, TerritorySet.status == APPROVED)
                .order_by(TerritorySet.approved_at.desc(), TerritorySet.id.desc()).limit(1)).scalar()
        return None if found is None else self.territory_set(found)

    def territory_in_force(self, project_id: int) -> dict | None:
        """The territory set teams follow: the latest approved; else the latest draft; else None."""
        approved = self.approved_territory_set(project_id)
        if approved is not None:
            return approved
        with self.engine.connect() as conn:
            found = conn.execute(select(func.max(TerritorySet.id)).where(
                TerritorySet.project_id == project_id)).scalar()
        return None if found is None else self.territory_set(found)

    # ------------------------------------------------------------------- costs
    def costs(self, project_id: int) -> pd.DataFrame:
        """The project's cost entries (columns :data:`COST_COLUMNS`), oldest period first.

        ``period_start``/``period_end`` are datetime64[ns]; ``team_id`` and ``leads`` are
        nullable Int64; ``team`` is the team's name ("" when none or deleted).
        """
        query = (select(*(getattr(Cost, c) for c in COST_COLUMNS if c != "team"),
                        func.coalesce(Team.name, "").label("team"))
                 .select_from(Cost).outerjoin(Team, Team.id == Cost.team_id)
                 .where(Cost.project_id == project_id).order_by(Cost.period_start, Cost.id))
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        out = pd.DataFrame(rows, columns=[c for c in COST_COLUMNS if c != "team"] + ["team"])[COST_COLUMNS]
        for col in ("period_start", "period_end"):
            out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
        return out.astype({"id": "int64", "team_id": "Int64", "leads": "Int64", "amount": float})

    def add_costs(self, project_id: int, rows: pd.DataFrame, batch: str = "", created_by: str = "") -> int:
        """Add cost entries (one per row of ``rows``, columns as :meth:`costs` without id/team/batch/
        created_by; ``team_id`` names the team); all or nothing.  Returns how many were added.

        ``batch`` names the entry or import (deleting the batch undoes it); "" gives
        「录入 <date time>」.  Every row is checked; the message lists the first problems by row.
        """
        if not isinstance(rows, pd.DataFrame):
            raise ValueError("费用应为一张表（DataFrame）。")
        missing = [COST_LABELS[c] for c in ("period_start", "period_end", "category", "amount") if c not in rows]
        if missing:
            raise ValueError(f"费用表缺少列：{'、'.join(missing)}。请补上这些列后再保存。")
        batch = _text(batch, "批次名称", 120) or f"录入 {dt.datetime.now():%Y-%m-%d %H:%M:%S}"
        created_by = str(created_by or "")[:64]
        with self.engine.connect() as conn:
            teams = set(conn.execute(select(Team.id).where(Team.project_id == project_id)).scalars())
        clean, problems = [], []
        for number, row in enumerate(rows.to_dict("records"), start=1):
            try:
                clean.append(_cost_row(row, teams))
            except ValueError as exc:
                problems.append(f"第 {number} 行：{exc}")
        if problems:
            more = f"（另有 {len(problems) - 10} 行有问题）" if len(problems) > 10 else ""
            raise ValueError("费用未保存，请改正后再试：\n" + "\n".join(problems[:10]) + more)
        if not clean:
            return 0
        now = dt.datetime.now()
        with self.engine.begin() as conn:
            self._bump(conn, project_id)
            conn.execute(insert(Cost), [{**row, "project_id": project_id, "batch": batch,
                                         "created_by": created_by, "created_at": now} for row in clean])
        return len(clean)

    def delete_costs(self, project_id: int, ids=None, batch: str | None = None) -> int:
        """Delete cost entries by id, by batch, or both (rows matching both); returns how many went."""
        if ids is None and batch is None:
            raise ValueError("请选择要删除的费用（勾选行，或选择一个导入批次）。")
        query = delete(Cost).where(Cost.project_id == project_id)
        if ids is not None:
            ids = [int(i) for i in ids]
            if not ids:
                return 0
            query = query.where(Cost.id.in_(ids))
        if batch is not None:
            query = query.where(Cost.batch == str(batch))
        with self.engine.begin() as conn:
            gone = conn.execute(query).rowcount
            if gone:
                self._bump(conn, project_id)
        return int(gone)

    # ---------------------------------------------------------------- settings
    def ops_settings(self, project_id: int) -> dict:
        """The project's ops settings, defaults filled (see :data:`DEFAULT_OPS_SETTINGS`).

        ``opening_date`` stays None when not set; ``opening`` is the date in force: the
        setting, else the project's launch date (ISO text), else None.
        """
        with self.engine.connect() as conn:
            stored = conn.execute(select(ProjectOps.payload).where(ProjectOps.project_id == project_id)).scalar()
            launch = conn.execute(select(ProjectRow.launch_date).where(ProjectRow.id == project_id)).scalar()
        settings = json.loads(json.dumps(DEFAULT_OPS_SETTINGS))  # a deep copy
        for key, value in json.loads(stored or "{}").items():
            if value is not None or DEFAULT_OPS_SETTINGS.get(key) is None:
                settings[key] = value
        settings["opening"] = settings["opening_date"] or (launch.isoformat() if launch else None)
        return settings

    def put_ops_settings(self, project_id: int, settings: dict) -> None:
        """Save ops settings: the keys given replace the stored ones (others stay); checked first."""
        if not isinstance(settings, dict):
            raise ValueError("运营设置应为一个字典。")
        clean = {k: v for k, v in settings.items() if k != "opening"}
        _check_settings(clean)
        with self.engine.begin() as conn:
            self._bump(conn, project_id)
            stored = conn.execute(select(ProjectOps.payload).where(ProjectOps.project_id == project_id)).scalar()
            merged = {**json.loads(stored or "{}"), **clean}
            payload, now = _dumps(merged, "运营设置"), dt.datetime.now()
            if stored is None:
                conn.execute(insert(ProjectOps).values(project_id=project_id, payload=payload, updated_at=now))
            else:
                conn.execute(update(ProjectOps).where(ProjectOps.project_id == project_id)
                             .values(payload=payload, updated_at=now))


# ------------------------------------------------------------------- helpers
def _blank(value) -> bool:
    """None, NaN, NaT, pd.NA or blank text.

    >>> [_blank(v) for v in (None, float("nan"), pd.NA, " ", 0, "x")]
    [True, True, True, True, False, False]
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _text(value, label: str, limit: int, required: bool = False) -> str:
    """Trimmed text of at most ``limit`` characters.

    >>> _text(" 渠道一组 ", "团队名称", 64)
    '渠道一组'
    >>> _text("", "团队名称", 64, required=True)
    Traceback (most recent call last):
    ...
    ValueError: 团队名称不能为空。
    """
    text = "" if _blank(value) else str(value).strip()
    if required and not text:
        raise ValueError(f"{label}不能为空。")
    if len(text) > limit:
        raise ValueError(f"{label}最多 {limit} 个字，现在是 {len(text)} 个字：「{text[:20]}…」。")
    return text


def _number(value, label: str, low: float | None = 0.0) -> float:
    """A finite number, ≥ ``low`` unless ``low`` is None.

    >>> _number("1,200", "金额")
    1200.0
    >>> _number(-1, "金额")
    Traceback (most recent call last):
    ...
    ValueError: 金额不能小于 0，收到「-1」。
    """
    if isinstance(value, bool) or _blank(value):
        raise ValueError(f"{label}应为数字，收到「{'' if _blank(value) else value}」。")
    try:
        number = float(str(value).replace(",", "").replace("，", "").strip()) if isinstance(value, str) \
            else float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{label}应为数字，收到「{str(value)[:20]}」。") from None
    if not math.isfinite(number):
        raise ValueError(f"{label}应为有限的数字，收到「{value}」。")
    if low is not None and number < low:
        raise ValueError(f"{label}不能小于 {low:g}，收到「{value}」。")
    return number


def _date(value, label: str) -> dt.date:
    """A date from a date, datetime, Timestamp or text (2024-05-01, 2024/5/1, 2024年5月1日).

    >>> _date("2024/5/1", "开始日期")
    datetime.date(2024, 5, 1)
    """
    if _blank(value):
        raise ValueError(f"{label}不能为空，请填写日期（例如 2024-05-01）。")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-")
    try:
        return pd.Timestamp(text).date()
    except (TypeError, ValueError):
        raise ValueError(f"{label}「{str(value)[:20]}」不是有效的日期，请写成 2024-05-01 这样。") from None


def _aliases(aliases, name: str) -> list[str]:
    """Other spellings, trimmed, each once, never the name itself.

    >>> _aliases("链家、 链家地产，链家", "链家金桥店")
    ['链家', '链家地产']
    """
    if not isinstance(aliases, (list, tuple, set)) and _blank(aliases):
        return []
    if isinstance(aliases, str):
        for sep in (",", "，", ";", "；", "\n", "/"):
            aliases = aliases.replace(sep, ALIAS_SEP)
        aliases = aliases.split(ALIAS_SEP)
    out: list[str] = []
    for alias in aliases:
        alias = _text(alias, "别名", 64)
        if alias and alias != name and alias not in out:
            out.append(alias)
    return out


def _plain(value, where: str):
    """``value`` as plain JSON types (numpy scalars → python, dates → ISO text, NaN → None).

    >>> _plain({"a": np.int64(3), "b": [float("nan"), dt.date(2024, 5, 1)]}, "x")
    {'a': 3, 'b': [None, '2024-05-01']}
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.generic,)):
        value = value.item()
        if isinstance(value, (bool, str)):
            return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v, where) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v, where) for v in value]
    raise ValueError(f"{where}里有无法保存的值（{type(value).__name__}）：只能保存文字、数字、列表和字典。")


def _dumps(value, where: str) -> str:
    return json.dumps(_plain(value, where), ensure_ascii=False, allow_nan=False)


def _cost_row(row: dict, teams: set[int]) -> dict:
    """One cost entry checked: the columns of the ``costs`` table (ValueError says which column)."""
    start, end = _date(row.get("period_start"), "开始日期"), _date(row.get("period_end"), "结束日期")
    if start > end:
        raise ValueError(f"开始日期 {start} 晚于结束日期 {end}，请检查是否填反了。")
    category = _text(row.get("category"), "费用类别", 16)
    if category not in S.COST_CATEGORIES:
        raise ValueError(f"费用类别应为 {'、'.join(S.COST_CATEGORIES)} 之一，收到「{category}」。")
    team_id = row.get("team_id")
    if _blank(team_id):
        team_id = None
    else:
        try:
            team_id = int(team_id)
        except (TypeError, ValueError):
            raise ValueError(f"团队编号「{team_id}」不是整数。") from None
        if team_id not in teams:
            raise ValueError(f"这个项目没有编号为 {team_id} 的团队（可能已被删除），请重新选择团队。")
    leads = row.get("leads")
    if _blank(leads):
        leads = None
    else:
        leads_n = _number(leads, "线索数")
        if leads_n != int(leads_n):
            raise ValueError(f"线索数应为整数，收到「{leads}」。")
        leads = int(leads_n)
    return dict(period_start=start, period_end=end, channel=_text(row.get("channel"), "渠道", 64),
                team_id=team_id, area_id=_text(row.get("area_id"), "区域", 120), category=category,
                amount=_number(row.get("amount"), "金额"), leads=leads, note=_text(row.get("note"), "备注", 200))


def _check_settings(settings: dict) -> None:
    """ValueError (Chinese) for an ops setting of the wrong kind; None values mean "the default"."""
    for key in ("target_cost_per_deal", "day_rate"):
        if not _blank(settings.get(key)):
            settings[key] = _number(settings[key], {"target_cost_per_deal": "目标单套成交费用",
                                                    "day_rate": "默认人天单价"}[key])
    channels = settings.get("outreach_channels")
    if channels is not None:
        if isinstance(channels, str) or not isinstance(channels, (list, tuple)):
            raise ValueError("拓客渠道应为渠道名称的列表，例如 ['拓客', '小蜜蜂']。")
        settings["outreach_channels"] = [c for c in (_text(c, "拓客渠道", 64) for c in channels) if c]
    xuke = settings.get("xuke")
    if xuke is not None:
        if not isinstance(xuke, dict):
            raise ValueError("蓄客目标应为 {业态: {units: 套数, ratio: 蓄客比}} 的字典。")
        clean = {}
        for line, target in xuke.items():
            line = _text(line, "业态", 32)
            label = f"业态「{line or '全部'}」"
            if not isinstance(target, dict):
                raise ValueError(f"{label}的蓄客目标应为 {{units: 套数, ratio: 蓄客比}}。")
            units = _number(target.get("units", 0), f"{label}的可售套数")
            if units != int(units):
                raise ValueError(f"{label}的可售套数应为整数，收到「{target.get('units')}」。")
            clean[line] = {**target, "units": int(units), "ratio": _number(target.get("ratio", 0), f"{label}的蓄客比")}
        settings["xuke"] = clean
    opening = settings.get("opening_date")
    if not _blank(opening):
        settings["opening_date"] = _date(opening, "开盘日期").isoformat()
    weeks = settings.get("silent_weeks")
    if not _blank(weeks):
        n = _number(weeks, "沉默周数")
        if n != int(n) or not 1 <= n <= 52:
            raise ValueError(f"沉默周数应为 1–52 的整数，收到「{weeks}」。")
        settings["silent_weeks"] = int(n)
    _dumps(settings, "运营设置")
