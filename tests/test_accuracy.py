"""Resolution accuracy on the labelled sets (tests/data/place_accuracy.csv and place_accuracy_<city>.csv)."""

import pandas as pd
import pytest

from mapping.place import accuracy
from mapping.place.resolve import resolve_texts

# Issue 12: a labelled set per city, each resolved with the city as context.
CITIES = ["110000", "320500", "330100", "420100", "440100", "440300", "510100", "500000", "320100", "610100"]
TARGET_CORRECT, TARGET_WRONG = 0.95, 0.01
# A city below the target while its gazetteer is being built: city -> "xx.x % correct, y.y % wrong (date)",
# measured with bench/accuracy_report.py; its test is then an xfail.  Empty: every city met the target on
# 2026-12-06 19:00 UTC (six were below it at 18:06 UTC, before their landmark files and resolver rules landed).
# 500000, 320100 and 610100 are held-out sets, written blind and committed before they were first measured.
BELOW_TARGET: dict[str, str] = {
    "500000": "91.9 % correct, 1.3 % wrong (2026-12-06, held-out set)",
    "320100": "94.0 % correct, 0.0 % wrong (2026-12-06, held-out set)",
}


def _city(city: str):
    if city not in BELOW_TARGET:
        return pytest.param(city, id=city)
    reason = f"below the issue-12 target today: {BELOW_TARGET[city]}"
    return pytest.param(city, marks=pytest.mark.xfail(reason=reason, strict=False), id=city)


def _table(truth: pd.DataFrame, city: str) -> pd.DataFrame:
    result = resolve_texts(truth["text"].tolist(), city)
    return accuracy.report(truth, accuracy.verdicts(truth, result["adcode"], result["candidates"]))


def test_accuracy_targets():
    truth = accuracy.load_set()
    assert len(truth) >= 300
    table = _table(truth, "310000")
    overall = table.loc["(全部)"]
    assert overall["correct"] >= 0.97, table
    assert overall["wrong"] <= 0.01, table


@pytest.mark.parametrize("city", [_city(c) for c in CITIES])
def test_city_accuracy_targets(city):
    table = _table(accuracy.load_city(city), city)
    overall = table.loc[accuracy.OVERALL]
    assert overall["correct"] >= TARGET_CORRECT, table
    assert overall["wrong"] <= TARGET_WRONG, table


def test_every_city_has_its_set():
    assert set(accuracy.labelled_cities()) >= {"310000", *CITIES}
    assert accuracy.labelled_cities()[0] == "310000"
    assert accuracy.set_path("510100").name == "place_accuracy_510100.csv"
    with pytest.raises(FileNotFoundError, match="no labelled set for city '999900'"):
        accuracy.load_city("999900")


@pytest.mark.parametrize("city", ["310000", *CITIES])
def test_labelled_set_is_well_formed(city):
    assert accuracy.problems(accuracy.load_city(city), city) == []


def _good_set(city="510100") -> pd.DataFrame:
    rows = [[f"锦江区{i}号", cat, "510104", "", "0", "constructed"] for i, cat in enumerate(accuracy.CATEGORIES)
            for _ in range(10)]
    frame = pd.DataFrame(rows, columns=accuracy.COLUMNS)
    frame["text"] = [f"{t}-{i}" for i, t in enumerate(frame["text"])]
    frame.loc[frame["category"] == "ambiguous", ["true_adcode", "true_candidates"]] = ["", "510107|510117"]
    frame.loc[frame["category"] == "junk", "true_adcode"] = ""
    frame.loc[frame["category"] == "outside_city", ["true_adcode", "outside"]] = ["510600", "1"]
    return frame


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns="source"), "columns are"),
    (lambda f: f.iloc[:100], "100 rows, at least 120"),
    (lambda f: f[f["category"] != "junk"], "categories missing: ['junk']"),
    (lambda f: f.assign(category=f["category"].replace("typo", "misspelt")), "unknown categories: ['misspelt']"),
    (lambda f: f.assign(text="锦江区"), "texts repeated"),
    (lambda f: f.assign(true_adcode=f["true_adcode"].replace("510104", "510199")), "adcode not in districts_cn"),
    (lambda f: f.assign(true_adcode=f["true_adcode"].replace("510104", "310115")), "inside row whose adcode is not"),
    (lambda f: f.assign(true_adcode=f["true_adcode"].replace("510600", "510104")), "outside row whose adcode is in"),
    (lambda f: f.assign(true_candidates=f["true_candidates"].replace("510107|510117", "510107")),
     "ambiguous row without 2+ candidates"),
    (lambda f: f.assign(true_candidates=f["true_candidates"].replace("510107|510117", "510107|519999")),
     "candidate not in districts_cn"),
])
def test_problems_finds_a_malformed_set(change, message):
    assert accuracy.problems(_good_set(), "510100") == []
    found = accuracy.problems(change(_good_set()), "510100")
    assert any(message in p for p in found), found


def test_verdict_rules():
    truth = pd.DataFrame({"category": ["district_full", "district_full", "ambiguous", "junk", "ambiguous"],
                          "true_adcode": ["310115", "310115", "", "", ""],
                          "true_candidates": ["", "", "310105|310112", "", "310105|310112"]})
    got = ["310115", "310104", "", "", "310104"]
    cands = ["", "", "310105|310112|310104", "", ""]
    assert accuracy.verdicts(truth, got, cands).tolist() == ["correct", "wrong", "correct", "correct", "wrong"]


def test_report_shares_and_ambiguous_as_expected():
    truth = pd.DataFrame({"category": ["ambiguous", "ambiguous", "junk", "typo"],
                          "true_adcode": ["", "", "", "310115"],
                          "true_candidates": ["310105|310112", "310105|310112", "", ""]})
    verdict = accuracy.verdicts(truth, ["", "310105", "", "310104"], ["310105|310112", "", "", ""])
    table = accuracy.report(truth, verdict)
    assert table.loc["ambiguous", ["correct", "none", accuracy.AMBIGUOUS_OK, "n"]].tolist() == [0.5, 0.5, 0.5, 2]
    assert table.loc["typo", ["wrong", accuracy.AMBIGUOUS_OK]].tolist() == [1.0, 0.0]
    assert table.loc[accuracy.OVERALL, ["correct", "wrong", "none", accuracy.AMBIGUOUS_OK, "n"]].tolist() == \
        [0.5, 0.25, 0.25, 0.25, 4]
