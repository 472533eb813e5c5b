"""The 拓客人员/团队 import column: header aliases, length, masked phones, value maps, stored in
visitors.team on SQLite (executemany) and PostgreSQL (COPY), row hashes and undo."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pandas as pd
import pytest
from sqlalchemy import select

from mapping import importer
from mapping import schema as S
from mapping.db.models import Visitor
from mapping.db.store import TRAILING_FIELDS, VISITOR_FIELDS
from mapping.ingest import limits as L
from mapping.ingest.headers import auto_map
from mapping.ingest.tables import read_table, validate

HEADERS = ["客户编号", "手机", "到访日期", "意向业态", "到访渠道", "居住区域", "置业顾问"]
ROWS = [
    ["T1", "13812345678", "2024-03-05", "公寓", "拓客", "浦东新区", "王晓丽"],
    ["T2", "13912345678", "2024-03-06", "洋房", "自然到访", "徐汇区", ""],
    ["T3", "13700001111", "2024-03-07", "公寓", "中介", "闵行区", "链家金桥 13900001111"],
]


def _result(store, rows, headers=HEADERS, value_maps=None):
    buf = io.StringIO()
    pd.DataFrame(rows, columns=headers).to_csv(buf, index=False)
    table = read_table(buf.getvalue().encode("utf-8-sig"), "v.csv")
    return validate(table, auto_map(table.frame.columns), secret=store.pii_secret(), value_maps=value_maps)


def _teams(store, pid) -> dict[str, str]:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(Visitor.visitor_code, Visitor.team).where(Visitor.project_id == pid)).all())


def _project(store):
    return store.create_project("团队列项目", "310000", dt.date(2024, 5, 1), ["公寓", "洋房"])


@pytest.mark.parametrize("header", ["置业顾问", "销售顾问", "拓客人员", "拓客专员", "渠道团队", "拓客团队", "拓客小组",
                                    "经纪公司", "中介公司", "分销公司", "归属团队", "所属团队", "Team", "agent",
                                    "Consultant", "置业顾问（姓名）"])
def test_team_headers(header):
    assert auto_map(["到访日期", header]) == {"visit_date": "到访日期", "team": header}


def test_a_bare_channel_header_stays_the_visit_channel():
    assert auto_map(["渠道", "渠道团队"]) == {"channel": "渠道", "team": "渠道团队"}
    assert S.COLUMN_LABELS[S.TEAM] == "拓客人员/团队" and S.TEAM in S.CANONICAL_COLUMNS


def test_team_text_is_cut_to_the_column_and_phones_are_masked(store):
    assert L.FIELD_LIMITS["team"] == ("team", 64)
    assert Visitor.__table__.c.team.type.length == 64
    result = _result(store, [ROWS[0][:6] + ["渠" * 70], ROWS[2]])
    teams = result.records.set_index("visitor_id")["team"]
    assert teams["T1"] == "渠" * 64
    assert teams["T3"] == "链家金桥 *******1111"  # the mobile number typed into the column never gets stored
    report = result.report.to_string()
    assert "13900001111" not in report


def test_a_consultant_column_imports_into_visitors_team(store):
    pid = _project(store)
    first = importer.import_records(store, pid, _result(store, ROWS), "v.csv", "sha1")
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    assert _teams(store, pid) == {"T1": "王晓丽", "T2": "", "T3": "链家金桥 *******1111"}
    again = importer.import_records(store, pid, _result(store, ROWS), "v.csv", "sha1")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    # a changed team is a changed visitor (PostgreSQL: the COPY into the staging table and UPDATE … FROM)
    moved = [row[:] for row in ROWS]
    moved[0][6] = "陈思远"
    changed = importer.import_records(store, pid, _result(store, moved), "v2.csv", "sha2")
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 2)
    assert _teams(store, pid)["T1"] == "陈思远"
    # undoing it puts the team back
    importer.undo_import(store, changed.import_id)
    assert _teams(store, pid)["T1"] == "王晓丽"


def test_rows_without_a_team_hash_as_before_the_column(store):
    """A file imported before the team column existed is "unchanged" when imported again now."""
    pid = _project(store)
    headers = HEADERS[:-1]
    rows = [row[:-1] for row in ROWS]
    records = importer.prepare(_result(store, rows, headers).records)
    first_optional = VISITOR_FIELDS.index("team")  # team, then the segment columns of issue 15: all trailing
    assert VISITOR_FIELDS[first_optional:] == TRAILING_FIELDS and (records["team"] == "").all()
    old_fields = VISITOR_FIELDS[:first_optional]  # the fields as they were, joined as importer.prepare did
    old = [hashlib.md5("\x1f".join(importer._texts(records[c])[i] for c in old_fields).encode()).hexdigest()
           for i in range(len(records))]
    assert records["row_hash"].tolist() == old
    # and an import of then stays unchanged: write the old hashes, import again
    importer.import_records(store, pid, _result(store, rows, headers), "v.csv", "sha1")
    again = importer.import_records(store, pid, _result(store, rows, headers), "v.csv", "sha1")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    # records made without the column at all (older callers) get an empty team
    bare = _result(store, rows, headers).records.drop(columns=["team"])
    assert importer.prepare(bare)["row_hash"].tolist() == old


def test_team_value_maps(store):
    pid = _project(store)
    store.put_value_maps(pid, "team", {"王晓丽": "渠道一组", "链家金桥 *******1111": "链家金桥店"})
    result = _result(store, ROWS, value_maps=store.value_maps(pid))
    assert result.unknown.empty or "team" not in set(result.unknown["field"])  # free text: never asked about
    importer.import_records(store, pid, result, "v.csv", "sha1")
    assert _teams(store, pid) == {"T1": "渠道一组", "T2": "", "T3": "链家金桥店"}
    assert store.value_map_rows(pid)["field"].tolist() == ["team", "team"]


def test_team_spellings_are_never_listed_as_unknown(store):
    rows = [row[:] for row in ROWS]
    rows[1][6] = "拓客"  # a channel word in the team column stays as typed
    result = _result(store, rows)
    assert result.records.set_index("visitor_id")["team"]["T2"] == "拓客"
    assert "team" not in set(result.unknown["field"])
