"""Cached resources, the project picker and error display shared by every page."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

import pandas as pd
import streamlit as st

from mapping.analysis import aggregate
from mapping.analysis.facts import Facts
from mapping.analysis.grading import GradingError
from mapping.bootstrap import ensure_ready
from mapping.db.store import Store
from mapping.project import Project
from mapping.geo.layers import LayerError
from mapping.ingest.tables import IngestError

log = logging.getLogger("tuoke")


@st.cache_resource(show_spinner="正在准备数据库（首次启动会载入示例项目）…")
def get_store() -> Store:
    store = Store()
    ensure_ready(store)
    return store


def pick_project(store: Store) -> Project | None:
    """Project selector in the sidebar; remembers the choice across pages."""
    projects = store.projects()
    if projects.empty:
        st.sidebar.info("还没有项目。请到「导入数据」页新建项目并导入到访客户。")
        return None
    ids = projects["id"].tolist()
    current = st.session_state.get("project_id")
    index = ids.index(current) if current in ids else 0
    names = dict(zip(projects["id"], projects["name"]))
    chosen = st.sidebar.selectbox("项目", ids, index=index, format_func=names.get, key="project_picker")
    st.session_state["project_id"] = chosen
    return store.project(chosen)


@st.cache_data(show_spinner=False, max_entries=8)
def project_locations(_store: Store, project_id: int, version: str) -> pd.DataFrame:
    """Resolved locations of a project; ``version`` (Store.data_version) is the cache key."""
    return _store.locations(project_id)


@st.cache_data(show_spinner=False, max_entries=8)
def project_visitors(_store: Store, project_id: int, version: str) -> pd.DataFrame:
    return _store.visitors(project_id)


@st.cache_resource(show_spinner="正在整理客户位置（每次导入后只做一次）…", max_entries=4)
def project_facts(_store: Store, project_id: int, version: str, city: str) -> Facts:
    """A project's locations as code arrays; area assignments are added to it as layers are used."""
    return Facts.build(project_locations(_store, project_id, version), city)


def data_changed() -> None:
    """After an import or a correction: every cached view of project data is stale."""
    st.cache_data.clear()
    project_facts.clear()


def headline(store: Store, project_id: int) -> dict:
    version = store.data_version(project_id)
    return aggregate.headline(project_visitors(store, project_id, version),
                              project_locations(store, project_id, version))


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
