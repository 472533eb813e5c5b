"""Review page: the place strings the resolver could not place with confidence."""

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapping import corrections
from mapping import schema as S
from mapping.geo import boundaries
from mapping.maps import choropleth
from mapping.place import gazetteer
from mapping.place.resolve import METHOD_LABELS
from ui import trail
from ui.auth import allowed, refusal, require
from ui.common import data_changed, get_store, guarded, pick_project, project_caption, project_locations

WHOLE_DISTRICT = "（整个区，不指定地标）"


@st.cache_data(show_spinner=False)
def landmarks(city: str) -> pd.DataFrame:
    return gazetteer.landmark_table(city)


def coverage(locations: pd.DataFrame) -> pd.DataFrame:
    given = locations[locations["method"] != "empty"]
    table = pd.crosstab(given["method"].map(lambda m: METHOD_LABELS.get(m, m)),
                        given["dimension"].map(S.DIMENSION_LABELS))
    return table.rename_axis(index="识别方式", columns=None)


def clicked_point(key: str, city: str, names: dict[str, str]) -> dict | None:
    """A point the user clicked on the map of the project's districts (WGS-84), with its district."""
    with st.expander("或者在地图上点选位置（优先于上面的选择）"):
        layer = boundaries.load_layer(boundaries.layer_ids(city)[0], display=True, city=city)  # the finest
        state = st_folium(choropleth.outline_map(layer), height=420, use_container_width=True,
                          returned_objects=["last_clicked"], key=key)
        click = (state or {}).get("last_clicked")
        if not click:
            st.caption("点击地图上的位置即可（无底图时只显示区县和板块轮廓）。")
            return None
        lng, lat = float(click["lng"]), float(click["lat"])
        adcode = str(boundaries.locate([lng], [lat])[0])
        if not adcode:
            st.warning("点选的位置不在中国的区县范围内，请重新点选。")
            return None
        st.info(f"点选位置：{names.get(adcode, adcode)}（经度 {lng:.5f}，纬度 {lat:.5f}）")
        return {"adcode": adcode, "lng": lng, "lat": lat}


ITEM_WIDGETS = ("review_district", "review_landmark")  # what is chosen for one item; reset for the next


def start_item(text: str) -> None:
    """A new item starts with nothing chosen: forget the district and landmark picked for another one."""
    if st.session_state.get("review_item") != text:
        for key in ITEM_WIDGETS:
            st.session_state.pop(key, None)
        st.session_state["review_item"] = text


def landmark_choice(column, city: str, adcode: str | None) -> tuple[str, pd.Series | None]:
    """The optional landmark within the chosen district: (its name or WHOLE_DISTRICT, its row or None)."""
    marks = landmarks(city)
    marks = marks[marks["adcode"] == adcode] if adcode else marks.iloc[0:0]
    landmark = column.selectbox("具体地标（可选，用于板块地图）", [WHOLE_DISTRICT, *marks["name"]], key="review_landmark",
                                disabled=adcode is None)
    hit = marks[marks["name"] == landmark]
    return (landmark, hit.iloc[0]) if len(hit) else (WHOLE_DISTRICT, None)


def correction_form(store, project, queue: pd.DataFrame) -> None:
    names = gazetteer.index(project.city_adcode).district_names
    city_districts = gazetteer.districts_of(project.city_adcode)
    labels = {i: f"{r.text}（{r.visitors} 人 · {METHOD_LABELS.get(r.method, r.method)}）" for i, r in queue.iterrows()}
    choice = st.selectbox("选择要处理的地名", list(labels), format_func=labels.get, key="review_pick")
    row = queue.loc[choice]
    start_item(row["text"])
    suggested = [c for c in row["candidates"].split("|") if c]
    options = list(dict.fromkeys([*suggested, *city_districts]))
    c1, c2 = st.columns(2)
    adcode = c1.selectbox("应属于哪个区县", options, index=None, placeholder="请选择区县", key="review_district",
                          format_func=lambda a: f"{names.get(a, a)}{'（建议）' if a in suggested else ''}")
    landmark, point = landmark_choice(c2, project.city_adcode, adcode)
    clicked = clicked_point(f"review_map_{row['text']}", project.city_adcode, names)  # a fresh map for each string
    if clicked is not None:
        adcode, point = clicked["adcode"], clicked
        landmark = f"地图点选 ({clicked['lng']:.5f}, {clicked['lat']:.5f})"
    target = names.get(adcode, adcode) + ("" if point is None else " · " + landmark) if adcode else ""
    label = f"保存：「{row['text']}」→ {target}" if adcode else "保存：请先选择区县（或在地图上点选位置）"
    if st.button(label, type="primary", key="review_save", disabled=adcode is None):
        if adcode is None:
            st.error("请先选择这个地名属于哪个区县，再保存。")
            return
        save(store, project, row["text"], {"adcode": adcode, "point": point,
                                           "label": landmark if point is not None else names.get(adcode, "")})


