"""AppTest for every page: each renders without an exception and its key flow works."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
TIMEOUT = 120


@pytest.fixture(autouse=True)
def _fresh(sample_app_database):
    """Every page test starts on its own SQLite file with empty Streamlit caches."""


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(at)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def _eager_downloads(monkeypatch) -> dict:
    """Downloads are made on click (deferred), so AppTest would not run them: make them as the
    buttons are drawn.  Returns {button key: bytes}, filled as pages run."""
    from streamlit.delta_generator import DeltaGenerator

    made, original = {}, DeltaGenerator.download_button

    def eager(self, label, data, *args, **kwargs):
        if callable(data):
            made[kwargs.get("key")] = data()
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", eager)
    monkeypatch.setattr(st, "download_button", lambda *args, **kwargs: eager(st._main, *args, **kwargs))
    return made


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption] + [str(m.value) for m in at.info]
    parts += [e.value for e in at.error] + [s.value for s in at.success] + [w.value for w in at.warning]
    parts += [f"{m.label}={m.value}" for m in at.metric]
    return "\n".join(parts)


def test_home_shows_sample_project():
    at = _app()
    assert not at.exception
    assert at.title[0].value.startswith("拓客图")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["到访客户"] == "5,000"
    assert {"居住", "工作", "生活娱乐"} <= set(metrics)
    assert at.sidebar.selectbox(key="project_picker").value == 1


def test_map_page_renders_with_every_option():
    at = _app("views/customer_map.py")
    assert not at.exception, at.exception
    for layer in ("districts", "districts_bankuai", "pudong_bankuai"):
        at.selectbox(key="layer").set_value(layer).run()
        assert not at.exception, at.exception
    at.selectbox(key="dimension").set_value("work").run()
    at.selectbox(key="product_line").set_value("公寓").run()
    at.selectbox(key="basemap").set_value("gaode").run()
    assert not at.exception, at.exception
    assert "未识别" in _text(at)
    table = at.dataframe[0].value
    assert {"区域", "到访", "成交", "成交率"} <= set(table.columns)


def test_map_table_shows_jinqiao_first_for_home():
    at = _app("views/customer_map.py")
    at.selectbox(key="layer").set_value("districts_bankuai").run()
    table = at.dataframe[0].value
    assert table.iloc[0]["区域"] == "金桥"


def test_import_page_upload_report_and_commit():
    at = _app("views/data_import.py")
    assert not at.exception
    data = (SAMPLES / "visitors_bad_rows.csv").read_bytes()
    at.file_uploader(key="upload").set_value(("bad.csv", data, "text/csv")).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["已拒绝"].replace(",", "")) > 0
    summary, report = at.dataframe[1].value, at.dataframe[2].value
    assert {"原因", "类别", "行数", "示例行", "怎么办"} <= set(summary.columns)
    assert summary.iloc[0]["类别"] == "拒绝"  # rejections first
    assert {"行号", "列", "原值", "处理", "原因"} <= set(report.columns)
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    assert any("导入完成" in s.value for s in at.success)
    # the import page read the new data once for everyone: its snapshot is on disk for the next process
    from mapping import snapshots
    from mapping.db.store import Store

    snapshots.wait()
    store = Store()
    pid = int(at.session_state["project_id"])
    folder, version = snapshots.directory(store), store.data_version(pid)
    for name in ("fact_columns", "location_groups"):
        path = folder / f"{snapshots._prefix(store, pid, name)}{snapshots._digest(store, pid, version)}{snapshots.SUFFIX}"
        assert path.exists(), name
    store.engine.dispose()


def test_import_page_shows_clear_error_for_empty_file():
    at = _app("views/data_import.py")
    at.file_uploader(key="upload").set_value(("empty.csv", b"", "text/csv")).run()
    assert not at.exception
    assert any("是空的" in e.value for e in at.error)


def test_import_page_mapping_can_be_changed():
    at = _app("views/data_import.py")
    data = (SAMPLES / "visitors_sample_utf8bom.csv").read_bytes()
    at.file_uploader(key="upload").set_value(("s.csv", data, "text/csv")).run()
    at.selectbox(key="map_visit_date").set_value("（不导入）").run()
    assert not at.exception
    assert any("缺少必需的列：到访日期" in e.value for e in at.error)


def test_map_page_accepts_an_uploaded_layer(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    layer = gpd.GeoDataFrame({"板块名": ["东块", "西块"]},
                             geometry=[box(121.5, 31.1, 121.7, 31.3), box(121.3, 31.1, 121.5, 31.3)], crs=4326)
    path = tmp_path / "mine.geojson"
    layer.to_file(path, driver="GeoJSON")
    at = _app("views/customer_map.py")
    at.session_state["layer_upload_open"] = True  # the uploader is drawn only while its section is open
    at.run()
    at.file_uploader(key="layer_upload").set_value(("mine.geojson", path.read_bytes(), "application/json")).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="layer_name_col").value == "板块名"
    at.button(key="layer_use").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="layer").value.startswith("custom:")
    table = at.dataframe[0].value
    assert sorted(table["区域"]) == ["东块", "西块"]
    assert table["到访"].sum() > 0


def test_map_page_reports_a_broken_layer_file():
    at = _app("views/customer_map.py")
    at.session_state["layer_upload_open"] = True  # the uploader is drawn only while its section is open
    at.run()
    at.file_uploader(key="layer_upload").set_value(("nocrs.kml", b"<kml></kml>", "application/xml")).run()
    assert not at.exception
    assert at.error, "a broken layer file must produce a Chinese error message"


def test_review_page_saves_an_alias_and_the_queue_shrinks():
    at = _app("views/review.py")
    assert not at.exception, at.exception
    assert at.selectbox(key="review_pick").options, "the sample project has strings to review"
    before = len(at.dataframe[-1].value)
    first = at.selectbox(key="review_pick").options[0]
    at.selectbox(key="review_district").set_value("310115").run()
    at.button(key="review_save").click().run()
    assert not at.exception, at.exception
    assert any("重新识别" in s.value for s in at.success)
    after = len(at.dataframe[-1].value)
    assert after == before - 1
    assert first not in at.selectbox(key="review_pick").options


# ------------------------------------------------------------------ 拓客作战地图
def _battle() -> AppTest:
    at = _app("views/battle_map.py")
    assert not at.exception, at.exception
    return at


def _grades(at: AppTest) -> dict:
    table = next(d.value for d in at.dataframe if "等级" in d.value.columns and "区域" in d.value.columns)
    return dict(zip(table["区域"], table["等级"]))


def test_battle_map_grades_the_sample_and_changes_with_the_product_line():
    at = _battle()
    grades = _grades(at)
    assert grades["金桥"] == "A"
    assert set(grades.values()) <= {"A", "B", "C", "D", "样本不足"}
    text = _text(at)
    assert "分级区间拟合于" in text and "未落图" in text
    at.session_state["bm_line"] = "别墅"
    at.run()
    assert not at.exception
    villas = _grades(at)
    assert villas != grades
    assert "样本不足" in villas.values()  # small villa areas are withheld, not graded
    table = next(d.value for d in at.dataframe if "等级" in d.value.columns and "区域" in d.value.columns)
    assert table.loc[table["等级"] == "样本不足", "到访"].isna().all()


def test_battle_map_every_dimension_unit_and_basemap_renders():
    at = _battle()
    at.session_state["bm_settings_open"] = True  # its widgets are drawn only while the section is open
    for dim in ("work", "leisure", "composite"):
        at.selectbox(key="bm_dimension").set_value(dim).run()
        assert not at.exception and not at.error, (dim, [e.value for e in at.error])
    assert at.number_input(key="bm_w_home").value == 0.5  # composite shows the dimension weights
    for layer in ("districts", "h3:8", "h3:7"):
        at.selectbox(key="bm_layer").set_value(layer).run()
        assert not at.exception and not at.error, (layer, [e.value for e in at.error])
    for basemap in ("gaode", "osm"):
        at.selectbox(key="bm_basemap").set_value(basemap).run()
        assert not at.exception
    at.pills(key="bm_layers").set_value(["hex", "heat", "points", "sites"]).run()
    assert not at.exception and not at.error


def test_battle_map_refuses_bad_manual_thresholds_in_chinese():
    at = _battle()
    at.session_state["bm_settings_open"] = True
    at.run()
    at.radio(key="bm_scheme").set_value("manual").run()
    assert not at.error
    at.number_input(key="bm_t_a").set_value(10.0).run()
    assert any("A > B > C" in e.value for e in at.error)
    assert not at.exception


def test_battle_map_filters_keep_the_bins():
    at = _battle()
    before = [c.value for c in at.caption if "分级区间拟合于" in c.value][0]
    at.session_state["bm_filters_open"] = True  # its widgets are drawn only while the section is open
    at.run()
    at.multiselect(key="bm_intentions").set_value(["A"]).run()
    after = [c.value for c in at.caption if "分级区间拟合于" in c.value][0]
    assert before.split("）")[0] == after.split("）")[0]  # same run: fitted at the same time, same filters
    grades = _grades(at)
    assert grades["金桥"] != "A"  # fewer visitors under the same thresholds
    at.button(key="bm_refit_btn").click().run()
    at.run()
    assert "意向：A" in [c.value for c in at.caption if "分级区间拟合于" in c.value][0]
    assert _grades(at)["金桥"] == "A"  # refitted on the filtered data


def test_battle_map_saves_a_plan_and_compares_with_it():
    at = _battle()
    at.text_input(key="bm_snap_name").set_value("第一周计划")
    at.button[[b.label for b in at.button].index("保存当前分级为计划")].click().run()
    assert any("已保存计划「第一周计划」" in s.value for s in at.success), [e.value for e in at.error]
    assert at.selectbox(key="bm_snap_pick").value is not None
    at.session_state["bm_filters_open"] = True
    at.run()
    at.multiselect(key="bm_channels").set_value([at.multiselect(key="bm_channels").options[0]]).run()
    assert not at.exception
    assert any("与计划相比" in c.value for c in at.caption)
    at.text_input(key="bm_snap_name").set_value("第一周计划")
    at.button[[b.label for b in at.button].index("保存当前分级为计划")].click().run()
    assert any("已有名为「第一周计划」" in e.value for e in at.error)


def test_battle_map_grades_an_uploaded_layer(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    layer = gpd.GeoDataFrame({"name": ["东块", "西块", "远郊"]},
                             geometry=[box(121.55, 31.15, 121.75, 31.35), box(121.3, 31.1, 121.55, 31.35),
                                       box(121.0, 30.7, 121.3, 31.0)], crs=4326)
    path = tmp_path / "mine.geojson"
    layer.to_file(path, driver="GeoJSON")
    at = _battle()
    at.session_state["bm_layer_upload_open"] = True  # the uploader is drawn only while its section is open
    at.run()
    at.file_uploader(key="bm_layer_upload").set_value(("mine.geojson", path.read_bytes(), "application/json")).run()
    at.button(key="bm_layer_use").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="bm_layer").value.startswith("custom:")
    grades = _grades(at)
    assert grades["东块"] == "A"  # 金桥 and most of the sample's Pudong visitors
    assert set(grades) <= {"东块", "西块", "远郊"}


# ------------------------------------------------------------------ 到访成交对比
def _conversion_table(at: AppTest):
    return next(d.value for d in at.dataframe if "象限" in d.value.columns)


def test_visits_deals_page_finds_jinqiao_high_visits_low_deals():
    at = _app("views/visits_deals.py")
    assert not at.exception, at.exception
    table = _conversion_table(at).set_index("区域")
    assert table.loc["金桥", "象限"] == "高访低成"
    assert table.loc["金桥", "建议"] == "高访低成：仅推公寓"
    assert table["收缩后成交率"].max() < table["原始成交率"].max()  # small areas pulled toward the average
    assert "收缩强度" in _text(at)


def test_visits_deals_page_every_line_dimension_and_period():
    at = _app("views/visits_deals.py")
    for dim in ("work", "leisure", "home"):
        at.selectbox(key="vd_dimension").set_value(dim).run()
        assert not at.exception and not at.error, dim
    for line in ("公寓", "别墅", ""):
        at.session_state["vd_line"] = line
        at.run()
        assert not at.exception and not at.error, line
    at.selectbox(key="vd_period").set_value("post").run()
    assert not at.exception
    at.selectbox(key="vd_layer").set_value("districts").run()
    assert not at.exception
    table = _conversion_table(at)
    assert table["区域"].str.endswith(("区", "县")).all()
    at.number_input(key="vd_min_count").set_value(100).run()
    table = _conversion_table(at)
    small = table[table["象限"] == "样本不足"]
    assert len(small) and small["到访"].isna().all()  # counts of small areas withheld


def test_visits_deals_page_filters_by_a_customer_segment():
    """A segment filter (issue 15) narrows every area's counts to the chosen values, as on the battle map."""
    at = _app("views/visits_deals.py")
    everyone = _conversion_table(at).set_index("区域")["到访"]
    keys = [o for o in at.selectbox(key="vd_seg_key").options]
    assert "行业" in keys and "面积段" in keys  # the sample fills them
    at.selectbox(key="vd_seg_key").set_value("industry").run()
    at.multiselect(key="vd_seg_values").set_value(["制造业"]).run()
    assert not at.exception and not at.error
    makers = _conversion_table(at).set_index("区域")["到访"]
    assert makers.sum() < everyone.sum()
    common = makers.dropna().index.intersection(everyone.dropna().index)
    assert len(common) and (makers[common] <= everyone[common]).all()
    assert makers.get("金桥", 0) > 0  # 金桥's 制造业 visitors


