"""Score a resolver against a labelled set of place strings.

A row is **correct** when the resolver gives the true district (or, for an
ambiguous name, gives no district and lists the true candidates), **wrong** when
it gives another district, and **none** when it declines (unresolved or sent to
review).  A wrong district is worse than none: it sends a team to the wrong street.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mapping.paths import ACCURACY_SET

CORRECT, WRONG, NONE = "correct", "wrong", "none"


def load_set(path: Path = ACCURACY_SET) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


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
    """Share correct / wrong / none per category and overall."""
    table = pd.crosstab(truth["category"], verdict, normalize="index").reindex(
        columns=[CORRECT, WRONG, NONE], fill_value=0.0)
    table.loc["(全部)"] = verdict.value_counts(normalize=True).reindex([CORRECT, WRONG, NONE], fill_value=0.0)
    table["n"] = list(truth["category"].value_counts().reindex(table.index[:-1])) + [len(truth)]
    return table
