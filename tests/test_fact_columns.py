"""Facts built from the compact columns the database returns (Store.fact_columns, Facts.from_columns)
are the facts Facts.build gives from every location row, on SQLite and PostgreSQL."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from mapping import schema as S
from mapping.analysis.facts import (
    Facts,
    Filters,
    area_stats,
    coverage,
    top_places,
    visitors_in,
)
from mapping.bootstrap import SAMPLE_PROJECT, load_sample
from mapping.db.models import Location
from mapping.geo.boundaries import load_layer

ARRAYS = ("visitor", "dim", "line", "channel", "intention", "day", "deal", "deal_day", "deal_line", "high",
          "lng", "lat", "adcode", "town_code", "given", "resolved", "outside")


def _canonical(facts: Facts) -> dict:
    """Every per-row array decoded to values, rows in (visitor, dimension) order."""
    order = np.lexsort((facts.dim, facts.visitor))
    out = {}
    for name in ARRAYS:
        values = getattr(facts, name)[order]
        vocab = {"line": facts.lines_all, "channel": facts.channels_all, "intention": facts.intentions_all,
                 "deal_line": facts.deal_lines_all}.get(name)
        out[name] = np.asarray(vocab, dtype=object)[values] if vocab is not None else values
    labels = np.asarray([*facts.labels, ""], dtype=object)
    out["label"] = labels[facts.label[order]]
    return out


def assert_same_facts(new: Facts, old: Facts) -> None:
    assert len(new) == len(old)
    assert (new.lines_all, new.channels_all, new.intentions_all, new.deal_lines_all, new.labels) == \
        (old.lines_all, old.channels_all, old.intentions_all, old.deal_lines_all, old.labels)
    a, b = _canonical(new), _canonical(old)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.fixture
def sample(store):
    return store, load_sample(store)


def test_facts_from_the_database_columns_are_the_facts_of_every_row(sample):
    store, pid = sample
    city = SAMPLE_PROJECT["city_adcode"]
    old = Facts.build(store.locations(pid), city)
    new = Facts.from_columns(store.fact_columns(pid), city)
    assert_same_facts(new, old)
    line = old.lines[0]
    for key in ("districts_bankuai", "h3:8"):
        layer = None if key.startswith("h3:") else load_layer(key)
        for filters in (Filters(), Filters(product_line=line, channels=tuple(old.channels[:1]))):
            pd.testing.assert_frame_equal(area_stats(new, key, filters, layer), area_stats(old, key, filters, layer))
            for dim in S.DIMENSIONS:
                assert coverage(new, key, dim, filters) == coverage(old, key, dim, filters)
        ids, index = old.areas(key)
        busiest = ids[int(np.bincount(index[index >= 0]).argmax())]
        pd.testing.assert_frame_equal(top_places(new, key, busiest, "home"), top_places(old, key, busiest, "home"))
        np.testing.assert_array_equal(visitors_in(new, key, busiest, None), visitors_in(old, key, busiest, None))


def test_odd_values_come_back_exactly(sample):
    """Coordinates below 1° and none, text holding the separator the SQLite read joins with."""
    store, pid = sample
    with store.engine.begin() as conn:
        ids = [r[0] for r in conn.execute(Location.__table__.select().where(Location.dimension == "home")
                                          .with_only_columns(Location.visitor_id).limit(4))]
        points = [(0.123456789012345678, -0.000987654321), (-179.999999999999, 89.1234567890123), (None, None),
                  (121.47370123456789, 31.230416987654321)]
        for vid, (x, y) in zip(ids, points):
            conn.execute(Location.__table__.update().where(Location.visitor_id == vid, Location.dimension == "home")
                         .values(lng=x, lat=y))
    city = SAMPLE_PROJECT["city_adcode"]
    cols = store.fact_columns(pid)
    for vid, (x, y) in zip(ids, points):
        row = cols[(cols["visitor_id"] == vid) & (cols["dim"] == S.DIMENSIONS.index("home"))].iloc[0]
        assert (np.isnan(row["lng"]) and x is None) or row["lng"] == x
        assert (np.isnan(row["lat"]) and y is None) or row["lat"] == y
    assert_same_facts(Facts.from_columns(cols, city), Facts.build(store.locations(pid), city))

    from mapping.db.models import Visitor
    with store.engine.begin() as conn:
        conn.execute(Visitor.__table__.update().where(Visitor.id == ids[0]).values(channel="拓客\x1f渠道"))
    new, old = Facts.from_columns(store.fact_columns(pid), city), Facts.build(store.locations(pid), city)
    assert "拓客\x1f渠道" in new.channels
    assert_same_facts(new, old)


@pytest.mark.parametrize("town", ["012345678", "31011500X"])
def test_codes_come_back_as_written(sample, town):
    """Town codes and adcodes travel as integers on SQLite: leading zeros kept, a code that is not
    all digits read row by row."""
    store, pid = sample
    with store.engine.begin() as conn:
        conn.execute(Location.__table__.update().where(Location.dimension == "work").values(town_code=town))
    city = SAMPLE_PROJECT["city_adcode"]
    new = Facts.from_columns(store.fact_columns(pid), city)
    assert town in set(new.town_code)
    assert_same_facts(new, Facts.build(store.locations(pid), city))
    groups = store.location_groups(pid)
    assert int(groups["n"].sum()) == len(new)


def test_an_empty_project_has_no_facts(store):
    pid = store.create_project(**SAMPLE_PROJECT)
    facts = Facts.from_columns(store.fact_columns(pid), SAMPLE_PROJECT["city_adcode"])
    assert len(facts) == 0 and facts.lines == [] and facts.date_range() is None


def test_dates_are_day_numbers(store):
    pid = load_sample(store)
    cols = store.fact_columns(pid)
    loc = store.locations(pid)
    first = pd.to_datetime(loc["visit_date"]).min().date()
    assert (dt.date(1970, 1, 1) + dt.timedelta(days=int(cols["day"][cols["day"] > 0].min()))) == first