# ------------------------------------------------------------------ 开盘前后对比
def _launch() -> AppTest:
    at = _app("views/launch_compare.py")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _launch_ok(at: AppTest, what) -> None:
    assert not at.exception, (what, at.exception)
    assert not at.error, (what, [e.value for e in at.error])


def test_launch_page_compares_reservoir_visits_with_post_launch_deals():
    at = _launch()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["蓄水期到访"].endswith(" 人") and metrics["开盘后成交"].endswith(" 人")
    assert metrics["占比减少最多"] == "金桥"  # many reservoir visitors, few buyers
    assert "同一套分级区间" in _text(at)
    table = next(d.value for d in at.dataframe if "变化(百分点)" in d.value.columns).set_index("区域")
    assert table.loc["金桥", "变化(百分点)"] < 0 and table.loc["金桥", "等级"].startswith("A →")
    labels = [b.label for b in at.get("download_button")]
    assert {"Excel 对比表", "HTML 离线双图"} <= set(labels)


def test_launch_page_every_view_line_dimension_and_unit():
    at = _launch()
    for view in ("change", "moves", "dual"):
        at.session_state["lc_view"] = view
        at.run()
        _launch_ok(at, view)
    at.session_state["lc_view"] = "moves"
    at.run()
    matrix = next(d.value for d in at.dataframe if "→ 未分级" in d.value.columns)
    assert list(matrix.columns) == ["→ A", "→ B", "→ C", "→ D", "→ 未分级"] and len(matrix) == 5
    for line in ("公寓", "别墅", ""):
        at.session_state["lc_line"] = line
        at.run()
        _launch_ok(at, line)
    for dim in ("work", "leisure", "home"):
        at.selectbox(key="lc_dimension").set_value(dim).run()
        _launch_ok(at, dim)
    for layer in ("districts", "h3:7"):
        at.selectbox(key="lc_layer").set_value(layer).run()
        _launch_ok(at, layer)
    at.selectbox(key="lc_basemap").set_value("gaode").run()
    at.selectbox(key="lc_scheme").set_value("quantiles").run()
    _launch_ok(at, "gaode + quantiles")
    at.number_input(key="lc_min_count").set_value(50).run()
    _launch_ok(at, "k=50")


