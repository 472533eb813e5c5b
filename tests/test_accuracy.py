"""Resolution accuracy on the labelled set (tests/data/place_accuracy.csv)."""

from mapping.place import accuracy
from mapping.place.resolve import resolve_texts


def test_accuracy_targets():
    truth = accuracy.load_set()
    assert len(truth) >= 300
    result = resolve_texts(truth["text"].tolist())
    verdict = accuracy.verdicts(truth, result["adcode"], result["candidates"])
    table = accuracy.report(truth, verdict)
    overall = table.loc["(全部)"]
    assert overall["correct"] >= 0.97, table
    assert overall["wrong"] <= 0.01, table


def test_verdict_rules():
    import pandas as pd
    truth = pd.DataFrame({"category": ["district_full", "district_full", "ambiguous", "junk", "ambiguous"],
                          "true_adcode": ["310115", "310115", "", "", ""],
                          "true_candidates": ["", "", "310105|310112", "", "310105|310112"]})
    got = ["310115", "310104", "", "", "310104"]
    cands = ["", "", "310105|310112|310104", "", ""]
    assert accuracy.verdicts(truth, got, cands).tolist() == ["correct", "wrong", "correct", "correct", "wrong"]
