"""prepare's column-wise row hashes equal the row-at-a-time ones (stored hashes must not change)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from mapping import importer
from mapping.bootstrap import SAMPLE_PROJECT
from mapping.db.store import VISITOR_FIELDS
from mapping.ingest.keys import PiiSecret
from mapping.ingest.tables import auto_map, read_table, validate

ROOT = Path(__file__).resolve().parent.parent


def _generated(n: int) -> pd.DataFrame:
    spec = importlib.util.spec_from_file_location("gen", ROOT / "data" / "samples" / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    table = read_table(gen.csv_bytes(gen.generate(rows=n, seed=5), "utf-8-sig"), "v.csv")
    result = validate(table, auto_map(table.frame.columns), PiiSecret(bytes(32), "s"),
                      product_lines=tuple(SAMPLE_PROJECT["product_lines"]))
    return result.records


def test_row_hashes_of_generated_visitors_equal_the_row_at_a_time_ones():
    prepared = importer.prepare(_generated(3000))
    assert prepared["row_hash"].tolist() == importer._row_hashes_reference(prepared)


def test_row_hashes_of_awkward_values_equal_the_row_at_a_time_ones():
    records = importer.prepare(_generated(12))
    n = len(records)
    awkward_floats = [121.0, 1e-05, 1e16, -0.0, float("nan"), 31.123456789012, 0.1 + 0.2, 5e-324, 1.5, 2.0, 3.25, 7.0]
    records["home_lng"] = awkward_floats[:n]
    records["deal_amount"] = pd.Series([None, 1, 2.5, "x", 3, None, 4, 5, 6, 7, 8, 9][:n], dtype=object)
    records["channel"] = pd.Series(["线上", None, float("nan"), 1, 1.0, True, "", "a\x1fb", "线上", "x", "y", "z"][:n],
                                   dtype=object)
    records["visit_date"] = pd.Series([dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, 12), None, pd.Timestamp("2024-01-02"),
                                       *[dt.date(2024, 2, i + 1) for i in range(8)]][:n], dtype=object)
    records["deal"] = np.arange(n) % 2 == 0
    records["team"] = pd.Series(["", "A组", None, "", "B", "", "", "C", "", "", "", "D"][:n], dtype=object)
    records["home_text"] = pd.Series(["浦东", None, "", "「引号」,逗号", *["金桥"] * 8][:n], dtype="str")
    expected = importer._row_hashes_reference(records)
    assert importer.prepare(records)["row_hash"].tolist() == expected
    assert set(VISITOR_FIELDS) <= set(records.columns)
