"""Grading: schemes, suppression, fitted bins applied to new data, snapshots compared."""

import numpy as np
import pandas as pd
import pytest

from mapping import schema as S
from mapping.analysis import grading as G


def stats(visits, high=None, deals=None, dim="home", ids=None):
    n = len(visits)
    ids = ids or [f"a{i}" for i in range(n)]
    out = {"area_id": ids}
    for d in S.DIMENSIONS:
        out[f"visits_{d}"] = visits if d == dim else [0] * n
        out[f"high_intention_{d}"] = (high or [0] * n) if d == dim else [0] * n
        out[f"deals_{d}"] = (deals or [0] * n) if d == dim else [0] * n
    return pd.DataFrame(out)


def test_score_weights_each_measure():
    table = G.score_table(stats([10, 20], high=[5, 0], deals=[1, 2]), "home", G.Weights(1, 2, 5))
    assert table["score"].tolist() == [10 + 10 + 5, 20 + 0 + 10]
    assert table["support"].tolist() == [10, 20]
    assert table["conversion"].tolist() == [0.1, 0.1]


def test_composite_score_weighs_dimensions_and_support_is_the_largest_dimension():
    s = stats([10, 0], dim="home")
    s["visits_work"] = [0, 4]
    s["visits_leisure"] = [2, 3]
    w = G.Weights(1, 0, 0, home=0.5, work=0.3, leisure=0.2)
    table = G.score_table(s, G.COMPOSITE, w)
    assert table["score"].tolist() == pytest.approx([0.5 * 10 + 0.2 * 2, 0.3 * 4 + 0.2 * 3])
    assert table["visits"].tolist() == [12, 7]
    assert table["support"].tolist() == [10, 4]  # never more than the visitors behind one dimension
    assert G.focus_dimension(table.iloc[0]) == "居住"
    assert G.focus_dimension(table.iloc[1]) == "工作"


def test_single_dimension_ignores_other_dimensions():
    s = stats([10, 20])
    s["visits_work"] = [1000, 0]
    table = G.score_table(s, S.HOME, G.Weights())
    assert table["visits"].tolist() == [10, 20]


@pytest.mark.parametrize("bad", [dict(visits=-1), dict(visits=0, high_intention=0, deals=0),
                                 dict(home=0, work=0, leisure=0)])
def test_bad_weights_are_refused_in_chinese(bad):
    with pytest.raises(G.GradingError, match="权重"):
        G.Weights(**bad)


SCORES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 40, 45, 50, 200]


def test_quantiles_put_about_a_quarter_in_each_grade():
    bins = G.fit(SCORES, "quantiles")
    grades = bins.grade(SCORES)
    assert [int((grades == g).sum()) for g in G.GRADES] == [4, 4, 4, 4]


def test_fisher_jenks_separates_natural_groups():
    bins = G.fit(SCORES, "fisher_jenks")
    grades = dict(zip(SCORES, bins.grade(SCORES)))
    assert grades[200] == "A"
    assert {grades[40], grades[45], grades[50]} == {"B"}
    assert grades[1] == "D"


def test_head_tail_isolates_the_head_of_a_long_tail():
    bins = G.fit(SCORES, "head_tail")
    grades = dict(zip(SCORES, bins.grade(SCORES)))
    assert grades[200] == "A"
    assert grades[1] != "A" and grades[12] != "A"
    assert set(bins.grades) <= set(G.GRADES)


def test_manual_thresholds_are_lower_inclusive_and_validated():
    bins = G.fit([], "manual", (100, 50, 10))
    assert bins.grade([100, 99, 50, 10, 9.99]).tolist() == ["A", "B", "B", "C", "D"]
    assert bins.ranges() == {"A": "≥ 100", "B": "50 – 100", "C": "10 – 50", "D": "< 10"}
    with pytest.raises(G.GradingError, match="A > B > C"):
        G.fit([], "manual", (10, 50, 100))
    with pytest.raises(G.GradingError, match="三个等级"):
        G.fit([], "manual", None)


