"""A project as every stage sees it: one frozen record, read from the database by :meth:`Store.project`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Project:
    """A sales project: its city (adcode), launch date (开盘日), product lines and sites (WGS-84).

    Examples
    --------
    >>> p = Project(1, "示例", "310000", dt.date(2024, 5, 1), ("公寓", "洋房"), site_lng=121.6, site_lat=31.2)
    >>> p.site, p.lines_with_all()
    ((121.6, 31.2), ['', '公寓', '洋房'])
    """

    id: int
    name: str
    city_adcode: str
    launch_date: dt.date | None = None
    product_lines: tuple[str, ...] = ()
    area_layer: str = "districts"
    site_lng: float | None = None
    site_lat: float | None = None
    competitors: tuple[dict, ...] = ()  # {name, lng, lat} in WGS-84
    archived: bool = False  # hidden from pickers, data kept
    min_count: int = 5  # areas with fewer visitors are 样本不足 on every page
    deal_stage: str = "认购"  # the first sales stage that counts as 成交 (认购 or 签约)
    stages: tuple[str, ...] = ("来访", "认筹", "认购", "签约")  # the stages this sales office uses
    # 面积段 / 总价段 cut points as JSON {"area": "0,90,120,144,180", "price": "0,200,300,500,800,1000"},
    # each as mapping.segments.bands.bands_from_text reads it; "" = the defaults (Store.set_segment_bands)
    segment_bands: str = ""

    @property
    def site(self) -> tuple[float, float] | None:
        """The project's own site (lng, lat), or None when it is not set."""
        if self.site_lng is None or self.site_lat is None:
            return None
        return self.site_lng, self.site_lat

    def lines_with_all(self) -> list[str]:
        """``""`` (all product lines together) followed by each product line: one map each."""
        return ["", *self.product_lines]
