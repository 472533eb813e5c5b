"""A team's own project: settings, product lines, what counts as 成交, archive, delete, value maps.

Runs on SQLite and PostgreSQL through the ``store`` fixture.
"""

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from mapping.db.models import GradingSnapshot, ImportBatch, Location, ValueMap, Visitor, VisitorVersion
from mapping.db.models import Project as ProjectRow

LAUNCH = dt.date(2024, 5, 1)
# (stage, deal as imported, 意向业态, 成交业态)
VISITORS = [
    ("来访", False, "公寓", ""),
    ("认筹", False, "洋房", ""),
    ("认购", True, "公寓", "公寓"),
    ("签约", True, "洋房", "公寓"),
    ("退房", True, "公寓", "公寓"),
    ("", True, "别墅", "别墅"),   # no stage: keeps its 成交 as imported
    ("", False, "公寓", ""),
]


def _project(store, name="测试项目", lines=("公寓", "洋房", "别墅")):
    return store.create_project(name, "310000", LAUNCH, list(lines))


def _add_visitors(store, project_id, rows=VISITORS):
    """Visitors with one home location each, one import with a kept version, a snapshot and a value map."""
    with store.engine.begin() as conn:
        batch = conn.execute(insert(ImportBatch).values(
            project_id=project_id, filename="v.csv", file_sha256="sha", inserted=len(rows),
        ).returning(ImportBatch.id)).scalar_one()
        conn.execute(insert(Visitor), [
            {"project_id": project_id, "visitor_key": f"k{i}", "row_hash": "h", "import_id": batch,
             "visit_date": dt.date(2024, 3, 1), "stage": stage, "deal": deal, "product_line": line,
             "deal_product_line": deal_line}
            for i, (stage, deal, line, deal_line) in enumerate(rows)])
        ids = conn.execute(select(Visitor.id).where(Visitor.project_id == project_id)).scalars().all()
        conn.execute(insert(Location), [{"visitor_id": vid, "dimension": "home", "adcode": "310115"} for vid in ids])
        conn.execute(insert(VisitorVersion).values(import_id=batch, visitor_key="k0", previous=None))
        conn.execute(insert(GradingSnapshot).values(project_id=project_id, name="计划", layer_id="districts",
                                                    dimension="home", payload="{}"))
    store.put_value_maps(project_id, "product_line", {"叠墅": "洋房"})


def _deals(store, project_id) -> dict[str, bool]:
    visitors = store.visitors(project_id)
    return dict(zip(visitors["visitor_key"], visitors["deal"].astype(bool)))


def _count(store, model, *where) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


# ------------------------------------------------------------------ create and update
def test_create_project_cleans_lines_and_allows_no_launch_date(store):
    pid = store.create_project(" 新项目 ", "310000", None, ["公寓", " 洋房 ", "公寓", "", "自定义业态"])
    project = store.project(pid)
    assert project.name == "新项目" and project.launch_date is None
    assert project.product_lines == ("公寓", "洋房", "自定义业态")
    assert (project.archived, project.min_count, project.deal_stage) == (False, 5, "认购")


@pytest.mark.parametrize("city", ["", "3100", "上海", "31000a"])
def test_create_project_refuses_a_bad_city_code(store, city):
    with pytest.raises(ValueError, match="城市代码应为 6 位数字"):
        store.create_project("新项目", city, None, [])


def test_update_project_changes_only_what_is_given(store):
    pid = _project(store)
    store.update_project(pid, name="改名项目", city_adcode="320500", launch_date=dt.date(2024, 9, 1),
                         product_lines=["公寓", "车位"], area_layer="districts_bankuai", min_count=8,
                         stages=["签约", "来访", "认购"])
    project = store.project(pid)
    assert (project.name, project.city_adcode, project.launch_date) == ("改名项目", "320500", dt.date(2024, 9, 1))
    assert project.product_lines == ("公寓", "车位")
    assert (project.area_layer, project.min_count) == ("districts_bankuai", 8)
    assert project.stages == ("来访", "认购", "签约")  # in the order a visitor goes through them
    store.update_project(pid, min_count=3)
    assert store.project(pid).launch_date == dt.date(2024, 9, 1)  # left out: kept
    store.update_project(pid, launch_date=None)
    assert store.project(pid).launch_date is None  # None: cleared


