"""Score a resolver against a labelled set of place strings.

A row is **correct** when the resolver gives the true district (or, for an
ambiguous name, gives no district and lists the true candidates), **wrong** when
it gives another district, and **none** when it declines (unresolved or sent to
review).  A wrong district is worse than none: it sends a team to the wrong street.

There is one labelled set per city: ``tests/data/place_accuracy.csv`` for
Shanghai (the sample project's city) and ``tests/data/place_accuracy_<city>.csv``
for the others, all with the columns in :data:`COLUMNS`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from mapping import schema as S
from mapping.paths import ACCURACY_SET, GAZETTEER

CORRECT, WRONG, NONE = "correct", "wrong", "none"
AMBIGUOUS_OK = "ambiguous_ok"  # report column: share answered "ambiguous" with the expected candidates
OVERALL = "(全部)"
COLUMNS = ["text", "category", "true_adcode", "true_candidates", "outside", "source"]
CATEGORIES = ("district_full", "district_short", "historic", "town_street", "landmark", "business_area",
              "address", "typo", "traditional_fullwidth", "ambiguous", "outside_city", "junk")
MIN_ROWS = 120  # issue 12: at least 120 labelled strings per city
_CITY_FILE = re.compile(r"place_accuracy_(\d{6})\.csv")


def set_path(city: str = S.SHANGHAI) -> Path:
    """Path of the labelled set of ``city`` (a 6-digit city or municipality adcode)."""
    return ACCURACY_SET if city == S.SHANGHAI else ACCURACY_SET.with_name(f"place_accuracy_{city}.csv")


def labelled_cities() -> list[str]:
    """Cities that have a labelled set, Shanghai first, then by adcode."""
    found = sorted(m.group(1) for p in ACCURACY_SET.parent.glob("place_accuracy_*.csv")
                   if (m := _CITY_FILE.fullmatch(p.name)))
    shanghai = [S.SHANGHAI] if ACCURACY_SET.exists() else []
    return shanghai + [c for c in found if c != S.SHANGHAI]


def load_set(path: Path = ACCURACY_SET) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def load_city(city: str = S.SHANGHAI) -> pd.DataFrame:
    """The labelled set of ``city`` (see :func:`set_path`)."""
    path = set_path(city)
    if not path.exists():
        raise FileNotFoundError(f"no labelled set for city {city!r}: expected {path}; "
                                f"cities with one: {', '.join(labelled_cities())}")
    return load_set(path)


def problems(truth: pd.DataFrame, city: str) -> list[str]:
    """What is wrong with the labelled set ``truth`` of ``city``; empty when it is well-formed.

    Checks the columns, the row count (:data:`MIN_ROWS`), that every category of
    :data:`CATEGORIES` is present and no other, that texts are unique, that every
    adcode and candidate is a unit of ``data/gazetteer/districts_cn.csv``, and that
    labels fit their category (inside rows in ``city``, outside rows not, ambiguous
    rows with two or more candidates and no adcode, junk rows with neither).
    """
    if list(truth.columns) != COLUMNS:
        return [f"columns are {list(truth.columns)}, expected {COLUMNS}"]
    return [*_shape_problems(truth), *_label_problems(truth, city)]


def _shape_problems(truth: pd.DataFrame) -> list[str]:
    found = set(truth["category"])
    out = []
    if len(truth) < MIN_ROWS:
        out.append(f"{len(truth)} rows, at least {MIN_ROWS} needed")
    if missing := [c for c in CATEGORIES if c not in found]:
        out.append(f"categories missing: {missing}")
    if unknown := sorted(found - set(CATEGORIES)):
        out.append(f"unknown categories: {unknown}")
    if dup := truth.loc[truth["text"].duplicated(), "text"].tolist():
        out.append(f"texts repeated: {dup}")
    if bad := truth.loc[~truth["outside"].isin(["0", "1"]), "text"].tolist():
        out.append(f"outside is not 0/1 for: {bad}")
    if bad := truth.loc[truth["source"].str.strip() == "", "text"].tolist():
        out.append(f"no source for: {bad}")
    return out


def _label_problems(truth: pd.DataFrame, city: str) -> list[str]:
    known = _admin_codes()
    prefix = city[:4] if city[2:4] != "00" else city[:2]  # as gazetteer.city_prefix, without loading it
    code, outside, cat = truth["true_adcode"], truth["outside"] == "1", truth["category"]
    cands = truth["true_candidates"].map(lambda c: [x for x in c.split("|") if x])
    rules = {
        "adcode not in districts_cn.csv": (code != "") & ~code.isin(known),
        "candidate not in districts_cn.csv": cands.map(lambda cs: any(c not in known for c in cs)),
        "inside row whose adcode is not in the city": ~outside & (code != "") & ~code.str.startswith(prefix),
        "outside row whose adcode is in the city": outside & code.str.startswith(prefix),
        "outside_city row not flagged outside (or the reverse)": (cat == "outside_city") != outside,
        "ambiguous row without 2+ candidates or with an adcode":
            (cat == "ambiguous") & ((code != "") | (cands.map(lambda cs: len(set(cs))) < 2)),
        "junk row with a label": (cat == "junk") & ((code != "") | (cands.map(len) > 0)),
        "row that should name a district but has none, or has candidates":
            ~cat.isin(["ambiguous", "junk", "outside_city"]) & ((code == "") | (cands.map(len) > 0)),
    }
    return [f"{rule}: {truth.loc[mask, 'text'].tolist()}" for rule, mask in rules.items() if mask.any()]


def _admin_codes() -> set[str]:
    return set(pd.read_csv(GAZETTEER / "districts_cn.csv", dtype=str, usecols=["adcode"])["adcode"])


def verdicts(truth: pd.DataFrame, adcodes, candidates=None) -> pd.Series:
    """correct / wrong / none for each row of ``truth`` given the resolver's answers."""
    got = pd.Series(list(adcodes), index=truth.index, dtype=object).fillna("")
    cands = pd.Series(list(candidates) if candidates is not None else [""] * len(truth), index=truth.index,
                      dtype=object).fillna("")
    out = []
    for (_, row), answer, listed in zip(truth.iterrows(), got, cands):
        expected = set(filter(None, row["true_candidates"].split("|")))
        if row["category"] == "ambiguous":
            if answer:
                out.append(NONE if answer in expected else WRONG)
            else:
                out.append(CORRECT if expected <= set(listed.split("|")) else NONE)
        elif not row["true_adcode"]:
            out.append(CORRECT if not answer else WRONG)
        else:
            out.append(CORRECT if answer == row["true_adcode"] else NONE if not answer else WRONG)
    return pd.Series(out, index=truth.index)


def report(truth: pd.DataFrame, verdict: pd.Series) -> pd.DataFrame:
    """Share correct / wrong / none per category and overall, with ``n`` rows.

    :data:`AMBIGUOUS_OK` is the share answered "ambiguous" with the expected
    candidates: the correct rows of the ``ambiguous`` category (part of ``correct``).
    """
    table = pd.crosstab(truth["category"], verdict, normalize="index").reindex(
        columns=[CORRECT, WRONG, NONE], fill_value=0.0)
    table.loc[OVERALL] = verdict.value_counts(normalize=True).reindex([CORRECT, WRONG, NONE], fill_value=0.0)
    ambiguous_ok = (truth["category"] == "ambiguous") & (verdict == CORRECT)
    table[AMBIGUOUS_OK] = [*ambiguous_ok.groupby(truth["category"]).mean().reindex(table.index[:-1]),
                           ambiguous_ok.mean()]
    table["n"] = list(truth["category"].value_counts().reindex(table.index[:-1])) + [len(truth)]
    return table
