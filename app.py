"""拓客图 entry point: page setup, sign-in and navigation.  Run with `scripts/run`."""

from pathlib import Path

import streamlit as st

from mapping.access.roles import can_open
from mapping.ingest.keys import PiiKeyError
from ui import auth, i18n
from ui.common import get_store

ROOT = Path(__file__).resolve().parent

st.set_page_config(page_title="拓客图", page_icon="static/favicon.png", layout="wide")
i18n.apply()  # Streamlit's own texts (file uploader, input hints) in Chinese

# (file, title, icon, url_path): the first is the default page; the menu groups them in sections
SECTIONS = {
    "": [
        ("views/home.py", "首页", ":material/home:", "home"),
        ("views/data_import.py", "导入数据", ":material/upload_file:", "import"),
        ("views/project_settings.py", "项目设置", ":material/settings:", "settings"),
    ],
    "地图": [
        ("views/battle_map.py", "拓客作战地图", ":material/flag:", "battle"),
        ("views/visits_deals.py", "到访成交对比", ":material/compare_arrows:", "conversion"),
        ("views/launch_compare.py", "开盘前后对比", ":material/event:", "launch"),
        ("views/customer_map.py", "客户地图", ":material/map:", "map"),
        ("views/segments.py", "客群细分", ":material/diversity_3:", "segments"),
        ("views/review.py", "位置复核", ":material/fact_check:", "review"),
    ],
    "拓客运营": [
        ("views/teams.py", "团队与片区", ":material/groups:", "teams"),
        ("views/costs.py", "费用与费效", ":material/payments:", "costs"),
        ("views/pipeline.py", "蓄客目标", ":material/trending_up:", "pipeline"),
        ("views/weekly.py", "周复盘", ":material/event_note:", "weekly"),
        ("views/prospects.py", "跨项目潜客", ":material/person_search:", "prospects"),
    ],
    "管理": [
        ("views/admin.py", "用户与审计", ":material/manage_accounts:", "admin"),
    ],
}
PAGES = [page for section in SECTIONS.values() for page in section]


def _page(file: str, title: str, icon: str, path: str, role: str | None) -> st.Page:
    return st.Page(file, title=title, icon=icon, url_path="start" if path == "home" else path, default=path == "home",
                   visibility="visible" if role and can_open(role, path) else "hidden")


def pages(role: str | None) -> dict[str, list[st.Page]]:
    """Every page by menu section (a direct link to one the role may not open shows the refusal, not "page
    not found"); the menu lists only those ``role`` may open.  A section with none of those keeps its pages
    in the first section, hidden, so no empty heading shows.  Sections, not one long list: with fifteen
    pages Streamlit folds a flat menu after ten under 「View 5 more」."""
    out: dict[str, list[st.Page]] = {}
    for name, section in SECTIONS.items():
        found = [_page(*page, role) for page in section if (ROOT / page[0]).exists()]
        visible = any(p.visibility == "visible" for p in found)
        out.setdefault(name if visible or not name else "", []).extend(found)
    out[""].append(st.Page(_to_home, title="首页", url_path="home", visibility="hidden"))
    return out


def _to_home() -> None:
    """A bookmarked ``/home`` (the menu's 首页 is the app's root: Streamlit serves the default page there and
    answers its own path with "Page not found"): this hidden page sends the browser to it, project kept."""
    st.switch_page(ROOT / "views" / "home.py", query_params=st.query_params.to_dict())


try:
    store = get_store()
except (ValueError, PiiKeyError) as exc:  # a setting that stops the start (a weak TUOKE_ADMIN_PASSWORD, a wrong PII key …)
    st.error(f"拓客图无法启动：{exc}")
    st.stop()
account = auth.sign_in_gate(store, pages(None))  # the sign-in form and a stop when nobody is signed in
st.navigation(pages(account.role), expanded=True).run()
auth.sidebar_footer(store, account)
