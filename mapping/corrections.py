"""Corrections of place names: the review queue, a saved alias, and re-resolving what it changes.

The review page lists the strings a person should look at (unresolved,
ambiguous, conflicting, fuzzy), by visitors carried; choosing a place saves an
alias for the city and re-resolves every affected location of every project in
that city at once.  A saved alias can be removed again (:func:`remove_alias`): the
same locations are re-resolved without it.  The store reads and writes; resolving
happens here.
"""

from __future__ import annotations

import pandas as pd

from mapping import schema as S
from mapping.db.store import Store
from mapping.place.placetext import normalise
from mapping.place.resolve import REVIEW_METHODS, resolve_texts

QUEUE_COLUMNS = ["text", "visitors", "dimensions", "method", "candidates"]
ALIAS_COLUMNS = ["text", "adcode", "label", "lng", "lat", "created_at"]


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


def remove_alias(store: Store, city: str, text: str) -> int:
    """Forget the saved alias of ``text`` in ``city`` and re-resolve every affected visitor at once
    (they go back to what the dictionary makes of the string, or to the review queue).

    Returns how many locations were re-resolved.

    Raises
    ------
    ValueError
        In Chinese, if ``text`` is empty or no alias of it is saved (e.g. already removed).
    """
    key = normalise(text)
    if not key:
        raise ValueError("地名为空，无法撤销对应关系")
    if not store.delete_alias(city, key):
        raise ValueError(f"没有找到「{text}」的对应关系，可能已经撤销过了；请刷新页面查看")
    return reresolve(store, city, [key])


def alias_table(store: Store, city: str) -> pd.DataFrame:
    """The city's saved aliases, one row each (:data:`ALIAS_COLUMNS`), newest first when the
    store says when they were saved (``created_at``, else empty), then by text."""
    aliases = store.aliases(city)
    rows = [{"text": key, "adcode": a.get("adcode", ""), "label": a.get("label") or "", "lng": a.get("lng"),
             "lat": a.get("lat"), "created_at": a.get("created_at")} for key, a in aliases.items()]
    out = pd.DataFrame(rows, columns=ALIAS_COLUMNS)
    out["created_at"] = pd.to_datetime(out["created_at"])
    return out.sort_values(["created_at", "text"], ascending=[False, True], na_position="last").reset_index(drop=True)


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
