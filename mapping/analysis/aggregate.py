"""Count visitors and deals per area of any polygon layer.

A location with a point falls into whichever polygon contains it; a location
known only to district level counts only where the layer has that whole
district as one area (in a 板块 layer it is *unplaced* and reported as such).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from mapping import schema as S
from mapping.geo import boundaries
from mapping.place.resolve import METHOD_EMPTY


@dataclass
class Coverage:
    """How many locations of one dimension were given, placed, and why not."""

    given: int
    resolved: int
    placed: int
    unresolved: int
    outside: int
    coarse: int  # resolved only to a district the layer splits into finer areas

    @property
    def resolved_share(self) -> float:
        return self.resolved / self.given if self.given else 0.0


def place(locations: pd.DataFrame, layer: gpd.GeoDataFrame) -> pd.Series:
    """area_id of each location row in ``layer`` ("" where it cannot be placed)."""
    area = pd.Series("", index=locations.index, dtype=object)
    has_point = locations["lng"].notna() & locations["lat"].notna() & (locations["adcode"] != "")
    if has_point.any():
        pts = locations[has_point]
        area[has_point] = boundaries.assign_points(pts["lng"].to_numpy(), pts["lat"].to_numpy(), layer)
    whole = set(layer["area_id"])
    district_only = ~has_point & locations["adcode"].isin(whole)
    area[district_only] = locations.loc[district_only, "adcode"]
    return area


def filter_locations(locations: pd.DataFrame, dimension: str, product_line: str | None = None) -> pd.DataFrame:
    """Rows of one dimension, optionally of one intended product line."""
    if dimension not in S.DIMENSIONS:
        raise ValueError(f"'dimension' must be one of {S.DIMENSIONS}, got {dimension!r}")
    out = locations[locations["dimension"] == dimension]
    if product_line:
        out = out[out["product_line"] == product_line]
    return out


def coverage(locations: pd.DataFrame, placed: pd.Series) -> Coverage:
    given = locations["method"] != METHOD_EMPTY
    resolved = locations["adcode"] != ""
    outside = locations["outside"].astype(bool)
    return Coverage(
        given=int(given.sum()), resolved=int(resolved.sum()), placed=int((placed != "").sum()),
        unresolved=int((given & ~resolved & ~outside).sum()), outside=int(outside.sum()),
        coarse=int((resolved & ~outside & (placed == "")).sum()),
    )


def area_counts(locations: pd.DataFrame, layer: gpd.GeoDataFrame, dimension: str,
                product_line: str | None = None) -> tuple[pd.DataFrame, Coverage]:
    """Visitors, high-intention visitors, deals and conversion per area.

    Returns every area of ``layer`` (zeros included) and the coverage figures.
    """
    rows = filter_locations(locations, dimension, product_line)
    placed = place(rows, layer)
    frame = pd.DataFrame({
        "area_id": placed.to_numpy(),
        "visits": 1,
        "high_intention": rows["intention"].isin(S.HIGH_INTENTION).to_numpy().astype(int),
        "deals": rows["deal"].astype(bool).to_numpy().astype(int),
    })
    sums = frame[frame["area_id"] != ""].groupby("area_id")[["visits", "high_intention", "deals"]].sum()
    out = layer[["area_id", "area_name", "adcode"]].merge(sums, left_on="area_id", right_index=True, how="left")
    out[["visits", "high_intention", "deals"]] = out[["visits", "high_intention", "deals"]].fillna(0).astype(int)
    out["conversion"] = np.where(out["visits"] > 0, out["deals"] / out["visits"].where(out["visits"] > 0, 1), 0.0)
    out = out.sort_values(["visits", "area_name"], ascending=[False, True]).reset_index(drop=True)
    return out, coverage(rows, placed)


def headline(visitors: pd.DataFrame, locations: pd.DataFrame) -> dict:
    """Figures for the home page: visitors, deals, conversion, resolved share per dimension."""
    n = len(visitors)
    deals = int(visitors["deal"].astype(bool).sum()) if n else 0
    shares = {}
    for dim in S.DIMENSIONS:
        rows = locations[locations["dimension"] == dim]
        given = int((rows["method"] != METHOD_EMPTY).sum())
        resolved = int((rows["adcode"] != "").sum())
        shares[dim] = {"given": given, "resolved": resolved, "share": resolved / given if given else 0.0}
    return {"visitors": n, "deals": deals, "conversion": deals / n if n else 0.0, "resolved": shares}


def weekly(visitors: pd.DataFrame) -> pd.DataFrame:
    """Visits (by visit date) and deals (by deal date, else visit date) per week."""
    visit_week = pd.to_datetime(visitors["visit_date"]).dt.to_period("W").dt.start_time
    deal_dates = pd.to_datetime(visitors["deal_date"]).fillna(pd.to_datetime(visitors["visit_date"]))
    deal_week = deal_dates[visitors["deal"].astype(bool)].dt.to_period("W").dt.start_time
    out = pd.DataFrame({"到访": visit_week.value_counts(), "成交": deal_week.value_counts()}).fillna(0).astype(int)
    out = out.sort_index().rename_axis("周").reset_index()
    return out
