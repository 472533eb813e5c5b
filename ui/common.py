"""Cached resources, the project picker and error display shared by every page.

The current project lives in the URL (``?project=<id>``, so it survives a reload and
a shared link) and in the session (so it survives a page switch): :func:`pick_project`
offers only the projects the signed-in user may see (:func:`ui.auth.visible_project_ids`),
reads the URL first and writes the choice back to both; :func:`select_project` makes
another project current (after creating or deleting one).  :func:`project_caption`
names the current project under a page's title and shows what the last action left
with :func:`notice`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

import pandas as pd
import streamlit as st

from mapping import snapshots
from mapping.analysis import metro
from mapping.analysis.facts import Facts
from mapping.analysis.grading import GradingError
from mapping.bootstrap import ensure_ready
from mapping.cache import shared
from mapping.db.store import Store
from mapping.geo import boundaries
from mapping.geo.layers import LayerError
from mapping.importer import relocate
from mapping.ingest.tables import IngestError
from mapping.project import Project
from ui import trail
from ui.auth import allowed, visible_project_ids
from ui.segments_data import project_segments
from ui.shared import cached, scope

log = logging.getLogger("tuoke")


@st.cache_resource(show_spinner="正在准备数据库（首次启动会载入示例项目）…")
def get_store() -> Store:
    store = Store()
    ensure_ready(store)
    return store


# A project can be in any city of China (data/boundaries/china/); these come first in the pickers:
# the twelve cities where most new homes are sold, each with a landmark gazetteer.
MAJOR_CITIES = ("310000", "110000", "440100", "440300", "510100", "500000", "330100", "420100", "320100",
                "320500", "610100", "120000")
PICKER = "project_picker"  # the sidebar picker's widget key
CURRENT = "project_id"  # session state: the current project's id
URL_PARAM = "project"  # st.query_params: the current project's id
NOTICE = "project_notice"  # session state: a message for the next run (st.rerun drops an st.success)
NO_PROJECTS = "你还没有可查看的项目，请联系管理员把你加入项目。"  # a member of no project


def no_visible_project(store: Store) -> bool:
    """Whether the signed-in user may see no project at all (a member of none)."""
    visible = visible_project_ids(store)
    return visible is not None and not (set(visible) & {int(i) for i in store.projects()["id"]})


def city_choices(current: str = "") -> list[str]:
    """Every project city, the major ones first, then by code (``current`` kept even if unknown)."""
    rest = sorted(set(boundaries.city_names()) - set(MAJOR_CITIES))
    return list(dict.fromkeys([*MAJOR_CITIES, *rest, *([current] if current else [])]))


def city_label(adcode: str) -> str:
    """The city's short name for a project's city code (上海, 苏州; the code itself for an unknown one)."""
    return boundaries.city_short_name(adcode) if adcode in boundaries.city_names() else adcode


def pick_project(store: Store, include_archived: bool = False) -> Project | None:
    """Project selector in the sidebar: the current project, or None (with a hint) when there is none.

    The current project is the one in the URL (``?project=<id>``), else the session's,
    else the first; the choice is written back to both.  Archived projects are left
    out unless ``include_archived`` (项目设置 with 「显示已归档项目」).
    """
    projects = store.projects()
    visible = visible_project_ids(store)
    if visible is not None:  # a member sees their projects only; a link to another one is "not there"
        projects = projects[projects["id"].isin(visible)]
        if projects.empty:
            st.sidebar.info(NO_PROJECTS)
            return None
    archived = int(projects["archived"].sum())
    if not include_archived:
        projects = projects[~projects["archived"]]
    if projects.empty:
        st.sidebar.info(f"{archived} 个项目都已归档。到「项目设置」勾选「显示已归档项目」可取消归档，"
                        "或在「导入数据」页新建项目。" if archived else
                        "还没有项目。请到「导入数据」页新建项目并导入到访客户。")
        return None
    ids = [int(i) for i in projects["id"]]
    labels = {int(i): name + ("（已归档）" if gone else "")
              for i, name, gone in zip(projects["id"], projects["name"], projects["archived"])}
    current = _current_project(ids, labels)
    # Set on every run, before the widget exists: the picker is a new widget on each page (its id
    # includes the page), which would otherwise start on the first project.
    st.session_state[PICKER] = current
    chosen = st.sidebar.selectbox("项目", ids, format_func=labels.get, key=PICKER, on_change=_picked)
    select_project(chosen)
    return store.project(chosen)


def _current_project(ids: list[int], labels: dict[int, str]) -> int:
    """The project the URL names, else the session's, else the first of ``ids``."""
    wanted = st.query_params.get(URL_PARAM)
    for candidate in (wanted, st.session_state.get(CURRENT)):
        if str(candidate).isdigit() and int(candidate) in ids:
            return int(candidate)
    if wanted is not None:
        st.sidebar.warning(f"链接中的项目（编号 {wanted}）不存在或已归档，现在显示「{labels[ids[0]]}」。")
    return ids[0]


