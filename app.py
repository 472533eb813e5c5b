"""拓客图 entry point: page setup and navigation.  Run with `scripts/run`."""

import streamlit as st

from ui import i18n

st.set_page_config(page_title="拓客图", page_icon="static/favicon.png", layout="wide")
i18n.apply()  # Streamlit's own texts (file uploader, input hints) in Chinese

PAGES = [
    st.Page("views/home.py", title="首页", icon=":material/home:", url_path="home", default=True),
    st.Page("views/data_import.py", title="导入数据", icon=":material/upload_file:", url_path="import"),
    st.Page("views/project_settings.py", title="项目设置", icon=":material/settings:", url_path="settings"),
    st.Page("views/battle_map.py", title="拓客作战地图", icon=":material/flag:", url_path="battle"),
    st.Page("views/visits_deals.py", title="到访成交对比", icon=":material/compare_arrows:", url_path="conversion"),
    st.Page("views/launch_compare.py", title="开盘前后对比", icon=":material/event:", url_path="launch"),
    st.Page("views/customer_map.py", title="客户地图", icon=":material/map:", url_path="map"),
    st.Page("views/review.py", title="位置复核", icon=":material/fact_check:", url_path="review"),
]
st.navigation(PAGES).run()