def test_scheme_registry_labels_and_unknown_scheme():
    assert list(G.SCHEME_LABELS) == list(G.SCHEMES) == ["quantiles", "fisher_jenks", "head_tail", "manual"]
    assert G.SCHEME_LABELS == {name: s.label for name, s in G.SCHEMES.items()}
    assert G.SCHEMES["manual"].cuts is None  # thresholds come from the user
    with pytest.raises(G.GradingError, match="未知的分级方法：nope"):
        G.fit(SCORES, "nope")


def test_a_new_scheme_only_returns_cut_points(monkeypatch):
    seen = []

    def equal_interval(values, k):
        seen.append((len(values), k))
        return np.linspace(values.min(), values.max(), k + 1)[1:-1]

    registry = {**G.SCHEMES, "equal": G.Scheme("等距", equal_interval)}
    monkeypatch.setattr(G, "SCHEMES", registry)
    bins = G.fit([*SCORES, np.nan], "equal")
    assert seen == [(len(SCORES), len(G.GRADES))]  # finite scores, one class per grade
    assert bins == G.Bins("equal", (50.75, 100.5, 150.25))
    assert bins.grade([200, 120, 60, 1]).tolist() == ["A", "B", "C", "D"]
    assert G.fit([1, 1, 9], "equal").grades == ("A", "B")  # two distinct scores: k = 2


def test_fit_keeps_the_top_cuts_below_the_maximum(monkeypatch):
    many = G.Scheme("多", lambda values, k: [5, 1, 2, 3, 3, 4, 200, 999])
    monkeypatch.setattr(G, "SCHEMES", {**G.SCHEMES, "many": many})
    assert G.fit(SCORES, "many").cuts == (3.0, 4.0, 5.0)


def test_too_few_distinct_scores_give_fewer_grades_from_the_top():
    assert G.fit([5, 5, 5], "fisher_jenks").grade([5]).tolist() == ["A"]
    two = G.fit([1, 1, 9, 9], "quantiles")
    assert set(two.grade([1, 9])) == {"A", "B"}


def test_bins_fitted_once_apply_unchanged_to_new_data():
    bins = G.fit(SCORES, "quantiles")
    later = [s / 10 for s in SCORES]  # a narrow filter: every count much smaller
    assert G.fit(later, "quantiles").cuts != bins.cuts
    kept = bins.grade(later)  # same thresholds: grades fall with the counts, bins do not drift
    assert kept.tolist() == ["D"] * 14 + ["C", "A"]
    assert int((G.fit(later, "quantiles").grade(later) == "A").sum()) == 4  # a refit would re-spread them
    assert G.Bins.from_dict(bins.to_dict()) == bins


def test_small_areas_are_suppressed_not_graded_and_not_fitted():
    table = G.score_table(stats([1000, 3, 0, 40, 50]), S.HOME, G.Weights(1, 0, 0))
    fit_on = G.graded_scores(table, min_count=5)
    assert sorted(fit_on) == [40, 50, 1000]
    graded = G.grade_table(table, G.fit(fit_on, "quantiles"), min_count=5)
    assert graded.set_index("area_id").loc["a1", "grade"] == G.INSUFFICIENT
    assert graded.set_index("area_id").loc["a2", "grade"] == G.NO_VISITS
    assert pd.isna(graded.set_index("area_id").loc["a1", "rank"])
    assert graded.set_index("area_id").loc["a0", "rank"] == 1
    assert graded["suppressed"].tolist() == [False, True, False, False, False]


def test_legend_lists_each_grade_with_range_and_count():
    table = G.score_table(stats([100, 50, 10, 3]), S.HOME, G.Weights(1, 0, 0))
    bins = G.fit([], "manual", (80, 40, 5))
    rows = G.legend(G.grade_table(table, bins, 5), bins)
    labels = [r["label"] for r in rows]
    assert labels[0] == "A 级 · 得分 ≥ 80 · 1 个区域"
    assert labels[3] == "D 级 · 得分 < 5 · 0 个区域"
    assert labels[-1] == "样本不足 · 1 个区域"
    assert rows[0]["colour"] == G.GRADE_COLOURS["A"]