def test_update_project_refuses_a_name_another_project_has(store):
    pid = _project(store)
    _project(store, name="别的项目")
    with pytest.raises(ValueError, match="已有同名项目「别的项目」"):
        store.update_project(pid, name="别的项目")
    store.update_project(pid, name="测试项目")  # its own name is fine
    assert store.project(pid).name == "测试项目"


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": "  "}, "项目名称不能为空"),
    ({"min_count": 0}, "最少人数 k 应为 1–100 的整数"),
    ({"min_count": 101}, "最少人数 k 应为 1–100 的整数"),
    ({"min_count": 5.5}, "最少人数 k 应为 1–100 的整数"),
    ({"area_layer": "h3:8"}, "默认分级单元应为"),
    ({"product_lines": ["公寓,洋房"]}, "业态名称不能含逗号"),
    ({"product_lines": ["长" * 33]}, "业态名称最多 32 个字"),
    ({"stages": ["来访", "草签"]}, "不认识的销售阶段：草签"),
    ({"stages": []}, "请至少选择一个销售阶段"),
    ({"stages": ["来访", "签约"]}, "销售阶段必须包含现在算作成交的「认购」"),
    ({"launch_date": "2024-05-01"}, "开盘日期应为日期"),
])
def test_update_project_refuses_bad_settings_in_chinese(store, changes, message):
    pid = _project(store)
    before = store.project(pid)
    with pytest.raises(ValueError, match=message):
        store.update_project(pid, **changes)
    assert store.project(pid) == before


def test_unknown_project_is_refused(store):
    for call in (lambda: store.update_project(999, name="x"), lambda: store.archive_project(999),
                 lambda: store.delete_project(999), lambda: store.set_deal_stage(999, "签约"),
                 lambda: store.rename_product_line(999, "公寓", "平层"),
                 lambda: store.put_value_maps(999, "product_line", {"a": "b"})):
        with pytest.raises(ValueError, match="没有编号为 999 的项目"):
            call()


def test_settings_that_change_counts_change_the_data_version(store):
    pid = _project(store)
    version = store.data_version(pid)
    store.update_project(pid, name="新名字", launch_date=None, area_layer="pudong_bankuai")
    assert store.data_version(pid) == version  # nothing cached changes: no needless rebuild
    for changes in ({"min_count": 7}, {"product_lines": ["公寓"]}):
        store.update_project(pid, **changes)
        assert store.data_version(pid) != version
        version = store.data_version(pid)
    store.update_project(pid, min_count=7, product_lines=["公寓"])  # the same again
    assert store.data_version(pid) == version


def test_saving_or_removing_an_alias_of_the_city_changes_the_data_version(store):
    """A saved alias re-resolves every project of its city: their cached pages must rebuild."""
    pid = _project(store)
    version = store.data_version(pid)
    store.put_alias("310000", "金桥那边", "310115")
    assert store.data_version(pid) != version
    version = store.data_version(pid)
    store.put_alias("310000", "金桥那边", "310115")  # saved again (replaced): still a change
    assert store.data_version(pid) != version
    version = store.data_version(pid)
    store.put_alias("440100", "天河那边", "440106")  # another city's alias: no needless rebuild
    assert store.data_version(pid) == version
    assert store.delete_alias("310000", "金桥那边") == 1
    assert store.data_version(pid) != version


# ------------------------------------------------------------------ product lines
def test_rename_product_line_updates_visitors_deals_and_value_maps(store):
    pid = _project(store)
    other = _project(store, name="别的项目")
    _add_visitors(store, pid)
    _add_visitors(store, other)
    store.put_value_maps(pid, "deal_product_line", {"LOFT": "公寓"})
    version = store.data_version(pid)
    changed = store.rename_product_line(pid, "公寓", "平层")
    assert changed == 5  # 意向 or 成交 公寓: rows 0, 2, 3, 4, 6
    assert store.project(pid).product_lines == ("平层", "洋房", "别墅")  # same place in the list
    visitors = store.visitors(pid)
    assert "公寓" not in set(visitors["product_line"]) | set(visitors["deal_product_line"])
    assert visitors["product_line"].tolist() == ["平层", "洋房", "平层", "洋房", "平层", "别墅", "平层"]
    assert store.value_maps(pid)["deal_product_line"] == {"LOFT": "平层"}
    assert store.data_version(pid) != version
    assert "公寓" in set(store.visitors(other)["product_line"])  # other projects untouched
    assert store.rename_product_line(pid, "平层", "平层") == 0


def test_rename_product_line_refuses_unknown_taken_and_empty_names(store):
    pid = _project(store)
    with pytest.raises(ValueError, match="项目没有业态「商铺」"):
        store.rename_product_line(pid, "商铺", "底商")
    with pytest.raises(ValueError, match="项目已有业态「洋房」"):
        store.rename_product_line(pid, "公寓", "洋房")
    with pytest.raises(ValueError, match="请填写「公寓」的新名称"):
        store.rename_product_line(pid, "公寓", "  ")


