"""Facts (cached counts), grading runs per product line, plans and snapshots, on the sample project."""

import datetime as dt
from dataclasses import replace

import pytest

from mapping import schema as S
from mapping.analysis import aggregate
from mapping.analysis import battle as B
from mapping.analysis import grading as G
from mapping.analysis.facts import Facts, Filters, area_stats, coverage, top_places, visitors_in
from mapping.bootstrap import SAMPLE_COMPETITORS, SAMPLE_PROJECT, load_sample
from mapping.db.store import Store
from mapping.geo import boundaries, hexgrid
from mapping.maps.overlays import project_sites

LAYER = S.LAYER_DISTRICTS_BANKUAI


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('battle') / 'db.sqlite3'}")
    store.migrate()
    pid = load_sample(store)
    locations = store.locations(pid)
    return store, pid, locations, Facts.build(locations), boundaries.load_layer(LAYER)


def test_facts_counts_match_the_row_by_row_aggregate(sample):
    _, _, locations, facts, layer = sample
    for dim in S.DIMENSIONS:
        for line in (None, "公寓"):
            expected, cov = aggregate.area_counts(locations, layer, dim, line)
            got = area_stats(facts, LAYER, Filters(product_line=line), layer).set_index("area_id")
            exp = expected.set_index("area_id")
            assert (got.loc[exp.index, f"visits_{dim}"] == exp["visits"]).all()
            assert (got.loc[exp.index, f"deals_{dim}"] == exp["deals"]).all()
            assert (got.loc[exp.index, f"high_intention_{dim}"] == exp["high_intention"]).all()
            fast = coverage(facts, LAYER, dim, Filters(product_line=line))
            assert fast == cov


def test_filters_narrow_the_counts(sample):
    _, _, locations, facts, layer = sample
    home = locations[locations["dimension"] == S.HOME]
    total = area_stats(facts, LAYER, Filters())["visits_home"].sum()
    launch = SAMPLE_PROJECT["launch_date"]
    pre = area_stats(facts, LAYER, Filters(end=launch - dt.timedelta(days=1)))["visits_home"].sum()
    post = area_stats(facts, LAYER, Filters(start=launch))["visits_home"].sum()
    assert pre + post == total and 0 < pre < total
    channel = home["channel"].value_counts().index[0]
    by_channel = area_stats(facts, LAYER, Filters(channels=(channel,)))["visits_home"].sum()
    placed_share = total / len(home)
    assert by_channel == pytest.approx((home["channel"] == channel).sum() * placed_share, rel=0.1)
    only_a = area_stats(facts, LAYER, Filters(intentions=("A",)))
    assert (only_a["visits_home"] == only_a["high_intention_home"]).all()
    assert area_stats(facts, LAYER, Filters(channels=("没有这个渠道",)))["visits_home"].sum() == 0


def test_h3_cells_are_an_area_layer_for_points_only(sample):
    _, _, locations, facts, _ = sample
    ids, index = facts.areas(hexgrid.layer_id(8))
    has_point = locations["lng"].notna().to_numpy()
    assert (index[has_point] >= 0).all() and (index[~has_point] == -1).all()
    stats = area_stats(facts, hexgrid.layer_id(8))
    assert stats["visits_home"].sum() == int((has_point & (locations["dimension"] == S.HOME).to_numpy()).sum())
    assert all(len(c) == 15 for c in ids)


def test_top_places_and_visitors_of_an_area(sample):
    _, _, _, facts, layer = sample
    jinqiao = layer.loc[layer["area_name"] == "金桥", "area_id"].iloc[0]
    places = top_places(facts, LAYER, jinqiao, S.HOME)
    assert len(places) > 0 and places["visits"].is_monotonic_decreasing
    assert any("金桥" in p for p in places["place"])
    ids = visitors_in(facts, LAYER, jinqiao, S.HOME)
    stats = area_stats(facts, LAYER).set_index("area_id")
    assert len(ids) == stats.loc[jinqiao, "visits_home"]  # one home location per visitor


@pytest.fixture(scope="module")
def run(sample):
    _, _, _, facts, layer = sample
    return B.fit_run(facts, LAYER, B.Settings(), Filters(), SAMPLE_PROJECT["product_lines"], layer)


