"""Corrections of place names: the review queue, a saved alias, and re-resolving what it changes.

The review page lists the strings a person should look at (unresolved,
ambiguous, conflicting, fuzzy), by visitors carried; choosing a place saves an
alias for the city and re-resolves every affected location of every project in
that city at once.  The store reads and writes; resolving happens here.
"""

from __future__ import annotations

import pandas as pd

from mapping import schema as S
from mapping.db.store import Store
from mapping.place.placetext import normalise
from mapping.place.resolve import REVIEW_METHODS, resolve_texts

QUEUE_COLUMNS = ["text", "visitors", "dimensions", "method", "candidates"]


def review_queue(store: Store, project_id: int) -> pd.DataFrame:
    """Strings that need a person, one row per normalised string, most visitors first."""
    rows = store.locations_by_method(project_id, REVIEW_METHODS)
    if rows.empty:
        return pd.DataFrame(columns=QUEUE_COLUMNS)
    rows["key"] = rows["text"].map(normalise)
    out = rows.groupby("key").agg(
        text=("text", "first"), visitors=("text", "size"),
        dimensions=("dimension", lambda d: ",".join(sorted(set(d)))),
        method=("method", "first"), candidates=("candidates", "first"),
    ).reset_index(drop=True)
    return out.sort_values(["visitors", "text"], ascending=[False, True]).reset_index(drop=True)


def save_alias(store: Store, city: str, text: str, adcode: str, lng: float | None = None,
               lat: float | None = None, label: str = "") -> int:
    """Save "``text`` means this place" and re-resolve every affected visitor at once.

    Returns how many locations changed.
    """
    key = normalise(text)
    if not key:
        raise ValueError("地名为空，无法保存对应关系")
    if not (len(adcode) == 6 and adcode.isdigit()):
        raise ValueError(f"区县代码应为 6 位数字，收到「{adcode}」")
    store.put_alias(city, key, adcode, lng, lat, label)
    return reresolve(store, city, [key])


def reresolve(store: Store, city: str, texts: list[str]) -> int:
    """Resolve again the text locations (without coordinates) whose normalised text is in ``texts``."""
    wanted = set(texts)
    aliases = store.aliases(city)
    changed = 0
    for dim in S.DIMENSIONS:
        rows = store.text_locations(city, dim)
        keys = {raw: normalise(raw) for raw in rows["text"].unique()}  # each spelling once
        hits = rows[rows["text"].map(keys).isin(wanted)]
        if hits.empty:
            continue
        store.replace_locations(dim, hits["visitor_id"].tolist(), resolve_texts(hits["text"].tolist(), city,
                                                                                aliases=aliases))
        changed += len(hits)
    return changed
