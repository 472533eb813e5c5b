import datetime as dt
import io

import pandas as pd
import pytest
from sqlalchemy import text

from mapping import corrections, importer
from mapping.db import store as store_mod
from mapping.ingest.tables import auto_map, read_table, validate

HEADERS = ["客户编号", "姓名", "手机", "到访日期", "意向业态", "居住区域", "居住经度", "居住纬度", "坐标系",
           "是否成交"]


def _result(rows, secret):
    buf = io.StringIO()
    pd.DataFrame(rows, columns=HEADERS).to_csv(buf, index=False)
    table = read_table(buf.getvalue().encode("utf-8-sig"), "v.csv")
    return validate(table, auto_map(table.frame.columns), secret=secret)


ROWS = [
    ["A1", "张三丰", "13812345678", "2024-03-05", "公寓", "", "121.4953", "31.2418", "WGS84", "是"],
    ["A2", "李四", "13912345678", "2024-03-06", "洋房", "徐汇区", "", "", "", "否"],
    ["A3", "王五", "13700001111", "2024-03-07", "别墅", "不详", "", "", "", "否"],
    ["", "赵六", "13700002222", "2024-03-08", "公寓", "浦东", "", "", "", "否"],
]


def _project(store):
    return store.create_project("测试项目", "310000", dt.date(2024, 5, 1), ["公寓", "洋房", "别墅"])


def _counts(store):
    with store.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("visitors", "locations", "imports")}


def test_import_then_reimport_is_idempotent(store):
    pid = _project(store)
    secret = store.pii_secret()
    first = importer.import_records(store, pid, _result(ROWS, secret), "v.csv", "sha")
    assert (first.inserted, first.updated, first.unchanged) == (4, 0, 0)
    again = importer.import_records(store, pid, _result(ROWS, secret), "v.csv", "sha")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert _counts(store)["visitors"] == 4
    assert _counts(store)["locations"] == 12


def test_changed_row_updates_its_visitor(store):
    pid = _project(store)
    secret = store.pii_secret()
    importer.import_records(store, pid, _result(ROWS, secret), "v.csv", "sha")
    changed = [row[:] for row in ROWS]
    changed[1][5] = "浦东新区"   # A2 moved home
    changed[3][9] = "是"         # the visitor without an id (keyed by phone) bought
    summary = importer.import_records(store, pid, _result(changed, secret), "v2.csv", "sha2")
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 2, 2)
    visitors = store.visitors(pid).set_index("visitor_code")
    assert visitors.loc["A2", "home_text"] == "浦东新区"
    locs = store.locations(pid)
    a2 = visitors.loc["A2", "id"]
    assert locs[(locs.visitor_id == a2) & (locs.dimension == "home")]["adcode"].tolist() == ["310115"]
    assert int(store.visitors(pid)["deal"].sum()) == 2


def test_failure_half_way_leaves_database_unchanged(store, monkeypatch):
    pid = _project(store)
    secret = store.pii_secret()
    importer.import_records(store, pid, _result(ROWS[:2], secret), "v.csv", "sha")
    before = _counts(store)
    before_visitors = store.visitors(pid)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full (injected)")

    monkeypatch.setattr(store_mod.Store, "_write_locations", boom)
    changed = [row[:] for row in ROWS]
    changed[0][5] = "改了"
    with pytest.raises(RuntimeError, match="injected"):
        importer.import_records(store, pid, _result(changed, secret), "v.csv", "sha")
    assert _counts(store) == before
    pd.testing.assert_frame_equal(store.visitors(pid), before_visitors)


def test_resolution_is_stored(store):
    pid = _project(store)
    importer.import_records(store, pid, _result(ROWS, store.pii_secret()), "v.csv", "sha")
    locs = store.locations(pid)
    home = locs[locs.dimension == "home"].set_index("visitor_id").sort_index()
    assert home["adcode"].tolist() == ["310115", "310104", "", "310115"]
    assert home["method"].tolist() == ["point", "district_name", "junk", "district_name"]


def test_no_clear_pii_in_database(store):
    pid = _project(store)
    importer.import_records(store, pid, _result(ROWS, store.pii_secret()), "v.csv", "sha")
    with store.engine.connect() as conn:
        dump = " ".join(str(r) for r in conn.execute(text("SELECT * FROM visitors")).all())
    for clear in ("13812345678", "张三丰", "13912345678", "李四", "赵六"):
        assert clear not in dump
    assert "*******5678" in dump