def test_a_run_fits_bins_per_product_line(run):
    assert set(run.bins) == {"", *SAMPLE_PROJECT["product_lines"]}
    assert run.bins[""].cuts != run.bins["别墅"].cuts  # one map per line, each its own bins


def test_grades_change_with_the_product_line_on_the_sample(sample, run):
    _, _, _, facts, layer = sample
    by_line = {line: B.graded(facts, run, layer, Filters(product_line=line or None), layer).set_index("area_name")
               for line in ["", "公寓", "别墅"]}
    assert by_line[""].loc["金桥", "grade"] == "A" and by_line[""].loc["金桥", "rank"] == 1
    assert (by_line["公寓"]["grade"] != by_line["别墅"].loc[by_line["公寓"].index, "grade"]).any()
    assert by_line["别墅"]["visits"].sum() < by_line[""]["visits"].sum()


def test_filters_do_not_refit_the_bins(sample, run):
    _, _, _, facts, layer = sample
    narrow = Filters(start=SAMPLE_PROJECT["launch_date"])
    graded = B.graded(facts, run, layer, narrow, layer)
    scores = graded.loc[graded["grade"].isin(G.GRADES), "score"]
    assert graded.loc[graded["grade"].isin(G.GRADES), "grade"].tolist() == list(run.bins[""].grade(scores))


def test_plan_table_withholds_counts_of_small_areas(sample, run):
    _, _, _, facts, layer = sample
    graded = B.graded(facts, run, layer, Filters(product_line="商铺"), layer)
    assert (graded["grade"] == G.INSUFFICIENT).any()
    plan = B.plan_table(graded, facts, run, Filters(product_line="商铺"), G.DEFAULT_TARGETS)
    small = plan[plan["等级"] == G.INSUFFICIENT]
    assert small[["到访", "成交", "得分", "每周新增线索"]].isna().all().all()
    assert not (plan["等级"] == G.NO_VISITS).any()
    top = plan.iloc[0]
    assert top["区域"] == "金桥" and top["等级"] == "A" and top["每周新增线索"] == 40
    assert top["建议主攻维度"] == "居住" and "金桥" in top["重点地点"]
    shown = B.public_table(graded, 5)
    small = graded["grade"] == G.INSUFFICIENT
    assert shown.loc[small, "visits"].isna().all() and shown.loc[small, "score"].isna().all()
    assert set(shown.loc[small, "note"]) == {"少于 5 人，不显示人数"}


def test_snapshot_round_trip_and_comparison(sample, run):
    store, pid, _, facts, layer = sample
    tables = {line: B.graded(facts, run, layer, Filters(product_line=line or None), layer)
              for line in run.bins}
    targets = G.DEFAULT_TARGETS.assign(每周新增线索=[50, 25, 10, 0])
    payload = B.snapshot_payload(run, tables, targets)
    sid = store.save_snapshot(pid, "第1周计划", LAYER, S.HOME, payload)
    saved = store.snapshot(sid)
    again = B.run_from_payload(saved["payload"])
    assert again.bins == run.bins and again.settings == run.settings
    assert B.targets_from_payload(saved["payload"])["每周新增线索"].tolist() == [50, 25, 10, 0]
    plan = B.snapshot_grades(saved["payload"], "公寓")
    suppressed = plan[plan["grade"] == G.INSUFFICIENT]
    assert suppressed["score"].isna().all()  # no counts or scores of small areas in a saved plan
    later = B.graded(facts, run, layer, Filters(product_line="公寓", start=SAMPLE_PROJECT["launch_date"]), layer)
    moves = G.compare(plan, later)
    assert (moves["change"] == "降级").any()
    assert (moves["change"] != "不变").sum() < len(moves)


def test_profile_against_project_average(sample):
    store, pid, _, facts, layer = sample
    visitors = store.visitors(pid)
    jinqiao = layer.loc[layer["area_name"] == "金桥", "area_id"].iloc[0]
    ids = visitors_in(facts, LAYER, jinqiao, S.HOME)
    table = B.profile(visitors, ids, S.AGE_BAND, 5)
    assert table["区域占比"].sum() == pytest.approx(1.0)
    assert table["项目平均"].sum() <= 1.0 + 1e-9
    assert B.profile(visitors, ids[:3], S.AGE_BAND, 5).empty  # too few people: no profile