def test_retiring_a_product_line_keeps_its_visitors(store):
    pid = _project(store)
    _add_visitors(store, pid)
    store.update_project(pid, product_lines=["公寓", "洋房"])
    assert store.project(pid).product_lines == ("公寓", "洋房")
    assert "别墅" in set(store.visitors(pid)["product_line"])


# ------------------------------------------------------------------ what counts as 成交
def test_set_deal_stage_recomputes_deals_from_stages(store):
    pid = _project(store)
    _add_visitors(store, pid)
    version = store.data_version(pid)
    # as imported; 退房 wrongly marked as a deal and the empty-stage rows as they came
    changed = store.set_deal_stage(pid, "签约")
    assert changed == 2  # 认购 no longer counts; 退房 never did
    assert _deals(store, pid) == {"k0": False, "k1": False, "k2": False, "k3": True, "k4": False,
                                  "k5": True, "k6": False}
    assert store.project(pid).deal_stage == "签约"
    assert store.data_version(pid) != version
    assert store.set_deal_stage(pid, "认购") == 1  # 认购 counts again
    assert [k for k, deal in _deals(store, pid).items() if deal] == ["k2", "k3", "k5"]
    assert store.set_deal_stage(pid, "认购") == 0


def test_set_deal_stage_refuses_other_stages(store):
    pid = _project(store)
    with pytest.raises(ValueError, match="成交口径只能是 认购 或 签约"):
        store.set_deal_stage(pid, "来访")
    store.update_project(pid, stages=["来访", "认购"])
    with pytest.raises(ValueError, match="「签约」不在本项目使用的销售阶段"):
        store.set_deal_stage(pid, "签约")


# ------------------------------------------------------------------ archive and delete
def test_archive_hides_and_keeps_the_data(store):
    pid = _project(store)
    _add_visitors(store, pid)
    store.archive_project(pid)
    assert store.projects().set_index("id").loc[pid, "archived"]
    assert store.project(pid).archived and len(store.visitors(pid)) == len(VISITORS)
    store.archive_project(pid, archived=False)
    assert not store.project(pid).archived


def test_delete_project_removes_everything_of_it_and_nothing_else(store):
    pid = _project(store)
    other = _project(store, name="别的项目")
    _add_visitors(store, pid)
    _add_visitors(store, other)
    store.delete_project(pid)
    assert store.projects()["id"].tolist() == [other]
    with pytest.raises(KeyError):
        store.project(pid)
    assert _count(store, Visitor, Visitor.project_id == pid) == 0
    assert _count(store, ImportBatch, ImportBatch.project_id == pid) == 0
    assert _count(store, GradingSnapshot, GradingSnapshot.project_id == pid) == 0
    assert _count(store, ValueMap, ValueMap.project_id == pid) == 0
    assert _count(store, Location) == len(VISITORS) and _count(store, VisitorVersion) == 1  # the other's
    assert len(store.visitors(other)) == len(VISITORS) and store.value_maps(other)
    assert _count(store, ProjectRow) == 1


# ------------------------------------------------------------------ value maps
def test_value_maps_round_trip_replace_and_delete(store):
    pid = _project(store)
    other = _project(store, name="别的项目")
    store.put_value_maps(pid, "product_line", {"叠墅": "洋房", "loft": "公寓"})
    store.put_value_maps(pid, "channel", {"朋友介绍": "老带新"})
    store.put_value_maps(pid, "product_line", {"叠墅": "别墅"})  # replaces one, keeps the other
    assert store.value_maps(pid) == {"channel": {"朋友介绍": "老带新"},
                                     "product_line": {"叠墅": "别墅", "loft": "公寓"}}
    rows = store.value_map_rows(pid)
    assert list(rows.columns) == ["field", "raw", "target"]
    assert rows.values.tolist() == [["channel", "朋友介绍", "老带新"], ["product_line", "loft", "公寓"],
                                    ["product_line", "叠墅", "别墅"]]
    assert store.value_maps(other) == {} and store.value_map_rows(other).empty
    store.delete_value_map(pid, "product_line", "叠墅")
    store.delete_value_map(pid, "product_line", "不存在")  # nothing to forget: no error
    assert store.value_maps(pid) == {"channel": {"朋友介绍": "老带新"}, "product_line": {"loft": "公寓"}}


@pytest.mark.parametrize(("field", "mapping", "message"), [
    ("", {"a": "b"}, "值映射的字段应为 1–32 个字符"),
    ("product_line", {"  ": "公寓"}, "值映射的原值应为 1–200 个字符"),
    ("product_line", {"叠墅": "长" * 65}, "的对应值最多 64 个字"),
])
def test_bad_value_maps_are_refused(store, field, mapping, message):
    pid = _project(store)
    with pytest.raises(ValueError, match=message):
        store.put_value_maps(pid, field, mapping)
    assert store.value_maps(pid) == {}