def test_salt_is_stable_per_installation(store):
    assert store.salt() == store.salt()
    assert len(store.salt()) >= 16


def test_projects_and_duplicates(store):
    pid = _project(store)
    assert store.project(pid).product_lines == ("公寓", "洋房", "别墅")
    with pytest.raises(ValueError, match="同名项目"):
        _project(store)


def test_migrations_match_models(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from mapping.db.models import Base

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_alias_round_trip_changes_counts(store):
    pid = _project(store)
    rows = [r[:] for r in ROWS] + [["A9", "孙八", "13700003333", "2024-03-09", "公寓", "火星基地", "", "", "", "否"]]
    importer.import_records(store, pid, _result(rows, store.pii_secret()), "v.csv", "sha")
    queue = corrections.review_queue(store, pid)
    assert "火星基地" in queue["text"].tolist()
    changed = corrections.save_alias(store, "310000", "火星基地", "310115", label="金桥")
    assert changed == 1
    locs = store.locations(pid)
    assert (locs[locs.method == "alias"]["adcode"] == "310115").all()
    assert "火星基地" not in corrections.review_queue(store, pid)["text"].tolist()
    # a later import of the same string uses the alias too
    more = [["B1", "周九", "13700004444", "2024-03-10", "公寓", "火星基地", "", "", "", "否"]]
    importer.import_records(store, pid, _result(more, store.pii_secret()), "v2.csv", "sha2")
    assert (store.locations(pid)["method"] == "alias").sum() == 2


def test_resolved_strings_are_cached(store, monkeypatch):
    from mapping.place import resolve
    pid = _project(store)
    importer.import_records(store, pid, _result(ROWS, store.pii_secret()), "v.csv", "sha")
    calls = []
    original = resolve.resolve_one
    monkeypatch.setattr(resolve, "resolve_one", lambda t, c, a=None: calls.append(t) or original(t, c, a))
    changed = [r[:] for r in ROWS]
    for r in changed:
        r[4] = "洋房"  # every row changes, so every location is resolved again
    importer.import_records(store, pid, _result(changed, store.pii_secret()), "v2.csv", "sha2")
    assert [c for c in calls if c] == []  # all strings came from the database cache


def test_bad_alias_is_refused(store):
    with pytest.raises(ValueError, match="6 位数字"):
        corrections.save_alias(store, "310000", "某地", "31011")


def test_import_uses_the_geocoder_passed_in_and_reports_its_failure(store):
    from mapping.place import geocode

    class Found(geocode.Geocoder):
        name, label = "amap", "高德"

        def __init__(self):
            pass

        def geocode_many(self, texts, city):
            texts = list(texts)
            return {t: geocode.GeocodeResult(t, 121.6, 31.26, "310115", "浦东新区", "amap", "兴趣点", 0.85)
                    for t in texts if t == "火星基地一号楼"}

    class Exhausted(Found):
        def geocode_many(self, texts, city):
            raise geocode.QuotaExceeded("高德地理编码今日配额已用完")

    rows = [["G1", "钱一", "13700005555", "2024-03-09", "公寓", "火星基地一号楼", "", "", "", "否"]]
    pid = _project(store)
    summary = importer.import_records(store, pid, _result(rows, store.pii_secret()), "g.csv", "g", geocoder=Exhausted())
    assert "在线地理编码未完成" in summary.message() and "配额" in summary.message()
    assert store.locations(pid)["method"].tolist().count("unresolved") == 1
    rows[0][4] = "洋房"  # changed row: resolved again, the geocoder now answers
    importer.import_records(store, pid, _result(rows, store.pii_secret()), "g2.csv", "g2", geocoder=Found())
    home = store.locations(pid).query("dimension == 'home'")
    assert home["method"].tolist() == ["geocoder_amap"] and home["adcode"].tolist() == ["310115"]


def test_data_version_changes_with_every_import_and_not_otherwise(store):
    pid = _project(store)
    empty = store.data_version(pid)
    assert store.data_version(pid) == empty
    importer.import_records(store, pid, _result(ROWS[:2], store.pii_secret()), "v.csv", "sha")
    first = store.data_version(pid)
    assert first != empty and store.data_version(pid) == first
    importer.import_records(store, pid, _result(ROWS, store.pii_secret()), "v.csv", "sha2")
    assert store.data_version(pid) not in (empty, first)
    other = store.create_project("另一个", "310000", None, ["公寓"])
    assert store.data_version(other) != store.data_version(pid)