def test_launch_page_any_two_periods_and_over_time():
    at = _launch()
    at.session_state["lc_mode"] = "periods"
    at.run()
    _launch_ok(at, "periods")
    at.radio(key="lc_a_measure").set_value("high_intention").run()
    at.radio(key="lc_b_measure").set_value("visits").run()
    _launch_ok(at, "high vs visits")
    assert any(m.label.endswith("高意向") for m in at.metric)
    at.session_state["lc_mode"] = "time"
    at.run()
    _launch_ok(at, "time")
    assert at.select_slider(key="lc_period_M").value.month == 5  # opens on the launch month
    at.radio(key="lc_freq").set_value("W").run()
    _launch_ok(at, "weeks")
    at.selectbox(key="lc_area").select_index(1).run()
    _launch_ok(at, "area")
    assert at.selectbox(key="lc_area").value != "__top__"
    assert "本时段到访" in _text(at)


def test_launch_page_plans_mode_hints_then_compares_two_saved_plans():
    at = _launch()
    at.session_state["lc_mode"] = "plans"
    at.run()
    _launch_ok(at, "plans")
    # the sample comes with its approved 示例拓客计划 (mapping.sample_ops): one plan, not yet two to compare
    assert any("只有 1 个已存计划" in i.value and "拓客作战地图" in i.value for i in at.info)

    import datetime as dt
    from dataclasses import replace

    from mapping import schema as S
    from mapping.analysis import battle as B
    from mapping.analysis import grading as G
    from mapping.analysis.facts import Facts, Filters
    from mapping.db.store import Store
    from mapping.geo import boundaries

    store = Store()
    project = store.project(1)
    facts = Facts.build(store.locations(1))
    layer = boundaries.load_layer(S.LAYER_DISTRICTS_BANKUAI)
    for name, flt in (("开盘前计划", Filters(end=project.launch_date - dt.timedelta(days=1))),
                      ("开盘后计划", Filters(start=project.launch_date))):
        run = B.fit_run(facts, S.LAYER_DISTRICTS_BANKUAI, B.Settings(), flt, project.product_lines, layer)
        tables = {line: B.graded(facts, run, layer[["area_id", "area_name"]], replace(flt, product_line=line or None),
                                 layer) for line in [B.ALL_LINES, *project.product_lines]}
        payload = B.snapshot_payload(run, tables, G.DEFAULT_TARGETS)
        store.save_snapshot(1, name, S.LAYER_DISTRICTS_BANKUAI, S.HOME, payload)
    at.run()
    _launch_ok(at, "two plans")
    assert at.selectbox(key="lc_plan_a").value != at.selectbox(key="lc_plan_b").value
    assert {"升级", "降级", "新战场"} <= {m.label for m in at.metric}
    assert any("→ 未分级" in d.value.columns for d in at.dataframe)
    for view in ("change", "moves"):
        at.session_state["lc_view"] = view
        at.run()
        _launch_ok(at, view)
    at.session_state["lc_line"] = "别墅"
    at.run()
    _launch_ok(at, "villas")
    at.selectbox(key="lc_plan_b").set_value(at.selectbox(key="lc_plan_a").value).run()
    assert any("同一个计划" in i.value for i in at.info)


