"""Operations after the map (issue 14): teams, territories, tactics, costs, the 蓄客 pool and the weekly review.

The graded map says where the customers are; these modules turn an approved plan into team work and
measure it.  None of them imports Streamlit or touches the database (the store side is
:mod:`mapping.db.operations`); pages call them with frames and show the result.

- :mod:`mapping.ops.teams`: team kinds, the visitor frame (one row per visitor with its area, channel,
  team text, stage) and the attribution of visitors to teams (import column, else channel + territory).
- :mod:`mapping.ops.territory`: area potential, automatic balancing of areas among teams, the balance
  index, the 竞拍 (auction) award, checks of a territory set (overlaps, unassigned A/B areas).
- :mod:`mapping.ops.tactics`: the suggested outreach method, frequency and staff days per area, and the
  default weekly targets per area.
- :mod:`mapping.ops.costs`: cost entries and files, the funnel and cost per result (费效比).
- :mod:`mapping.ops.pipeline`: the 蓄客 target per product line (够不够).
- :mod:`mapping.ops.weekly`: the Monday review (周复盘) per team.
"""