def save(store, project, text: str, choice: dict) -> None:
    """Save the alias, refresh every cached view, and go on to the next item with nothing chosen."""
    if not allowed("review"):
        st.error(refusal("review"))
        return
    point = choice["point"]
    try:
        changed = corrections.save_alias(store, project.city_adcode, text, choice["adcode"],
                                         lng=None if point is None else float(point["lng"]),
                                         lat=None if point is None else float(point["lat"]), label=choice["label"])
    except ValueError as exc:
        st.error(str(exc))
        return
    district = gazetteer.index(project.city_adcode).district_names.get(choice["adcode"], choice["adcode"])
    where = district + (f" · {choice['label']}" if point is not None and choice["label"] != district else "")
    trail.record(store, "alias_save", project_id=project.id, rows=changed,
                 detail=f"「{text}」→ {where}（{choice['adcode']}）")
    data_changed()
    for key in (*ITEM_WIDGETS, "review_item"):
        st.session_state.pop(key, None)
    st.session_state["review_done"] = f"已保存，{changed} 条位置已重新识别，地图已更新。"
    st.rerun()


def saved_aliases(store, project) -> None:
    """The city's saved corrections, each with 撤销."""
    table = corrections.alias_table(store, project.city_adcode)
    with st.expander(f"已保存的对应关系（{len(table)} 条，本市所有项目共用；撤销后相关客户立即重新识别）"):
        if table.empty:
            st.caption("还没有保存过对应关系。")
            return
        names = gazetteer.index(project.city_adcode).district_names
        for r in table.itertuples(index=False):
            district = names.get(r.adcode, r.adcode)
            detail = f" · {r.label}" if r.label and r.label != district else ""
            when = f"（{r.created_at:%Y-%m-%d %H:%M} 保存）" if pd.notna(r.created_at) else ""
            c1, c2 = st.columns([6, 1], vertical_alignment="center")
            c1.markdown(f"「{r.text}」→ {district}{detail}{when}")
            if c2.button("撤销", key=f"review_undo_{r.text}"):
                undo(store, project, r.text)


def undo(store, project, text: str) -> None:
    if not allowed("review"):
        st.error(refusal("review"))
        return
    try:
        changed = corrections.remove_alias(store, project.city_adcode, text)
    except ValueError as exc:
        st.error(str(exc))
        return
    trail.record(store, "alias_remove", project_id=project.id, rows=changed, detail=f"「{text}」")
    data_changed()
    st.session_state["review_done"] = f"已撤销「{text}」的对应关系，{changed} 条位置已重新识别。"
    st.rerun()


def review_list(queue: pd.DataFrame, names: dict) -> None:
    st.write(f"待复核 **{len(queue):,}** 个地名，涉及 **{int(queue['visitors'].sum()):,}** 条位置。")
    shown = queue.assign(
        method=queue["method"].map(lambda m: METHOD_LABELS.get(m, m)),
        candidates=queue["candidates"].map(lambda c: "、".join(names.get(a, a) for a in c.split("|") if a)),
        dimensions=queue["dimensions"].map(lambda d: "、".join(S.DIMENSION_LABELS[x] for x in d.split(","))),
    ).rename(columns={"text": "地名", "visitors": "人数", "dimensions": "维度", "method": "原因", "candidates": "候选区县"})
    st.dataframe(shown, hide_index=True, height=280)


def main() -> None:
    require("review")
    store = get_store()
    st.title("位置复核")
    project = pick_project(store)
    if project is None:
        return
    project_caption(project)
    if "review_done" in st.session_state:
        st.success(st.session_state.pop("review_done"))
    st.caption("没能可靠识别的地名不会算进任何区域。按影响的人数从多到少处理：指定它属于哪个区县（或哪个地标），"
               "保存后会记为别名，所有相同写法的客户立即重新识别，以后导入也会沿用。")
    queue = corrections.review_queue(store, project.id)
    locations = project_locations(store, project.id, store.data_version(project.id))
    with st.expander("识别覆盖：各维度 × 识别方式"):
        st.dataframe(coverage(locations), use_container_width=True)
    if queue.empty:
        st.success("没有待复核的地名。")
    else:
        review_list(queue, gazetteer.index(project.city_adcode).district_names)
        correction_form(store, project, queue)
    saved_aliases(store, project)


guarded(main)