def test_launch_page_without_a_launch_date_asks_for_a_split_date():
    at = _launch()
    from sqlalchemy import update

    from mapping.db.models import Project
    from mapping.db.store import Store

    store = Store()
    with store.engine.begin() as conn:
        conn.execute(update(Project).where(Project.id == 1).values(launch_date=None))
    at.run()
    _launch_ok(at, "no launch date")
    assert any("没有设置开盘日期" in i.value for i in at.info)
    metrics = {m.label for m in at.metric}
    assert {"分界日前到访", "分界日后成交"} <= metrics
    import datetime as dt

    at.date_input(key="lc_split").set_value(dt.date(2024, 6, 1)).run()
    _launch_ok(at, "split moved")


def test_a_correction_on_the_review_page_reaches_the_battle_map():
    import re

    def unresolved(at):
        caption = next(c.value for c in at.caption if "分级区间拟合于" in c.value)
        return int(re.search(r"未识别 ([\d,]+)", caption).group(1).replace(",", ""))

    at = _battle()
    before = unresolved(at)
    at.switch_page("views/review.py").run()
    at.selectbox(key="review_district").set_value("310115").run()
    at.button(key="review_save").click().run()
    assert any("重新识别" in s.value for s in at.success)
    at.switch_page("views/battle_map.py").run()
    assert not at.exception
    assert unresolved(at) < before  # the cached facts were refreshed, not served stale