def test_store_snapshots_and_sites(store):
    pid = store.create_project("测试", S.SHANGHAI, None, ["公寓"])
    payload = {"grades": {"": [{"area_id": "310115", "grade": "A"}]}, "bins": {}}
    sid = store.save_snapshot(pid, "计划一", S.LAYER_DISTRICTS, S.HOME, payload)
    with pytest.raises(ValueError, match="已有名为「计划一」"):
        store.save_snapshot(pid, "计划一", S.LAYER_DISTRICTS, S.HOME, payload)
    sid2 = store.save_snapshot(pid, "计划一", S.LAYER_DISTRICTS, S.WORK, payload, replace=True)
    snaps = store.snapshots(pid)
    assert snaps["name"].tolist() == ["计划一"] and snaps["dimension"].tolist() == [S.WORK]
    assert sid2 == sid and store.snapshot(sid)["payload"] == payload
    store.delete_snapshot(sid2)
    with pytest.raises(KeyError):
        store.snapshot(sid)
    assert store.snapshots(pid).empty
    with pytest.raises(ValueError, match="起个名字"):
        store.save_snapshot(pid, "  ", S.LAYER_DISTRICTS, S.HOME, payload)
    store.set_sites(pid, (121.6, 31.2), SAMPLE_COMPETITORS)
    project = store.project(pid)
    assert project.site_lng == 121.6 and [c["name"] for c in project.competitors][0].startswith("竞品甲")
    with pytest.raises(ValueError, match="填反"):
        store.set_sites(pid, None, [{"name": "反了", "lng": 31.2, "lat": 121.5}])
    with pytest.raises(ValueError, match="不是数字"):
        store.set_sites(pid, None, [{"name": "空", "lng": None, "lat": 31.2}])
    assert len(store.project(pid).competitors) == 3  # a refused edit changes nothing


def test_all_lines_in_one_pass_equal_one_line_at_a_time(sample):
    from mapping.analysis.facts import area_stats_by_line

    _, _, _, facts, layer = sample
    filters = Filters(channels=tuple(facts.channels[:2]), start=SAMPLE_PROJECT["launch_date"])
    together = area_stats_by_line(facts, LAYER, filters, layer)
    assert set(together) == {"", *facts.lines}
    for line in ["", *facts.lines]:
        alone = area_stats(facts, LAYER, replace(filters, product_line=line or None), layer)
        assert together[line].equals(alone), line


def test_runs_for_several_settings_equal_runs_fitted_one_by_one(sample):
    _, _, _, facts, layer = sample
    variants = [B.Settings(dimension=d) for d in G.DIMENSION_CHOICES]
    together = B.fit_runs(facts, LAYER, variants, Filters(), SAMPLE_PROJECT["product_lines"], layer)
    for run, settings in zip(together, variants):
        alone = B.fit_run(facts, LAYER, settings, Filters(), SAMPLE_PROJECT["product_lines"], layer)
        assert run.settings == settings and run.bins == alone.bins


def test_battle_map_draws_the_chosen_layers_and_says_what_it_withheld(sample, run):
    from maphtml import unescape

    from mapping.maps import battlemap as BM

    store, pid, _, facts, layer = sample
    table = B.graded(facts, run, layer, Filters(), layer)
    display = boundaries.load_layer(LAYER, display=True)
    sites = project_sites(store.project(pid))
    assert [s["kind"] for s in sites] == ["project", "competitor", "competitor", "competitor"]
    plain, notes = BM.battle_map(facts, run, table, display, Filters())
    assert notes == [] and "H3 六边形" not in unescape(plain.get_root().render())
    m, notes = BM.battle_map(facts, run, table, display, Filters(), layers={"hex", "heat", "points", "sites"},
                             sites=sites)
    html = unescape(m.get_root().render())
    for name in ("H3 六边形（8 级）", "热力图", "客户聚集点", "项目与竞品"):
        assert name in html
    assert any("少于 5 人的六边形不画" in n for n in notes)
