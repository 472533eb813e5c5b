"""Category codes in Facts: wide enough for any number of distinct channels (no int16 wrap-around)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from mapping.analysis.facts import Facts, Filters, _codes

N = 40_000  # more than int16 holds (32,767)


def test_codes_beyond_int16_are_distinct_and_correct():
    values = pd.Series([f"渠道{i:05d}" for i in range(N)] + [None, "渠道39999"])
    codes, vocabulary = _codes(values)
    assert codes.dtype == np.int32
    assert len(vocabulary) == N + 1  # "" for the missing one
    assert len(np.unique(codes[:N])) == N
    assert codes.min() >= 0
    decoded = np.asarray(vocabulary, dtype=object)[codes]
    assert decoded.tolist() == values.fillna("").tolist()


def test_small_vocabularies_stay_int16():
    codes, vocabulary = _codes(pd.Series(["公寓", "洋房", None, "公寓"]))
    assert codes.dtype == np.int16
    assert vocabulary == ["", "公寓", "洋房"]
    assert codes.tolist() == [1, 2, 0, 1]


def test_facts_filter_by_one_of_40000_channels():
    n = N + 2
    rows = pd.DataFrame({
        "visitor_id": np.arange(n), "dimension": ["home"] * n, "adcode": ["310115"] * n,
        "lng": [None] * n, "lat": [None] * n, "method": ["district_name"] * n, "town_code": [""] * n,
        "outside": [False] * n, "product_line": ["公寓"] * n, "intention": ["A"] * n,
        "channel": [f"渠道{i:05d}" for i in range(N)] + ["渠道39999", "渠道00007"],
        "visit_date": [dt.date(2024, 3, 1)] * n, "deal": [False] * n, "deal_date": [None] * n,
        "deal_product_line": [""] * n,
    })
    facts = Facts.build(rows)
    assert len(facts.channels) == N
    for channel, expected in [("渠道39999", [39999, 40000]), ("渠道00007", [7, 40001]), ("渠道32768", [32768])]:
        keep = facts.mask(Filters(channels=(channel,)))
        assert facts.visitor[keep].tolist() == expected
