"""Facts.team / teams_all and Facts.stage / stages_all: the same from Store.fact_columns (compact
columns) as from Store.locations (every row), on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select, update

from mapping import schema as S
from mapping.analysis.facts import Facts
from mapping.bootstrap import SAMPLE_PROJECT, load_sample
from mapping.db.models import Visitor


def _decoded(facts: Facts, name: str) -> dict[tuple[int, int], str]:
    vocabulary = np.asarray(getattr(facts, f"{name}s_all"), dtype=object)
    values = vocabulary[getattr(facts, name)]
    return dict(zip(zip(facts.visitor.tolist(), facts.dim.tolist()), values.tolist()))


def test_team_and_stage_codes_from_the_database(store):
    pid = load_sample(store)
    city = SAMPLE_PROJECT["city_adcode"]
    with store.engine.begin() as conn:
        ids = conn.execute(select(Visitor.id).where(Visitor.project_id == pid).order_by(Visitor.id)).scalars().all()
        for vid, team in zip(ids[:4], ["渠道一组", "渠道一组", "链家金桥店", "拓客\x1f二组"]):
            conn.execute(update(Visitor).where(Visitor.id == vid).values(team=team))
        stages = dict(conn.execute(select(Visitor.id, Visitor.stage).where(Visitor.project_id == pid)).all())
    new = Facts.from_columns(store.fact_columns(pid), city)
    old = Facts.build(store.locations(pid), city)
    assert new.teams_all == old.teams_all == ["", "拓客\x1f二组", "渠道一组", "链家金桥店"]  # sorted, like channels
    assert new.stages_all == old.stages_all == sorted(set(stages.values()))
    assert set(new.stages_all) <= {"", *S.STAGES} and S.STAGE_VISIT in new.stages_all
    assert _decoded(new, "team") == _decoded(old, "team")
    assert _decoded(new, "stage") == _decoded(old, "stage")
    teams = pd.Series(np.asarray(new.teams_all, dtype=object)[new.team], index=new.visitor)
    assert set(teams[ids[0]]) == {"渠道一组"} and set(teams[ids[2]]) == {"链家金桥店"}
    assert set(teams[ids[3]]) == {"拓客\x1f二组"}  # a value holding the SQLite read's separator: read row by row
    assert (teams[~teams.index.isin(ids[:4])] == "").all()
    stage_of = pd.Series(np.asarray(new.stages_all, dtype=object)[new.stage], index=new.visitor)
    assert all(stage_of[vid].eq(stage).all() for vid, stage in list(stages.items())[:50])
    assert new.team.dtype == np.int16 and new.stage.dtype == np.int16


def test_facts_without_the_columns_have_empty_team_and_stage():
    import datetime as dt

    rows = pd.DataFrame({"visitor_id": [1, 2], "dimension": ["home", "home"], "adcode": ["310115", "310104"],
                         "lng": [None, None], "lat": [None, None], "method": ["district_name"] * 2,
                         "town_code": ["", ""], "outside": [False, False], "product_line": ["公寓", "洋房"],
                         "intention": ["A", "C"], "channel": ["拓客", "拓客"], "visit_date": [dt.date(2024, 3, 1)] * 2,
                         "deal": [False, False]})
    facts = Facts.build(rows)
    assert facts.teams_all == [""] and facts.team.tolist() == [0, 0]
    assert facts.stages_all == [""] and facts.stage.tolist() == [0, 0]
    with_team = Facts.build(rows.assign(team=["甲", ""], stage=["签约", "来访"]))
    assert with_team.teams_all == ["", "甲"] and with_team.team.tolist() == [1, 0]
    assert with_team.stages_all == ["来访", "签约"] and with_team.stage.tolist() == [1, 0]


def test_a_stage_no_import_writes_comes_back_as_stored(store):
    pid = load_sample(store)
    city = SAMPLE_PROJECT["city_adcode"]
    with store.engine.begin() as conn:
        first = conn.execute(select(Visitor.id).where(Visitor.project_id == pid).order_by(Visitor.id)).scalars().first()
        conn.execute(update(Visitor).where(Visitor.id == first).values(stage="意向"))
    new = Facts.from_columns(store.fact_columns(pid), city)
    assert "意向" in new.stages_all
    assert _decoded(new, "stage") == _decoded(Facts.build(store.locations(pid), city), "stage")
    stage_of = pd.Series(np.asarray(new.stages_all, dtype=object)[new.stage], index=new.visitor)
    assert set(stage_of[first]) == {"意向"}
    deals = pd.Series(new.deal, index=new.visitor)
    with store.engine.connect() as conn:
        stored = dict(conn.execute(select(Visitor.id, Visitor.deal).where(Visitor.project_id == pid)).all())
    assert all(bool(deals[vid].iloc[0]) == bool(stored[vid]) for vid in list(stored)[:200])
