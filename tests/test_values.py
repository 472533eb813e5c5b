"""Category values: default maps, suggestions, a project's choices, stages and deals."""

import pandas as pd
import pytest

from mapping import schema as S
from mapping.ingest import values as V


@pytest.mark.parametrize("raw,stage", [
    ("来访", "来访"), ("到访", "来访"), ("首访", "来访"), ("复访", "来访"), ("未成交", "来访"), ("否", "来访"),
    ("无", "来访"), ("N", "来访"), ("0", "来访"),
    ("认筹", "认筹"), ("排卡", "认筹"), ("诚意金", "认筹"), ("VIP卡", "认筹"), ("vip 卡", "认筹"),
    ("认购", "认购"), ("小订", "认购"), ("大定", "认购"), ("定金", "认购"), ("订金", "认购"), ("已认购", "认购"),
    ("下定", "认购"), ("成交", "认购"), ("已成交", "认购"), ("是", "认购"), ("Y", "认购"), ("1", "认购"),
    ("已购", "认购"),
    ("签约", "签约"), ("网签", "签约"), ("草签", "签约"), ("已签约", "签约"), ("备案", "签约"), ("合同", "签约"),
    ("退房", "退房"), ("退订", "退房"), ("退定", "退房"), ("退筹", "退房"), ("撤销", "退房"),
    ("Ｙ", "认购"), (" 网签 ", "签约"),
])
def test_default_stage_aliases(raw, stage):
    resolved = V.resolve(pd.Series([raw]), V.STAGE_FIELD, S.STAGES)
    assert resolved.value.iloc[0] == stage
    assert resolved.source.iloc[0] in (V.CANONICAL, V.DEFAULT)


@pytest.mark.parametrize("field,raw,allowed,expected", [
    ("stage", "已网签备案", None, "签约"),
    ("stage", "认购转签约", None, "签约"),
    ("stage", "未认购", None, "来访"),
    ("stage", "待定", None, ""),
    ("product_line", "平层", ("公寓", "洋房"), "公寓"),
    ("product_line", "叠拼", ("公寓", "洋房"), "洋房"),
    ("product_line", "叠拼别墅", ("公寓", "洋房"), "洋房"),
    ("product_line", "小高层", ("高层", "别墅"), "高层"),
    ("product_line", "独栋", ("公寓", "洋房"), ""),  # 别墅 is not the project's: never proposed
    ("product_line", "城堡", None, ""),
    ("intention", "高意向", None, "A"),
    ("intention", "一般", None, "C"),
    ("intention", "很想买", None, ""),
    ("channel", "朋友介绍", None, "老带新"),
    ("channel", "老业主推荐", None, "老带新"),
    ("channel", "路过", None, "自然到访"),
    ("channel", "抖音", None, "线上"),
    ("channel", "分销", None, "中介"),
    ("channel", "售楼处", None, ""),
])
def test_suggest(field, raw, allowed, expected):
    assert V.suggest(field, raw, allowed) == expected


def test_suggestions_stay_inside_allowed_or_empty():
    allowed = ("公寓", "洋房")
    for raw in ("别墅", "独栋", "底商", "车库", "平层", "叠墅", "联排别墅", "大平层"):
        assert V.suggest("product_line", raw, allowed) in ("公寓", "洋房", "")


def test_project_choice_beats_default_and_canonical_rules():
    values = pd.Series(["叠墅", "网签", "A", "朋友介绍"])
    line = V.resolve(values[:1], V.LINE_FIELD, ["公寓", "洋房", "别墅"], {"叠墅": "别墅"})
    assert (line.value.iloc[0], line.source.iloc[0]) == ("别墅", V.PROJECT)
    stage = V.resolve(values[1:2], V.STAGE_FIELD, S.STAGES, {"网签": "认购"})
    assert stage.value.iloc[0] == "认购"
    channel = V.resolve(values[3:], V.CHANNEL_FIELD, S.CHANNELS, {"朋友介绍": "朋友介绍（老带新）"})
    assert channel.value.iloc[0] == "朋友介绍（老带新）"  # channels are free text


def test_project_choice_outside_allowed_is_ignored():
    resolved = V.resolve(pd.Series(["叠墅"]), V.LINE_FIELD, ["公寓", "其他"], {"叠墅": "洋房"})
    assert resolved.source.iloc[0] == V.UNKNOWN


def test_project_map_keys_are_normalised():
    resolved = V.resolve(pd.Series(["ＶＩＰ 卡（金）"]), V.STAGE_FIELD, S.STAGES, {"VIP卡(金)": "认筹"})
    assert resolved.value.iloc[0] == "认筹"


def test_channels_have_no_automatic_defaults():
    resolved = V.resolve(pd.Series(["朋友介绍", "拓客", ""]), V.CHANNEL_FIELD, S.CHANNELS)
    assert resolved.source.tolist() == [V.UNKNOWN, V.CANONICAL, V.EMPTY]
    assert resolved.suggestions == {"朋友介绍": "老带新"}


@pytest.mark.parametrize("deal_stage,expected", [
    ("认购", [False, False, True, True, False, False]),
    ("签约", [False, False, False, True, False, False]),
])
def test_is_deal(deal_stage, expected):
    stages = pd.Series(["来访", "认筹", "认购", "签约", "退房", ""], index=[5, 6, 7, 8, 9, 10])
    result = V.is_deal(stages, deal_stage)
    assert result.tolist() == expected
    assert result.index.tolist() == [5, 6, 7, 8, 9, 10]


def test_is_deal_names_the_bad_argument():
    with pytest.raises(ValueError, match="'deal_stage' should be one of 认购/签约, got '成交'"):
        V.is_deal(pd.Series(["认购"]), "成交")


def test_combine_stages_refund_wins_and_later_stage_wins():
    a = pd.Series(["认购", "退房", None, "签约"])
    b = pd.Series(["签约", "签约", "来访", None])
    assert V.combine_stages(a, b).tolist() == ["签约", "退房", "来访", "签约"]


def test_choices():
    assert V.choices("stage") == ["来访", "认筹", "认购", "签约", "退房"]
    assert V.choices("product_line", ("公寓", "其他")) == ["公寓", "其他"]
    with pytest.raises(ValueError, match="'field' should be one of"):
        V.choices("budget")


def test_unknowns_frame_orders_fields_then_rows():
    u = V.Unknowns()
    u.add("channel", ["朋友介绍"], [9], "老带新", list(S.CHANNELS))
    u.add("product_line", ["城堡"] * 3, [2, 3, 4], "", ["公寓", "其他"])
    u.add("product_line", ["叠拼"], [5], "洋房", ["公寓", "其他"])
    u.add("stage", ["意向金"], [7], "认筹", list(S.STAGES))
    frame = u.frame()
    assert list(frame.columns) == V.UNKNOWN_COLUMNS
    assert frame["raw"].tolist() == ["意向金", "城堡", "叠拼", "朋友介绍"]
    assert frame.loc[1, "example_rows"] == "2、3、4"


def test_hints_are_never_applied_without_the_user():
    resolved = V.resolve(pd.Series(["高意向", "A级"]), V.INTENTION_FIELD, S.INTENTION_GRADES)
    assert resolved.source.tolist() == [V.UNKNOWN, V.DEFAULT]
    assert resolved.suggestions == {"高意向": "A"}
