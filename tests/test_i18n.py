"""ui/i18n.py: Streamlit's own English texts replaced by CSS, and Chinese dates on charts."""

import altair as alt
import pandas as pd
from streamlit.testing.v1 import AppTest

from ui import i18n


def test_the_uploader_and_input_hints_read_chinese():
    css = i18n.page_css(50)
    assert '[data-testid="stFileUploaderDropzoneInstructions"] span{font-size:0 !important' in css  # English hidden
    for text in ("将文件拖到这里", "单个文件不超过 50MB", "浏览文件", "松开鼠标即可上传", "按回车键确认", "按回车键提交"):
        assert text in css
    # what each uploader accepts, read from its <input accept>
    assert 'input[accept*=".csv"] ~ [data-testid="stFileUploaderDropzoneInstructions"]' in css
    assert "GeoJSON、Shapefile（zip）" in css
    assert "<" not in css  # nothing that could close the <style> element


def test_css_strings_are_quoted():
    assert i18n._css_string('a"b\\c') == '"a\\"b\\\\c"'


def test_apply_adds_one_style_element_that_takes_no_room():
    at = AppTest.from_string("from ui import i18n\ni18n.apply()\n").run()
    assert not at.exception
    html = [e for e in at.get("html")]
    assert len(html) == 1 and "单个文件不超过 50MB" in html[0].proto.body  # .streamlit/config.toml maxUploadSize


def test_chart_dates_in_chinese():
    assert i18n.date_axis("W").to_dict()["format"] == "%m月%d日"
    assert i18n.date_axis("M").to_dict()["format"] == "%Y年%m月"
    data = pd.DataFrame({"period": pd.to_datetime(["2024-01-07", "2024-01-14"]), "n": [1, 2]})
    chart = i18n.chinese(alt.Chart(data).mark_line().encode(x=alt.X("period:T", axis=i18n.date_axis("W")), y="n:Q"))
    spec = chart.to_dict()
    assert spec["config"]["locale"]["time"]["shortMonths"][0] == "1月"
    assert spec["encoding"]["x"]["axis"]["format"] == "%m月%d日"
