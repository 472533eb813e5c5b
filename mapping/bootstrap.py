"""First run: create the schema, the first 管理员 and the sample project so a new user sees a map at once."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from pathlib import Path

from mapping import importer
from mapping import schema as S
from mapping.access.accounts import Accounts
from mapping.db.store import Store
from mapping.ingest.tables import auto_map, file_digest, read_table, validate
from mapping.paths import SAMPLES
from mapping.place.geocode import geocoder_from_env
from mapping.project import Project

SAMPLE_FILE = SAMPLES / "visitors_sample_utf8bom.csv"
SAMPLE_PROJECT = dict(
    name="金桥湾示范项目（示例）",
    city_adcode=S.SHANGHAI,
    launch_date=dt.date(2024, 5, 1),
    product_lines=["公寓", "洋房", "别墅", "商铺"],
    area_layer=S.LAYER_DISTRICTS_BANKUAI,
    site=(121.640, 31.250),
)
# Made-up competitor sites for the sample project (WGS-84), so the battle map shows them.
SAMPLE_COMPETITORS = [
    {"name": "竞品甲·金桥府（示例）", "lng": 121.598, "lat": 31.262},
    {"name": "竞品乙·张江壹号（示例）", "lng": 121.603, "lat": 31.205},
    {"name": "竞品丙·外高桥湾（示例）", "lng": 121.585, "lat": 31.330},
]


def sample_project(project_id: int = 0) -> Project:
    """The sample project as a :class:`Project` without a database (benchmarks build on it)."""
    spec = {k: v for k, v in SAMPLE_PROJECT.items() if k != "site"}
    return Project(id=project_id, **{**spec, "product_lines": tuple(spec["product_lines"])},
                   site_lng=SAMPLE_PROJECT["site"][0], site_lat=SAMPLE_PROJECT["site"][1],
                   competitors=tuple(SAMPLE_COMPETITORS))


log = logging.getLogger("tuoke")


def ensure_ready(store: Store, seed_sample: bool | None = None) -> None:
    """Upgrade the schema; without users, create 管理员 ``admin``; on an empty database, load the sample project
    (unless ``seed_sample`` is False; by default, unless ``TUOKE_SAMPLE=0``: a company's own server).

    ``admin`` gets ``TUOKE_ADMIN_PASSWORD`` when it is set (only at this first start), else a
    one-time password, printed here once (stderr and the ``tuoke`` log): the only place a
    password is ever shown outside 用户与审计.  Called again, this costs a schema check and one query.
    """
    store.migrate()
    store.pii_secret()  # the personal-data key: a different one than the database's stops the start here
    ensure_admin(store, os.environ.get("TUOKE_ADMIN_PASSWORD") or None)
    if seed_sample is None:
        seed_sample = os.environ.get("TUOKE_SAMPLE", "1").strip() != "0"
    if seed_sample and store.is_empty():
        load_sample(store)


def ensure_admin(store: Store, password: str | None) -> str | None:
    """Create the first 管理员 if there are no users yet; print and return its one-time password (else None)."""
    try:
        one_time = Accounts(store).ensure_admin(password)
    except ValueError as exc:
        log.error("%s", exc)
        raise
    if one_time:
        line = f"首次启动：已创建管理员账号 admin，一次性密码：{one_time}（登录后须修改）"
        banner = "=" * 72
        print(f"\n{banner}\n{line}\n请妥善保管，此密码只显示这一次。\n{banner}\n", file=sys.stderr, flush=True)
        log.warning("%s", line)
    return one_time


def load_sample(store: Store, path: Path = SAMPLE_FILE) -> int:
    """Create the sample project and import the sample visitors file into it."""
    project_id = store.create_project(**SAMPLE_PROJECT)
    store.set_sites(project_id, SAMPLE_PROJECT["site"], SAMPLE_COMPETITORS)
    data = path.read_bytes()
    table = read_table(data, path.name)
    result = validate(table, auto_map(table.frame.columns), secret=store.pii_secret(),
                      product_lines=tuple(SAMPLE_PROJECT["product_lines"]))
    importer.import_records(store, project_id, result, path.name, file_digest(data), geocoder_from_env())
    return project_id
