"""First run: create the schema, the first 管理员 and the two sample projects so a new user sees a map at once.

The samples are 金桥湾示范项目（示例）(上海) and 天府示范项目（成都）: a new user sees that the app
is not for one city only.  A database that already has the Shanghai sample (made before the
成都 one existed) gets the 成都 sample once, on its next start; deleting it later is final.  Each
sample gets teams, an approved plan and territory set, costs and 蓄客 targets once
(:mod:`mapping.sample_ops`), so the operations pages have something to show.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from pathlib import Path


from mapping import importer, sample_ops
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


CHENGDU_SAMPLE_FILE = SAMPLES / "chengdu_visitors_sample_utf8bom.csv"
CHENGDU_SAMPLE_PROJECT = dict(
    name="天府示范项目（成都）",
    city_adcode="510100",
    launch_date=dt.date(2024, 11, 16),
    product_lines=["公寓", "洋房", "叠拼", "商铺"],
    area_layer=S.LAYER_DISTRICTS,
    site=(104.068, 30.440),
)
# Made-up competitor sites near real places (WGS-84), as data/samples/generate.py writes them.
CHENGDU_SAMPLE_COMPETITORS = [
    {"name": "竞品甲·麓湖云境（示例）", "lng": 104.032, "lat": 30.418},
    {"name": "竞品乙·华阳锦城府（示例）", "lng": 104.050, "lat": 30.498},
    {"name": "竞品丙·金融城壹号（示例）", "lng": 104.062, "lat": 30.582},
]
# app_settings key: the 成都 sample was added (or offered) once; never again, even after it is deleted.
CHENGDU_SAMPLE_SETTING = "sample_chengdu_added"


def sample_project(project_id: int = 0) -> Project:
    """The sample project as a :class:`Project` without a database (benchmarks build on it)."""
    spec = {k: v for k, v in SAMPLE_PROJECT.items() if k != "site"}
    return Project(id=project_id, **{**spec, "product_lines": tuple(spec["product_lines"])},
                   site_lng=SAMPLE_PROJECT["site"][0], site_lat=SAMPLE_PROJECT["site"][1],
                   competitors=tuple(SAMPLE_COMPETITORS))


log = logging.getLogger("tuoke")


def ensure_ready(store: Store, seed_sample: bool | None = None) -> None:
    """Upgrade the schema; without users, create 管理员 ``admin``; on an empty database, load the two sample
    projects, and add the 成都 one once where only the Shanghai one is (:func:`ensure_chengdu_sample`);
    give each sample project its teams, territories, costs and 蓄客 targets once
    (:func:`mapping.sample_ops.ensure_sample_operations`); none of this when ``seed_sample`` is False
    (by default, when ``TUOKE_SAMPLE=0``: a company's own server).

    ``admin`` gets ``TUOKE_ADMIN_PASSWORD`` when it is set (only at this first start), else a
    one-time password, printed here once (stderr and the ``tuoke`` log): the only place a
    password is ever shown outside 用户与审计.  Called again, this costs a schema check and two queries.
    """
    store.migrate()
    store.pii_secret()  # the personal-data key: a different one than the database's stops the start here
    ensure_admin(store, os.environ.get("TUOKE_ADMIN_PASSWORD") or None)
    if seed_sample is None:
        seed_sample = os.environ.get("TUOKE_SAMPLE", "1").strip() != "0"
    if not seed_sample:
        return
    if store.is_empty():
        load_sample(store)
    ensure_chengdu_sample(store)
    try:
        sample_ops.ensure_sample_operations(store, (SAMPLE_PROJECT["name"], CHENGDU_SAMPLE_PROJECT["name"]))
    except Exception:  # the samples' teams and costs are a demonstration: the app still starts without them
        log.exception("示例项目的团队、片区与费用未能生成（下次启动会再试）")


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


def load_sample(store: Store, path: Path = SAMPLE_FILE, spec: dict | None = None,
                competitors: list[dict] | None = None) -> int:
    """Create a sample project (default: the Shanghai one) and import its visitors file into it.

    The sample files' 身份证号 are synthetic (``data/samples/README.md``), so their 籍贯 is derived
    (``derive_hometown=True``) and the 籍贯 segment has something to show; as for any import, only
    the derived city code is kept.  A user's own file is read with 籍贯 off unless they tick it.
    """
    spec = SAMPLE_PROJECT if spec is None else spec
    project_id = store.create_project(**spec)
    store.set_sites(project_id, spec["site"], SAMPLE_COMPETITORS if competitors is None else competitors)
    data = path.read_bytes()
    table = read_table(data, path.name)
    result = validate(table, auto_map(table.frame.columns), secret=store.pii_secret(),
                      product_lines=tuple(spec["product_lines"]), derive_hometown=True)
    importer.import_records(store, project_id, result, path.name, file_digest(data), geocoder_from_env())
    return project_id


def load_chengdu_sample(store: Store) -> int:
    """Create the 成都 sample project and import its visitors file into it."""
    return load_sample(store, CHENGDU_SAMPLE_FILE, CHENGDU_SAMPLE_PROJECT, CHENGDU_SAMPLE_COMPETITORS)


def ensure_chengdu_sample(store: Store) -> int | None:
    """Add the 成都 sample once, where the Shanghai sample is (a new database, or one made before it existed).

    Returns the new project's id, or None when nothing was added: it was added (or offered)
    before, the Shanghai sample is not there (a company's own data only), or a project of that
    name exists.  The first process to write ``CHENGDU_SAMPLE_SETTING`` does the work, so two
    instances starting together do not both add it.  One query when it was done before.
    """
    if store.setting(CHENGDU_SAMPLE_SETTING) is not None:
        return None
    names = set(store.projects()["name"])
    wanted = SAMPLE_PROJECT["name"] in names and CHENGDU_SAMPLE_PROJECT["name"] not in names
    if not store.claim_setting(CHENGDU_SAMPLE_SETTING, "added" if wanted else "skipped") or not wanted:
        return None
    try:
        return load_chengdu_sample(store)
    except Exception:
        store.forget_setting(CHENGDU_SAMPLE_SETTING)  # the next start tries again
        raise
