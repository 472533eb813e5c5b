"""scripts/import_visitors.py: a large export imported from the command line into the app's database."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from mapping.access import audit
from mapping.bootstrap import SAMPLE_PROJECT
from mapping.db.store import Store

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("import_visitors", ROOT / "scripts" / "import_visitors.py")
cli = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cli)


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TUOKE_DB_PATH", str(tmp_path / "app.sqlite3"))
    monkeypatch.setenv("TUOKE_SNAPSHOT_DIR", str(tmp_path / "snapshots"))
    store = Store(f"sqlite:///{tmp_path / 'app.sqlite3'}")
    store.migrate()
    pid = store.create_project(**SAMPLE_PROJECT)
    return store, pid


def test_imports_a_file_with_bad_rows_and_saves_the_report(app_db, tmp_path, capsys):
    store, pid = app_db
    source = tmp_path / "到访.csv"
    source.write_bytes((ROOT / "data" / "samples" / "visitors_bad_rows.csv").read_bytes())
    assert cli.main([str(source), "--project", str(pid), "--user", "张经理", "--batch-rows", "7"]) == 0
    out = capsys.readouterr().out
    assert "导入完成：新增 28 位客户" in out and "拒绝 3 行" in out
    assert "「城堡」" in out  # an unknown value, listed with what to do
    report = pd.read_csv(tmp_path / "到访.导入报告.csv", encoding="utf-8-sig")
    assert {"到访日期无法识别", "经纬度填反"} <= set(report["问题"])
    assert not report["原值"].astype(str).str.match(r"^[=+@-]").any()  # formula-safe
    assert store.visitor_count(pid) == 28
    imports = store.imports(pid)
    assert imports["created_by"].tolist() == ["张经理"] and imports["rejected"].tolist() == [3]
    written = {name for name in ("fact_columns", "location_groups", "segment_columns")
               if list((tmp_path / "snapshots").glob(f"*-p{pid}-{name}-*.arrow"))}
    assert written == {"fact_columns", "location_groups", "segment_columns"}  # the first map reads files
    entries = audit.entries(store, action="import")
    assert entries["username"].tolist() == ["张经理"] and "命令行" in entries["detail"].iloc[0]
    # again: nothing changes, nothing is written twice
    assert cli.main([str(source), "--project", "金桥湾示范项目（示例）"]) == 0
    assert "新增 0 位客户，更新 0 位，未变化 28 位" in capsys.readouterr().out


def test_refusals_are_in_chinese_and_write_nothing(app_db, tmp_path, capsys):
    store, pid = app_db
    assert cli.main([str(tmp_path / "无.csv"), "--project", str(pid)]) == 2
    assert "找不到文件" in capsys.readouterr().err
    source = tmp_path / "a.csv"
    source.write_bytes("到访日期,居住区域\n2024-03-01,浦东\n".encode())
    assert cli.main([str(source), "--project", "没有这个项目"]) == 2
    assert "没有找到项目「没有这个项目」" in capsys.readouterr().err
    source.write_bytes("姓名,备注\n张三,好\n".encode())
    assert cli.main([str(source), "--project", str(pid)]) == 2
    assert "未导入" in capsys.readouterr().err
    assert store.visitor_count(pid) == 0 and store.imports(pid).empty