def test_compare_reports_moves_between_gradings():
    before = pd.DataFrame({"area_id": ["x", "y", "z", "w"], "area_name": ["X", "Y", "Z", "W"],
                           "grade": ["A", "C", "B", "D"], "score": [10, 5, 8, 1]})
    after = pd.DataFrame({"area_id": ["x", "y", "z", "v"], "area_name": ["X", "Y", "Z", "V"],
                          "grade": ["C", "B", "B", "A"], "score": [6, 7, 8, 11]})
    moves = G.compare(before, after).set_index("area_id")
    assert moves.loc["x", "change"] == "降级" and moves.loc["x", "steps"] == -2
    assert moves.loc["y", "change"] == "升级"
    assert moves.loc["z", "change"] == "不变"
    assert moves.loc["w", "change"] == "退出"
    assert moves.loc["v", "change"] == "新进入" and moves.loc["v", "before"] == "—"
    assert G.compare(before, after)["area_id"].iloc[0] in {"x", "v", "w"}  # biggest moves first


def test_opportunities_are_producing_areas_the_plan_did_not_grade_a_or_b():
    current = pd.DataFrame({"area_id": ["x", "y", "z", "s"], "area_name": list("XYZS"),
                            "grade": ["A", "B", "C", G.INSUFFICIENT], "visits": [50, 30, 20, 2],
                            "score": [50, 30, 20, 2]})
    plan = pd.DataFrame({"area_id": ["x", "y"], "grade": ["A", "D"]})
    opp = G.opportunities(current, plan)
    assert opp["area_id"].tolist() == ["y", "z"]
    assert opp["plan_grade"].tolist() == ["D", "未列入"]
    assert G.opportunities(current, None).empty


def test_targets_are_checked():
    ok = G.check_targets(G.DEFAULT_TARGETS)
    assert ok["每周新增线索"].tolist() == [40, 20, 10, 3]
    bad = G.DEFAULT_TARGETS.copy()
    bad.loc[1, "每月拓客活动"] = -1
    with pytest.raises(G.GradingError, match="B 级的「每月拓客活动」"):
        G.check_targets(bad)
    with pytest.raises(G.GradingError, match="四行"):
        G.check_targets(G.DEFAULT_TARGETS.iloc[:3])


def test_every_grade_has_a_distinct_colour():
    colours = [G.GRADE_COLOURS[g] for g in (*G.GRADES, G.INSUFFICIENT, G.NO_VISITS)]
    assert len(set(colours)) == len(colours)
    assert np.all([c.startswith("#") for c in colours])


def test_fast_fisher_jenks_matches_mapclassify():
    import warnings

    import mapclassify

    from mapping.analysis.breaks import fisher_jenks

    rng = np.random.default_rng(7)
    for _ in range(25):
        y = np.round(rng.lognormal(2, 1, int(rng.integers(10, 150))), int(rng.integers(0, 2)))
        k = int(min(rng.integers(2, 6), np.unique(y).size))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = [float(b) for b in mapclassify.FisherJenks(y, k=k).bins]
        assert fisher_jenks(y, k) == pytest.approx(expected)
    assert fisher_jenks([], 4) == [] and fisher_jenks([3, 3], 4) == [3.0]


@pytest.mark.parametrize("values,expected", [
    ([0, 0, 0], []),
    ([5, 5, 5], [5.0]),
    ([0, -2, 5, 5], [5.0]),  # zeros and negatives never form a class
    ([0, 0, 1, 1, 2, 9, 10, 30], [2.0, 10.0, 30.0]),
])
def test_class_breaks_of_positive_values(values, expected):
    from mapping.analysis.breaks import class_breaks

    assert class_breaks(np.array(values), k=3) == expected


def test_class_breaks_at_most_k_classes_ending_at_the_maximum():
    from mapping.analysis.breaks import class_breaks

    breaks = class_breaks(list(range(1, 40)))
    assert len(breaks) == 5 and breaks[-1] == 39.0 and breaks == sorted(breaks)


def test_focus_for_all_rows_matches_one_by_one():
    s = stats([10, 0, 5])
    s["visits_work"] = [0, 4, 50]
    table = G.score_table(s, G.COMPOSITE, G.Weights())
    empty = G.score_table(stats([0]), G.COMPOSITE, G.Weights())
    assert G.focus_dimensions(table).tolist() == [G.focus_dimension(r) for _, r in table.iterrows()]
    assert G.focus_dimensions(table).tolist() == ["居住", "工作", "工作"]
    assert G.focus_dimensions(empty).tolist() == [""]