def test_battle_map_exports_files_and_keeps_the_sites_when_saved(monkeypatch):
    """The downloads are made on click (deferred), so AppTest would not run them: make them eagerly here."""
    import io

    from openpyxl import load_workbook

    from mapping.db.store import Store

    made = _eager_downloads(monkeypatch)
    at = _battle()
    book = load_workbook(io.BytesIO(made["bm_dl_xlsx"]))
    assert book.sheetnames[:2] == ["说明", "全部业态"] and "别墅" in book.sheetnames
    assert made["bm_dl_html"].lstrip().lower().startswith("<!doctype html")
    store = Store()
    project = store.project(int(store.projects()["id"].iloc[0]))
    assert "bm_sites_crs" not in [r.key for r in at.radio]  # drawn only while its section is open
    at.session_state["bm_sites_open"] = True
    at.run()
    at.radio(key="bm_sites_crs").set_value("BD09").run()
    at.button(key="bm_sites_save").click().run()
    assert not at.exception and not at.error
    saved = store.project(project.id)
    assert abs(saved.site_lng - project.site_lng) < 1e-5 and abs(saved.site_lat - project.site_lat) < 1e-5
    assert [c["name"] for c in saved.competitors] == [c["name"] for c in project.competitors]


def test_battle_map_draws_the_targets_editor_only_when_its_section_is_open():
    from mapping.analysis import grading as G
    from mapping.db.store import Store

    at = _battle()
    key = f"bm_targets_{int(Store().projects()['id'].iloc[0])}"
    assert f"{key}_editor" not in at.session_state
    at.session_state["bm_targets_open"] = True
    at.run()
    assert not at.exception and not at.error and f"{key}_editor" in at.session_state
    assert at.session_state[key].equals(G.DEFAULT_TARGETS)  # the editor starts from, and gives back, the accepted targets


# ------------------------------------------------------------------ projects: create, select, settings, delete
def _settings(at: AppTest | None = None) -> AppTest:
    if at is None:
        return _app("views/project_settings.py")
    at.switch_page("views/project_settings.py").run()
    return at


def _picker_names(at: AppTest) -> list[str]:
    return at.sidebar.selectbox(key="project_picker").options


def _create(at: AppTest, name: str, no_launch: bool = False) -> None:
    at.text_input(key="new_project_name").set_value(name)
    at.checkbox(key="new_project_no_launch").set_value(no_launch)
    at.text_input(key="new_project_more_lines").set_value("叠墅，酒店")
    at.button[[b.label for b in at.button].index("创建项目")].click().run()
    assert not at.exception, at.exception


def test_settings_page_renders_every_section():
    at = _settings()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "项目设置"
    assert any(c.value.startswith("当前项目：金桥湾示范项目（示例）（上海）") for c in at.caption)
    headers = {h.value for h in at.subheader}
    assert {"基本信息", "销售阶段与成交口径", "业态", "项目与竞品位置", "取值对应", "归档与删除"} <= headers
    assert at.button(key="ps_delete").disabled
    from mapping.db.store import Store

    before = Store().project(1)
    at.radio(key="ps_sites_crs_1").set_value("BD09").run()
    at.button(key="ps_sites_save_1").click().run()
    assert any("已保存项目与竞品位置" in s.value for s in at.success), [e.value for e in at.error]
    after = Store().project(1)
    assert after.site == pytest.approx(before.site, abs=1e-5) and len(after.competitors) == len(before.competitors)


