"""Resolution accuracy by category: our resolver next to the common offline parser (cpca).

Usage: .venv/bin/python bench/accuracy_report.py   (needs `pip install cpca==0.5.5`, MIT)

cpca returns an adcode at province, city or district level; only a 6-digit
district code ending in anything but "00" counts as giving a district, and an
answer it gives for a junk or ambiguous string counts as wrong, exactly as ours.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mapping.place import accuracy  # noqa: E402
from mapping.place.resolve import resolve_texts  # noqa: E402


def ours(texts: list[str]) -> tuple[pd.Series, pd.Series]:
    result = resolve_texts(texts)
    return result["adcode"], result["candidates"]


def cpca_answers(texts: list[str]) -> pd.Series:
    import cpca

    frame = cpca.transform(texts)
    codes = frame["adcode"].fillna("").astype(str).str.slice(0, 6)
    return codes.where(~codes.str.endswith("00") & (codes.str.len() == 6), "")


def main() -> None:
    truth = accuracy.load_set()
    texts = truth["text"].tolist()
    start = time.perf_counter()
    adcodes, candidates = ours(texts)
    ours_s = time.perf_counter() - start
    ours_table = accuracy.report(truth, accuracy.verdicts(truth, adcodes, candidates))
    try:
        start = time.perf_counter()
        theirs = cpca_answers(texts)
        cpca_s = time.perf_counter() - start
        cpca_table = accuracy.report(truth, accuracy.verdicts(truth, theirs))
    except ImportError:
        cpca_table, cpca_s = None, 0.0
    table = pd.DataFrame({"n": ours_table["n"], "拓客图 correct": ours_table["correct"],
                          "拓客图 wrong": ours_table["wrong"]})
    if cpca_table is not None:
        table["cpca correct"] = cpca_table["correct"]
        table["cpca wrong"] = cpca_table["wrong"]
    pct = [c for c in table.columns if c != "n"]
    table[pct] = (table[pct] * 100).round(1)
    print(f"{len(truth)} labelled strings; ours {ours_s:.2f} s (includes loading the gazetteer), cpca {cpca_s:.2f} s")
    print(table.to_string())


if __name__ == "__main__":
    main()