def _picked() -> None:
    select_project(st.session_state[PICKER])


def select_project(project_id: int | None) -> None:
    """Make ``project_id`` the current project (URL and session); None forgets the current one.

    The picker shows it from the next time :func:`pick_project` runs (later in this run, or after ``st.rerun()``).
    """
    if project_id is None:
        st.session_state.pop(CURRENT, None)
        if URL_PARAM in st.query_params:
            del st.query_params[URL_PARAM]
        return
    st.session_state[CURRENT] = int(project_id)
    if st.query_params.get(URL_PARAM) != str(project_id):
        st.query_params[URL_PARAM] = str(project_id)


def notice(message: str) -> None:
    """Keep a success message for the next run (call before ``st.rerun()``); :func:`show_notice` shows it."""
    st.session_state[NOTICE] = message


def show_notice() -> None:
    """Show (once) the message an action left with :func:`notice`."""
    message = st.session_state.pop(NOTICE, None)
    if message:
        st.success(message)


def project_caption(project: Project) -> None:
    """Under a page's title: 「当前项目：金桥湾示范项目（上海）」, then any :func:`notice`."""
    archived = "　已归档" if project.archived else ""
    st.caption(f"当前项目：{project.name}（{city_label(project.city_adcode)}）{archived}")
    show_notice()


# Read-only frames every session shares: kept once per process (st.cache_resource), not copied into
# every call as st.cache_data does (it pickles the frame: seconds at 200,000 visitors, per session).
# Callers get a shallow copy: with pandas' copy-on-write a caller that adds or changes a column
# changes its own copy, never the shared frame, and the copy costs nothing until then.
@st.cache_resource(show_spinner=False, max_entries=4)
def _locations(_store: Store, project_id: int, version: str, store_token: str) -> pd.DataFrame:
    return _store.locations(project_id)


@st.cache_resource(show_spinner=False, max_entries=4)
def _visitors(_store: Store, project_id: int, version: str, store_token: str) -> pd.DataFrame:
    return _store.visitors(project_id)


def project_locations(store: Store, project_id: int, version: str) -> pd.DataFrame:
    """Resolved locations of a project; ``version`` (Store.data_version) is the cache key.

    Shared by every session (see above): a shallow copy, safe to modify."""
    return _locations(store, project_id, version, scope(store, project_id, version)[0]).copy(deep=False)


def project_visitors(store: Store, project_id: int, version: str) -> pd.DataFrame:
    """The project's visitors (masked personal data only), shared like :func:`project_locations`."""
    return _visitors(store, project_id, version, scope(store, project_id, version)[0]).copy(deep=False)


@st.cache_resource(show_spinner="正在整理客户位置（每次导入后只做一次）…", max_entries=4)
def project_facts(_store: Store, project_id: int, version: str, city: str) -> Facts:
    """A project's locations as code arrays; area assignments are added to it as layers are used.

    Built from the database's compact columns (:meth:`Store.fact_columns`), not from
    :func:`project_locations`: no page that needs only the facts reads every location row; after a
    restart they come from the data version's snapshot on disk (:mod:`mapping.snapshots`)."""
    columns = snapshots.frame(_store, project_id, version, "fact_columns", lambda: _store.fact_columns(project_id))
    return Facts.from_columns(columns, city)


def data_changed() -> None:
    """After an import or a correction: every cached view of project data is stale.

    The process-wide cache of derived results (:mod:`mapping.cache`) needs nothing: its keys
    carry the data version, so old entries are not read again and age out."""
    st.cache_data.clear()
    _locations.clear()
    _visitors.clear()
    project_facts.clear()