def test_creating_a_project_selects_it_and_puts_it_in_the_url():
    at = _app("views/data_import.py")
    _create(at, "新项目甲", no_launch=True)
    assert any("已创建项目「新项目甲」" in s.value for s in at.success)
    from mapping.db.store import Store

    project = Store().project(int(at.query_params["project"]))
    assert project.name == "新项目甲" and project.launch_date is None
    assert project.product_lines == ("公寓", "洋房", "叠墅", "酒店")
    assert at.sidebar.selectbox(key="project_picker").value == project.id
    assert "导入到项目：**新项目甲**" in _text(at)
    at.switch_page("views/home.py").run()  # another page keeps it
    assert at.sidebar.selectbox(key="project_picker").value == project.id
    assert any("当前项目：新项目甲（上海）" in c.value for c in at.caption)
    at = _app("views/data_import.py")
    _create(at, "新项目甲")  # the same name again: refused in Chinese
    assert any("已有同名项目「新项目甲」" in e.value for e in at.error)


def test_a_reload_with_the_project_in_the_url_selects_it():
    at = _app("views/data_import.py")
    _create(at, "新项目乙")
    pid = int(at.query_params["project"])
    reloaded = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)  # a new session: a reload
    sign_in(reloaded)  # (the browser's cookie signs a reload in)
    reloaded.query_params["project"] = str(pid)
    reloaded.run()
    assert not reloaded.exception
    assert reloaded.sidebar.selectbox(key="project_picker").value == pid
    assert reloaded.query_params["project"] == str(pid)
    reloaded.sidebar.selectbox(key="project_picker").set_value(1).run()  # picking another writes the URL
    assert reloaded.query_params["project"] == "1"
    assert reloaded.metric[0].value == "5,000"
    stale = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    sign_in(stale)
    stale.query_params["project"] = "999"
    stale.run()
    assert not stale.exception
    assert stale.sidebar.selectbox(key="project_picker").value == 1
    assert any("编号 999" in w.value for w in stale.sidebar.warning)


