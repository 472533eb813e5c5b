"""Resolution accuracy per city and category: our resolver next to the common offline parser (cpca).

Usage::

    .venv/bin/python bench/accuracy_report.py                  # every city with a labelled set
    .venv/bin/python bench/accuracy_report.py --city 510100    # one city (repeat --city for more)
    .venv/bin/python bench/accuracy_report.py --markdown       # the per-city summary as a Markdown table

Needs ``cpca==0.5.5`` (MIT, in requirements-dev.txt); without it only our columns are shown.

The labelled sets are ``tests/data/place_accuracy.csv`` (Shanghai) and
``tests/data/place_accuracy_<city>.csv``.  Ours resolves each set with the
project's city as context (``resolve_texts(texts, city)``); cpca has no such
option and gets the strings as they are.  cpca returns an adcode at province,
city or district level; only a 6-digit district code ending in anything but
"00" counts as giving a district, and an answer it gives for a junk or
ambiguous string counts as wrong, exactly as ours.  Columns: correct, wrong,
none (no district given: unresolved, sent to review, or one of an ambiguous
name's districts picked), amb ok (answered "ambiguous" with the expected
candidates; part of correct).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mapping.paths import GAZETTEER
from mapping.place import accuracy
from mapping.place.resolve import resolve_texts

SHARES = {accuracy.CORRECT: "correct", accuracy.WRONG: "wrong", accuracy.NONE: "none", accuracy.AMBIGUOUS_OK: "amb ok"}


def ours(texts: list[str], city: str) -> tuple[pd.Series, pd.Series]:
    result = resolve_texts(texts, city)
    return result["adcode"], result["candidates"]


def cpca_answers(texts: list[str]) -> pd.Series:
    import cpca

    frame = cpca.transform(texts)
    codes = frame["adcode"].fillna("").astype(str).str.slice(0, 6)
    return codes.where(~codes.str.endswith("00") & (codes.str.len() == 6), "")


def city_tables(city: str) -> tuple[pd.DataFrame, dict[str, float]]:
    """Per-category shares (%) for ours and cpca side by side, and the seconds each took."""
    truth = accuracy.load_city(city)
    texts = truth["text"].tolist()
    start = time.perf_counter()
    adcodes, candidates = ours(texts, city)
    seconds = {"ours": time.perf_counter() - start}
    tables = {"拓客图": accuracy.report(truth, accuracy.verdicts(truth, adcodes, candidates))}
    try:
        start = time.perf_counter()
        theirs = cpca_answers(texts)
        seconds["cpca"] = time.perf_counter() - start
        tables["cpca"] = accuracy.report(truth, accuracy.verdicts(truth, theirs))
    except ImportError:
        pass
    table = pd.DataFrame({"n": tables["拓客图"]["n"]})
    for who, shares in tables.items():
        for column, label in SHARES.items():
            table[f"{who} {label}"] = (shares[column] * 100).round(1)
    return table, seconds


def summary(tables: dict[str, pd.DataFrame], names: dict[str, str]) -> pd.DataFrame:
    """One row per city: its overall row."""
    rows = {f"{names.get(city, city)} {city}": table.loc[accuracy.OVERALL] for city, table in tables.items()}
    frame = pd.DataFrame(rows).T
    frame["n"] = frame["n"].astype(int)
    return frame


def markdown(frame: pd.DataFrame) -> str:
    """``frame`` as a Markdown table (pandas' ``to_markdown`` needs tabulate, not installed)."""
    header = ["", *map(str, frame.columns)]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "--:|" * len(frame.columns)]
    for label, row in zip(frame.index, frame.itertuples(index=False)):
        cells = [str(v) if column == "n" else f"{v:.1f}" for column, v in zip(frame.columns, row)]
        lines.append("| " + " | ".join([str(label), *cells]) + " |")
    return "\n".join(lines)


def city_names() -> dict[str, str]:
    table = pd.read_csv(GAZETTEER / "districts_cn.csv", dtype=str, usecols=["adcode", "name"])
    return dict(zip(table["adcode"], table["name"]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--city", action="append", help="6-digit city adcode (default: every labelled city)")
    parser.add_argument("--markdown", action="store_true", help="print the per-city summary as Markdown")
    args = parser.parse_args(argv)
    cities = args.city or accuracy.labelled_cities()
    names = city_names()
    tables = {}
    for city in cities:
        table, seconds = city_tables(city)
        tables[city] = table
        timing = ", ".join(f"{who} {s:.2f} s" for who, s in seconds.items())
        print(f"\n{names.get(city, city)} {city}: {table['n'].iloc[-1]} labelled strings; {timing} "
              f"(ours includes loading the city's gazetteer)")
        print(table.to_string())
    overall = summary(tables, names)
    print("\nPer city, all categories (%):")
    print(markdown(overall) if args.markdown else overall.to_string())


if __name__ == "__main__":
    main()
