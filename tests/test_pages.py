"""AppTest for every page: each renders without an exception and its key flow works."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
TIMEOUT = 120


@pytest.fixture(autouse=True)
def fresh_database(tmp_path, monkeypatch):
    monkeypatch.setenv("TUOKE_DB_PATH", str(tmp_path / "app.sqlite3"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


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
    report = at.dataframe[1].value
    assert {"行号", "列", "原值", "处理", "原因"} <= set(report.columns)
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    assert any("导入完成" in s.value for s in at.success)


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
    at.file_uploader(key="layer_upload").set_value(("mine.geojson", path.read_bytes(), "application/json")).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="layer_name_col").value == "板块名"
    at.button(key="use_layer").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="layer").value.startswith("custom:")
    table = at.dataframe[0].value
    assert sorted(table["区域"]) == ["东块", "西块"]
    assert table["到访"].sum() > 0


def test_map_page_reports_a_broken_layer_file():
    at = _app("views/customer_map.py")
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