def test_settings_change_the_launch_date_and_what_counts_as_a_deal():
    import datetime as dt

    from sqlalchemy import update

    from mapping.db.models import Visitor
    from mapping.db.store import Store

    at = _app()
    deals = int(at.metric[1].value.replace(",", ""))
    store = Store()
    with store.engine.begin() as conn:  # the sample's buyers: half of them only 认购 so far
        conn.execute(update(Visitor).where(Visitor.deal.is_(True), Visitor.id % 2 == 0).values(stage="认购"))
        conn.execute(update(Visitor).where(Visitor.deal.is_(True), Visitor.id % 2 == 1).values(stage="签约"))
    signed = len([1 for v in store.visitors(1).itertuples() if v.stage == "签约"])
    at = _settings(at)
    at.date_input(key="ps_launch_1").set_value(dt.date(2024, 6, 1))
    at.button[[b.label for b in at.button].index("保存基本信息")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("已保存基本信息" in s.value for s in at.success)
    assert store.project(1).launch_date == dt.date(2024, 6, 1)
    at.radio(key="ps_deal_1").set_value("签约")
    at.button[[b.label for b in at.button].index("保存成交口径并重新计算")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(f"{deals - signed:,} 位客户的成交状态随之改变" in s.value for s in at.success)
    at.switch_page("views/home.py").run()
    assert at.metric[1].value == f"{signed:,}"  # the home page counts only 签约 now, not a cached figure
    assert "开盘日期：2024-06-01" in _text(at) and "成交口径：签约及之后" in _text(at)


def test_settings_refuse_bad_input_in_chinese():
    at = _settings()
    at.text_input(key="ps_name_1").set_value("  ")
    at.button[[b.label for b in at.button].index("保存基本信息")].click().run()
    assert not at.exception
    assert any("项目名称不能为空" in e.value for e in at.error)
    at = _settings()
    at.multiselect(key="ps_stages_1").set_value(["来访", "签约"])
    at.button[[b.label for b in at.button].index("保存销售阶段")].click().run()
    assert any("必须包含现在算作成交的「认购」" in e.value for e in at.error)
    at.text_input(key="ps_rename_new_1").set_value("洋房")
    at.button[[b.label for b in at.button].index("改名")].click().run()
    assert any("项目已有业态「洋房」" in e.value for e in at.error)
    assert not at.exception


def test_settings_rename_add_and_retire_product_lines():
    from mapping.db.store import Store

    at = _settings()
    at.selectbox(key="ps_rename_old_1").set_value("公寓")
    at.text_input(key="ps_rename_new_1").set_value("平层")
    at.button[[b.label for b in at.button].index("改名")].click().run()
    assert any("已把业态「公寓」改名为「平层」" in s.value for s in at.success), [e.value for e in at.error]
    store = Store()
    assert store.project(1).product_lines == ("平层", "洋房", "别墅", "商铺")
    assert "公寓" not in set(store.visitors(1)["product_line"])
    at.multiselect(key="ps_retire_pick_1").set_value(["商铺"])
    at.button[[b.label for b in at.button].index("停用")].click().run()
    at.text_input(key="ps_add_text_1").set_value("车位")
    at.button[[b.label for b in at.button].index("添加")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert store.project(1).product_lines == ("平层", "洋房", "别墅", "车位")
    assert "商铺" in set(store.visitors(1)["product_line"])  # retired, data kept


def test_delete_a_project_only_with_its_exact_name():
    from mapping.db.store import Store

    at = _app("views/data_import.py")
    _create(at, "要删的项目")
    pid = int(at.query_params["project"])
    at = _settings(at)
    assert at.sidebar.selectbox(key="project_picker").value == pid
    at.text_input(key=f"ps_delete_name_{pid}").set_value("要删的").run()
    assert at.button(key="ps_delete").disabled
    at.text_input(key=f"ps_delete_name_{pid}").set_value("要删的项目").run()
    assert not at.button(key="ps_delete").disabled
    at.button(key="ps_delete").click().run()
    assert not at.exception, at.exception
    assert any("已删除项目「要删的项目」" in s.value for s in at.success)
    assert Store().projects()["id"].tolist() == [1, 2]  # the two sample projects are left
    assert at.sidebar.selectbox(key="project_picker").value == 1  # another project is selected
    assert at.query_params["project"] == "1"


def test_an_archived_project_leaves_the_picker_and_can_come_back():
    sample, chengdu = "金桥湾示范项目（示例）", "天府示范项目（成都）"
    at = _settings()
    _create(_app("views/data_import.py"), "另一个项目")  # so something is left to pick
    at.run()
    assert _picker_names(at) == [sample, chengdu, "另一个项目"]
    at.sidebar.selectbox(key="project_picker").set_value(1).run()
    at.button(key="ps_archive_1").click().run()
    assert not at.exception and not at.error
    assert any(f"已归档项目「{sample}」" in s.value for s in at.success)
    assert _picker_names(at) == [chengdu, "另一个项目"]
    at.switch_page("views/home.py").run()
    assert _picker_names(at) == [chengdu, "另一个项目"]  # nor on the other pages
    at = _settings(at)
    at.sidebar.checkbox(key="ps_show_archived").check().run()
    assert _picker_names(at) == [f"{sample}（已归档）", chengdu, "另一个项目"]
    at.sidebar.selectbox(key="project_picker").set_value(1).run()
    assert any("已归档" in c.value for c in at.caption)
    at.button(key="ps_unarchive_1").click().run()
    assert not at.exception and not at.error
    at.sidebar.checkbox(key="ps_show_archived").uncheck().run()
    assert _picker_names(at) == [sample, chengdu, "另一个项目"]
    assert at.sidebar.selectbox(key="project_picker").value == 1


def test_settings_value_maps_change_a_target_and_forget_one(monkeypatch):
    """AppTest cannot edit a data_editor: the user's edits come back through a patched st.data_editor."""
    from mapping.db.store import Store

    at = _settings()  # the app makes the database on its first run
    store = Store()
    store.put_value_maps(1, "product_line", {"叠墅": "洋房"})
    store.put_value_maps(1, "stage", {"网签": "签约", "已办卡": "认筹"})
    at.run()
    table = at.data_editor(key="ps_values_1").value
    assert set(table["raw"]) == {"叠墅", "网签", "已办卡"} and "业态（意向/成交）" in set(table["label"])
    edits = {}
    original = st.data_editor

    def edited(data, *args, **kwargs):
        result = original(data, *args, **kwargs)
        for raw, column, value in edits.get(kwargs.get("key"), []):
            result.loc[result["raw"] == raw, column] = value
        return result

    monkeypatch.setattr(st, "data_editor", edited)
    edits["ps_values_1"] = [("网签", "target", "成交")]  # not a stage: refused
    at.button(key="ps_values_save_1").click().run()
    assert any("「网签」→「成交」" in e.value and "没有保存" in e.value for e in at.error)
    assert store.value_maps(1)["stage"]["网签"] == "签约"
    edits["ps_values_1"] = [("叠墅", "target", "别墅"), ("已办卡", "delete", True)]
    at.button(key="ps_values_save_1").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("修改 1 条，删除 1 条" in s.value for s in at.success)
    assert store.value_maps(1) == {"product_line": {"叠墅": "别墅"}, "stage": {"网签": "签约"}}


# ------------------------------------------------------------------ 位置复核: no pre-selection, alias undo; 客户地图: k
def _review() -> AppTest:
    at = _app("views/review.py")
    assert not at.exception, at.exception
    return at


def _queue_texts(at: AppTest) -> list[str]:
    return at.dataframe[-1].value["地名"].tolist()


def test_review_page_chooses_no_district_and_cannot_save_without_one():
    from mapping import corrections
    from mapping.db.store import Store

    at = _review()
    queue = corrections.review_queue(Store(), 1)
    no_suggestion = int(queue.index[queue["candidates"] == ""][0])
    at.selectbox(key="review_pick").set_value(no_suggestion).run()
    assert at.selectbox(key="review_district").value is None  # not 黄浦区, not anything
    save = at.button(key="review_save")
    assert save.disabled and "请先选择区县" in save.label
    with pytest.raises(Exception, match="disabled"):
        save.click()
    suggested = int(queue.index[queue["candidates"] != ""][0])
    at.selectbox(key="review_pick").set_value(suggested).run()
    assert at.selectbox(key="review_district").value is None  # a suggestion is offered first, not chosen
    assert at.button(key="review_save").disabled


def test_review_page_next_item_starts_with_no_district_after_a_save():
    at = _review()
    first = _queue_texts(at)[0]
    at.selectbox(key="review_district").set_value("310115").run()
    assert not at.button(key="review_save").disabled
    assert "→ 浦东新区" in at.button(key="review_save").label
    at.button(key="review_save").click().run()
    assert any("重新识别" in s.value for s in at.success)
    assert first not in _queue_texts(at)
    assert at.selectbox(key="review_district").value is None
    assert at.button(key="review_save").disabled
    at.selectbox(key="review_pick").set_value(1).run()  # moving between items keeps nothing chosen either
    assert at.selectbox(key="review_district").value is None


def test_review_page_undoes_a_saved_alias():
    from mapping.place.placetext import normalise

    at = _review()
    before = _queue_texts(at)
    first = before[0]
    at.selectbox(key="review_district").set_value("310115").run()
    at.button(key="review_save").click().run()
    assert first not in _queue_texts(at)
    assert any(f"「{normalise(first)}」→ 浦东新区" in m.value for m in at.markdown)
    at.button(key=f"review_undo_{normalise(first)}").click().run()
    assert not at.exception, at.exception
    assert any("已撤销" in s.value and "重新识别" in s.value for s in at.success)
    assert sorted(_queue_texts(at)) == sorted(before)  # back in the queue
    assert not any(f"「{normalise(first)}」→" in m.value for m in at.markdown)


def test_customer_map_withholds_counts_under_k_in_table_and_download(monkeypatch):
    from maphtml import features

    made = _eager_downloads(monkeypatch)
    at = _app("views/customer_map.py")
    at.selectbox(key="layer").set_value("districts_bankuai").run()
    at.selectbox(key="product_line").set_value("别墅").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    hidden = table[table["备注"].str.startswith("少于 5 人")]
    assert len(hidden), "the villas have areas with fewer than 5 visitors"
    assert hidden[["到访", "高意向(A/B)", "成交", "成交率"]].isna().all().all()
    shown_rows = table.drop(hidden.index)["到访"]
    assert ((shown_rows == 0) | (shown_rows >= 5)).all()
    props = {f["properties"]["area_name"]: f["properties"] for f in features(made["dl_map"])
             if "visits" in f["properties"]}
    for name in hidden["区域"]:
        if name in props:  # remainder rows have no polygon
            assert props[name]["visits"] == "<5" and props[name]["deals"] == "<5"
    shown = [p["visits"] for p in props.values() if not isinstance(p["visits"], str)]
    assert all(v == 0 or v >= 5 for v in shown)
    assert "少于 5 人的区域为样本不足" in _text(at)


def test_customer_map_counts_district_level_pudong_in_a_remainder_row():
    at = _app("views/customer_map.py")
    at.selectbox(key="layer").set_value("districts_bankuai").run()
    table = at.dataframe[0].value
    caption = next(c.value for c in at.caption if "落到地图上" in c.value)
    if "浦东新区（板块未明）" in set(table["区域"]):
        assert table["区域"].iloc[-1] == "浦东新区（板块未明）"
        assert "板块未明" in caption
    at.selectbox(key="layer").set_value("districts").run()
    assert "浦东新区（板块未明）" not in set(at.dataframe[0].value["区域"])  # districts split nothing


def test_home_reconciles_resolved_and_placed_locations():
    at = _app()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "落到本图区域" in d.value.columns)
    row = table[table["维度"] == "居住"].iloc[0]
    # every district-resolved location is either on the map, in the 板块-unknown remainder or off the layer
    assert row["已识别到区县（首页）"] >= row["落到本图区域"] + row["只到区县（板块未明）"]
    assert row["只到区县（板块未明）"] > 0  # the sample has Pudong locations known only to the district
