"""AppTest of the battle map's first load (issue 13): the 筛选 and 分级设置 sections draw their widgets only
while open, and their values are kept while closed, so the map, the exports and saved plans see the same
filters and settings either way."""

import io

import pytest
from openpyxl import load_workbook

from mapping.db.store import Store
from ui import battle_controls as BC
from tests.test_pages import _battle, _eager_downloads

FILTER_WIDGETS = {"bm_period", "bm_channels", "bm_intentions", "bm_seg_key"}
SETTING_WIDGETS = {"bm_w_visits", "bm_w_high", "bm_w_deals", "bm_scheme", "bm_min_count"}


@pytest.fixture(autouse=True)
def _fresh(sample_app_database):
    """Every test starts on its own SQLite file with empty Streamlit caches (as tests/test_pages.py)."""


def _widget_keys(at) -> set[str]:
    return {w.key for kind in (at.radio, at.multiselect, at.selectbox, at.number_input) for w in kind}


def _table(at):
    return next(d.value for d in at.dataframe if "等级" in d.value.columns and "区域" in d.value.columns)


def _fitted(at) -> str:
    return next(c.value for c in at.caption if "分级区间拟合于" in c.value)


def _open(at, *sections: str, value: bool = True):
    for key in sections:
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_first_load_draws_neither_section_and_grades_as_with_them_open():
    at = _battle()
    assert not (FILTER_WIDGETS | SETTING_WIDGETS) & _widget_keys(at)
    closed = _table(at)
    _open(at, "bm_filters_open", "bm_settings_open")
    assert (FILTER_WIDGETS | SETTING_WIDGETS) <= _widget_keys(at)
    assert at.radio(key="bm_period").value == "all" and at.multiselect(key="bm_channels").value == []
    assert at.number_input(key="bm_w_deals").value == 5.0 and at.radio(key="bm_scheme").value == BC.DEFAULT_SCHEME == "fisher_jenks"
    assert _table(at).equals(closed)


def test_a_filter_is_kept_while_its_section_is_closed():
    at = _open(_battle(), "bm_filters_open")
    total = _table(at)["到访"].dropna().sum()
    channel = at.multiselect(key="bm_channels").options[0]
    at.multiselect(key="bm_channels").set_value([channel]).run()
    at.multiselect(key="bm_intentions").set_value(["A"]).run()
    filtered = _table(at)
    assert filtered["到访"].dropna().sum() < total
    _open(at, "bm_filters_open", value=False)
    assert "bm_channels" not in _widget_keys(at)
    assert _table(at).equals(filtered)  # the map's counts still filtered
    at.button(key="bm_refit_btn").click().run()
    at.run()
    assert f"渠道：{channel}" in _fitted(at) and "意向：A" in _fitted(at)  # refitted under the kept filters
    _open(at, "bm_filters_open")
    assert at.multiselect(key="bm_channels").value == [channel]  # the widget starts from the kept value
    assert at.multiselect(key="bm_intentions").value == ["A"]


def test_a_segment_filter_is_kept_closed_and_dropped_when_it_becomes_the_axis():
    at = _open(_battle(), "bm_filters_open")
    total = _table(at)["到访"].dropna().sum()
    at.selectbox(key="bm_seg_key").set_value("industry").run()
    at.multiselect(key="bm_seg_values").set_value(["金融"]).run()
    narrowed = _table(at)["到访"].dropna().sum()
    assert 0 < narrowed < total
    _open(at, "bm_filters_open", value=False)
    assert _table(at)["到访"].dropna().sum() == narrowed
    at.selectbox(key="bm_axis").set_value("industry").run()  # the axis is never a filter too
    assert not at.exception
    at.selectbox(key="bm_axis").set_value("").run()
    assert _table(at)["到访"].dropna().sum() == total
    _open(at, "bm_filters_open")
    assert at.selectbox(key="bm_seg_key").value == ""


def test_settings_are_kept_closed_and_reach_the_saved_plan():
    at = _open(_battle(), "bm_settings_open")
    at.number_input(key="bm_w_deals").set_value(9.0).run()
    at.radio(key="bm_scheme").set_value("manual").run()
    at.number_input(key="bm_t_a").set_value(500.0).run()
    opened = _table(at)
    _open(at, "bm_settings_open", value=False)
    assert "bm_t_a" not in _widget_keys(at)
    assert _table(at).equals(opened)
    at.text_input(key="bm_snap_name").set_value("设置收起后保存")
    at.button[[b.label for b in at.button].index("保存当前分级为计划")].click().run()
    assert not at.exception and not at.error
    store = Store()
    plans = store.snapshots(int(store.projects()["id"].iloc[0]))
    settings = store.snapshot(int(plans["id"].max()))["payload"]["settings"]
    assert settings["weights"]["deals"] == 9.0 and settings["scheme"] == "manual"
    assert settings["manual"][0] == 500.0
    _open(at, "bm_settings_open")
    assert at.number_input(key="bm_w_deals").value == 9.0 and at.number_input(key="bm_t_a").value == 500.0


def test_composite_weights_apply_only_to_the_composite_dimension():
    at = _open(_battle(), "bm_settings_open")
    at.selectbox(key="bm_dimension").set_value("composite").run()
    at.number_input(key="bm_w_home").set_value(2.0).run()
    composite = _table(at)
    at.selectbox(key="bm_dimension").set_value("home").run()
    home_open = _table(at)
    _open(at, "bm_settings_open", value=False)
    assert _table(at).equals(home_open)
    at.selectbox(key="bm_dimension").set_value("composite").run()
    assert _table(at).equals(composite)  # the kept composite weight, section closed


def test_the_export_describes_the_kept_filter(monkeypatch):
    made = _eager_downloads(monkeypatch)
    at = _open(_battle(), "bm_filters_open")
    at.multiselect(key="bm_intentions").set_value(["A"]).run()
    at.button(key="bm_refit_btn").click().run()
    _open(at, "bm_filters_open", value=False)
    book = load_workbook(io.BytesIO(made["bm_dl_xlsx"]))
    text = " ".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    assert "意向：A" in text


def test_the_opportunity_table_is_drawn_only_while_its_section_is_open():
    at = _open(_battle(), "bm_settings_open")
    at.radio(key="bm_scheme").set_value("manual").run()
    for key, value in (("bm_t_c", 1.0), ("bm_t_b", 2.0), ("bm_t_a", 3.0)):  # nearly every area an A
        at.number_input(key=key).set_value(value).run()
    assert not at.exception and not at.error
    assert any("**机会战场**" in m.value for m in at.markdown)  # against the sample's approved plan
    assert not any("得分" in d.value.columns and "计划等级" in d.value.columns for d in at.dataframe)
    _open(at, "bm_opp_open")
    table = next(d.value for d in at.dataframe if "得分" in d.value.columns and "计划等级" in d.value.columns)
    assert len(table) and set(table["现在等级"]) == {"A"} and not set(table["计划等级"]) & {"A", "B"}
