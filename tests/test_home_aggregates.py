"""The home page's figures counted by the database (Store.summary / weekly / location_groups)
are the figures the pandas computation over every row gave, on SQLite and PostgreSQL."""

import pandas as pd
import pytest

from mapping import schema as S
from mapping.analysis import aggregate
from mapping.analysis.facts import Facts, coverage
from mapping.bootstrap import SAMPLE_PROJECT, load_sample
from mapping.geo.boundaries import load_layer


@pytest.fixture
def sample(store):
    return store, load_sample(store)


def test_sql_aggregates_match_the_pandas_figures(sample):
    store, pid = sample
    visitors, locations = store.visitors(pid), store.locations(pid)

    assert store.summary(pid) == aggregate.headline(visitors, locations)

    old = aggregate.weekly(visitors)
    new = aggregate.weekly_from_days(store.weekly(pid))
    pd.testing.assert_frame_equal(new, old, check_dtype=False)
    assert int(new["到访"].sum()) == len(visitors) and len(new) > 10

    groups = store.location_groups(pid)
    assert int(groups["n"].sum()) == len(locations) and len(groups) < len(locations)
    facts = Facts.build(locations, SAMPLE_PROJECT["city_adcode"])
    for key in ("districts_bankuai", "districts", "h3:8"):
        layer = None if key.startswith("h3:") else load_layer(key)
        facts.areas(key, layer)
        expected = {d: coverage(facts, key, d) for d in S.DIMENSIONS}
        assert aggregate.grouped_coverages(groups, key, layer) == expected, key
    assert expected["home"].placed > 0


def test_the_store_knows_what_a_blank_location_is():
    from mapping.db import store as db
    from mapping.place.resolve import METHOD_EMPTY

    assert db.METHOD_EMPTY == METHOD_EMPTY


def test_an_empty_project_counts_zero(store):
    pid = store.create_project(**SAMPLE_PROJECT)
    figures = store.summary(pid)
    assert (figures["visitors"], figures["deals"], figures["conversion"]) == (0, 0, 0.0)
    assert figures["resolved"]["home"] == {"given": 0, "resolved": 0, "share": 0.0}
    assert aggregate.weekly_from_days(store.weekly(pid)).empty
    assert store.location_groups(pid).empty


def test_one_pass_gives_the_figures_of_the_separate_queries(sample):
    """The home page reads the locations once (Store.location_groups): the shares, the counts per
    county and the coverage summed from those groups equal the separate GROUP BY queries and the
    row-by-row coverage."""
    store, pid = sample
    groups = store.location_groups(pid)
    locations = store.locations(pid)
    assert int(groups["n"].sum()) == len(locations)
    assert store.summary(pid, groups=groups) == store.summary(pid)
    counts = store.adcode_counts_of(groups)
    assert counts == store.adcode_counts(pid) and sum(counts.values()) > 0
    unlocated = groups["lng"].isna()
    assert unlocated.any() and (~unlocated).any()  # both kinds are in the one pass
    assert groups.loc[unlocated, "lat"].isna().all()
    facts = Facts.build(locations, SAMPLE_PROJECT["city_adcode"])
    for key in ("districts_bankuai", "h3:8"):
        layer = None if key.startswith("h3:") else load_layer(key)
        facts.areas(key, layer)
        assert aggregate.grouped_coverages(groups, key, layer) == {d: coverage(facts, key, d) for d in S.DIMENSIONS}


def test_one_pass_of_an_empty_project(store):
    pid = store.create_project(**SAMPLE_PROJECT)
    groups = store.location_groups(pid)
    assert groups.empty and store.adcode_counts_of(groups) == {}
    assert store.summary(pid, groups=groups) == store.summary(pid)


def test_placing_on_codes_is_placing_by_area_id(sample):
    """aggregate.place_index (what Facts and the home page's coverage use) says what place / remainder say,
    row by row, on the sample's locations plus odd rows: a point outside every area, a point with no
    district, a district-only row of a split and of a whole district, an outside row, a missing code."""
    import numpy as np

    store, pid = sample
    rows = store.locations(pid)[["lng", "lat", "adcode", "outside"]]
    odd = pd.DataFrame({"lng": [100.0, 121.5, np.nan, np.nan, np.nan, 121.5], "lat": [20.0, 31.2, np.nan, np.nan,
                                                                                     np.nan, 31.2],
                        "adcode": ["310115", "", "310115", "310104", "310115", None],
                        "outside": [False, False, False, False, True, False]})
    rows = pd.concat([rows, odd], ignore_index=True)
    rows["adcode"] = rows["adcode"].fillna("")
    for key in ("districts_bankuai", "districts"):
        layer = load_layer(key)
        ids, index, rest = aggregate.place_index(rows["lng"].to_numpy(float), rows["lat"].to_numpy(float),
                                                 rows["adcode"].to_numpy(object), rows["outside"].to_numpy(bool),
                                                 layer)
        placed = aggregate.place(rows, layer)
        by_id = np.where(index >= 0, np.asarray(ids + [""], dtype=object)[index], "")
        assert by_id.tolist() == placed.tolist(), key
        assert rest.tolist() == (aggregate.remainder(rows, layer, placed) != "").tolist(), key
        assert 0 < int((index >= 0).sum()) < len(rows)
    assert rest.sum() == 0 and index[-5] == -1  # districts: no split; the row without a district is nowhere
    cat = pd.Categorical(rows["adcode"].replace("", None))  # a categorical column with missing codes: the same
    assert (aggregate.place_index(rows["lng"].to_numpy(float), rows["lat"].to_numpy(float), cat,
                                  rows["outside"].to_numpy(bool), layer)[1] == index).all()