def prepare_views(store: Store, project: Project) -> None:
    """Right after an import, while the user is still on the import page: read the project's new data
    once for every session (the facts every map page grades, the groups the home page counts) and write
    their snapshots (:mod:`mapping.snapshots`), and the customer segments, so the first map opened after an import, by anyone, on
    this server or after a restart, does not read every location from the database (≈ 6–8 s at a
    million visitors on SQLite, paid here instead)."""
    with st.spinner("正在准备地图数据（每次导入后只做一次，之后谁打开地图都更快）…"):
        version = store.data_version(project.id)
        facts = project_facts(store, project.id, version, project.city_adcode)
        location_groups(store, project.id)
        project_segments(store, project, facts, version)  # 客群细分 and the battle map's segment axis


def relocate_with_progress(store: Store, project_id: int) -> int:
    """Resolve the project's locations again for its (new) city with a progress bar; how many visitors."""
    bar = st.progress(0.0, text="正在按新城市重新识别客户位置…")
    done = relocate(store, project_id, progress=lambda share, text: bar.progress(min(1.0, share), text=text))
    bar.empty()
    data_changed()
    return done


def location_groups(store: Store, project_id: int) -> pd.DataFrame:
    """:meth:`Store.location_groups` (one pass over the project's locations), once per data version
    for every session: the home page's shares, coverage and city check all come from it.
    Shared: read-only."""
    version = store.data_version(project_id)
    return cached((*scope(store, project_id, version), "location_groups"),
                  lambda: snapshots.frame(store, project_id, version, "location_groups",
                                          lambda: store.location_groups(project_id)))


def adcode_counts(store: Store, project_id: int) -> dict[str, int]:
    """:meth:`Store.adcode_counts`, counted once per data version for every session: summed from the
    :func:`location_groups` when they are in the shared cache (the home page reads them first), else
    counted by the database (a page that does not need the groups does not read them for this)."""
    version = store.data_version(project_id)
    key = scope(store, project_id, version)
    if (*key, "location_groups") in shared():
        return cached((*key, "adcode_counts"), lambda: store.adcode_counts_of(location_groups(store, project_id)))
    return cached((*key, "adcode_counts"), lambda: store.adcode_counts(project_id))


def city_hint(store: Store, project: Project, offer: bool = True) -> None:
    """When most located visitors are in another city than the project's, say so and (``offer``) offer to
    switch: a button that changes the city and resolves every location again."""
    proposal = metro.proposed_city(project.city_adcode, adcode_counts(store, project.id))
    if proposal is None:
        return
    city, share = proposal
    text = (f"这个项目的客户位置 {share:.0%} 在{city_label(city)}，但项目城市是{city_label(project.city_adcode)}。"
            f"项目在{city_label(city)}的话，请把项目城市改过来：地图和识别都按项目城市来做。")
    if not allowed("settings"):
        st.warning(text + "（需要有项目设置权限的同事来改）")
        return
    if not offer:
        st.warning(text + "首页和「项目设置」都可以一键修改。")
        return
    st.warning(text)
    if st.button(f"把项目城市改为{city_label(city)}并重新识别位置", key=f"city_hint_{project.id}"):
        store.update_project(project.id, city_adcode=city)
        done = relocate_with_progress(store, project.id)
        trail.record(store, "project_settings", project_id=project.id,
                     detail=f"城市改为{city_label(city)}，重新识别 {done:,} 位客户的位置")
        notice(f"项目城市已改为{city_label(city)}，已重新识别 {done:,} 位客户的位置。")
        st.rerun()


def guarded(body: Callable[[], None]) -> None:
    """Run a page body; show user errors in Chinese and never a traceback."""
    try:
        body()
    except (IngestError, LayerError, GradingError) as exc:
        st.error(str(exc))
    except Exception:  # last resort: the page must not show a traceback
        log.error("page error\n%s", traceback.format_exc())
        st.error("页面出错了，操作没有完成，数据没有改动。请刷新页面重试；如仍出错，请把操作步骤告诉管理员"
                 "（详细错误已记录在服务器日志中）。")
