"""AppTest of 蓄客目标 (views/pipeline.py): set a target, see the status in words, the chart and the gap closers.

The project is the one of tests/test_page_weekly.py: 洋房 high-intention (A) visitors 2, 3 and 4 in the three
full weeks ending on Sunday 2024-03-24, so 9 so far at a pace of 3 a week.  With 10 units × 2.5 = 25 and the
opening on Monday 2024-04-15 (three weeks later): 9 + 3 × 3 = 18 by the opening, 7 short, 16 to go in 3 weeks.
"""

import datetime as dt


from mapping.db.operations import Operations
from mapping.db.store import Store
from tests.test_page_weekly import make_project, open_page, table_with, texts


def _set_targets(at, units: int, ratio: float, opening: dt.date) -> None:
    pid = at.session_state["project_id"]
    at.number_input(key=f"pl_units_{pid}_洋房").set_value(units)
    at.number_input(key=f"pl_ratio_{pid}_洋房").set_value(ratio)
    at.date_input(key=f"pl_opening_{pid}").set_value(opening)
    at.button(key="pl_save").click().run()
    assert not at.exception, at.exception


def test_setting_a_target_shows_the_status_in_words(app_env):
    pid = make_project()
    at = open_page("views/pipeline.py", pid)
    assert "洋房：还没有设置蓄客目标" in texts(at)
    _set_targets(at, 10, 2.5, dt.date(2024, 4, 15))
    assert "已保存蓄客目标" in texts(at)
    short = [w.value for w in at.warning]
    assert "洋房：还差 16 组高意向，按目前每周 3 组的速度开盘时仍差 7 组，需要每周 6 组才够" in short
    row = table_with(at, "业态", "够不够").iloc[0]
    assert (row["目标高意向"], row["已有高意向"], row["缺口"], row["每周需要"], row["够不够"]) == (25, 9, 7, 6, "不够")
    store = Store()
    settings = Operations(store).ops_settings(pid)
    store.engine.dispose()
    assert settings["xuke"] == {"洋房": {"units": 10, "ratio": 2.5}} and settings["opening_date"] == "2024-04-15"
    from mapping.access import audit

    store = Store()
    entries = audit.entries(store)
    store.engine.dispose()
    saved = entries[entries["action"] == "ops_settings"]
    assert len(saved) == 1 and "洋房 10 套 × 2.5" in saved.iloc[0]["detail"]
    # the closers: the last 4 full weeks (W1–W3 and the week before) of 洋房: 9 high-intention visitors of 甲队 in
    # 浦东新区 by 拓客 = 9 / 4 = 2.25 a week; 7 short → 4 weeks of that output
    closers = table_with(at, "类型", "名称", "每周可增加高意向")
    assert closers[["类型", "名称"]].values.tolist() == [["团队", "甲队"], ["片区", "浦东新区"], ["渠道", "拓客"]]
    assert closers["每周可增加高意向"].tolist() == [2.25] * 3
    assert closers["补足缺口需要的周数"].tolist() == [4] * 3
    _set_targets(at, 10, 1.5, dt.date(2024, 4, 15))  # 15: enough by the opening
    assert "洋房：还差 6 组高意向，按目前每周 3 组的速度开盘前可补足" in [s.value for s in at.success]


def test_the_opening_defaults_to_the_launch_date(app_env):
    pid = make_project()
    at = open_page("views/pipeline.py", pid)
    assert at.date_input(key=f"pl_opening_{pid}").value == dt.date(2024, 6, 3)
    _set_targets(at, 100, 3, dt.date(2024, 6, 3))  # the launch date: stored as "not set", follows the project
    store = Store()
    assert Operations(store).ops_settings(pid)["opening_date"] is None
    store.engine.dispose()
    assert any(w.startswith("洋房：还差 291 组高意向") for w in [w.value for w in at.warning])


def test_viewer_sees_targets_but_cannot_change_them(app_env):
    pid = make_project()
    at = open_page("views/pipeline.py", pid, role="viewer")
    assert at.number_input(key=f"pl_units_{pid}_洋房").disabled and at.button(key="pl_save").disabled
    assert "不能编辑团队、片区、竞拍、费用和蓄客目标" in texts(at)
