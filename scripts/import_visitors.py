"""Import a large visitor export into a project from the command line, batch by batch.

The page takes a file of up to 50 MB / 500,000 rows and shows it before importing.  A group's export
(a million visitors, one file per year or per region) goes through this command instead: the file is read,
validated, resolved and written a batch at a time (``mapping.ingest.stream``, ``importer.import_batches``),
so memory stays bounded, in **one** transaction (a failure leaves nothing), and it can be undone on the
page's 「导入记录」 like any import.  Columns are matched as the page matches them (``auto_map``); values
no rule knows keep their provisional value and are listed, so they can be mapped on the page and the
file imported again (an unchanged row is not written twice).

Usage (the app's database: ``DATABASE_URL``, else ``TUOKE_DB_PATH``)::

    .venv/bin/python scripts/import_visitors.py FILE --project 金桥湾 [--user 张三] [--derive-hometown]
        [--crs GCJ02] [--batch-rows 50000] [--report 报告.csv]

Exit status: 0 imported, 2 the file or the arguments were refused (the reason is printed in Chinese).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mapping import importer, schema as S, snapshots  # noqa: E402
from mapping.access import audit  # noqa: E402
from mapping.db.store import Store, default_url  # noqa: E402
from mapping.export.safe import safe_csv  # noqa: E402
from mapping.ingest.stream import BATCH_ROWS, open_batches  # noqa: E402
from mapping.ingest.tables import IngestError, auto_map, check_mapping  # noqa: E402
from mapping.place.geocode import geocoder_from_env  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="批量导入到访客户（大文件分批读取，一次事务）")
    parser.add_argument("file", type=Path, help="CSV（UTF-8 最快）或 Excel 文件")
    parser.add_argument("--project", required=True, help="项目名称或编号")
    parser.add_argument("--user", default="命令行导入", help="操作人（写入导入记录和审计日志）")
    parser.add_argument("--derive-hometown", action="store_true",
                        help="从身份证号推导籍贯（只保存到城市，身份证号本身不保存）")
    parser.add_argument("--crs", default=S.CRS_NAMES[1], choices=S.CRS_NAMES, help="坐标没有注明坐标系时按")
    parser.add_argument("--batch-rows", type=int, default=BATCH_ROWS, help="每批读取的行数（内存与速度的折中）")
    parser.add_argument("--report", type=Path, help="校验报告另存为 CSV（默认：有问题时写到 <文件名>.导入报告.csv）")
    return parser.parse_args(argv)


def find_project(store: Store, wanted: str):
    projects = store.projects()
    match = projects[(projects["name"] == wanted) | (projects["id"].astype(str) == wanted)]
    if match.empty:
        names = "、".join(f"{row.id}「{row.name}」" for row in projects.itertuples()) or "（还没有项目）"
        raise IngestError(f"没有找到项目「{wanted}」。现有项目：{names}。请先在「导入数据」页新建项目。")
    return store.project(int(match["id"].iloc[0]))


def main(argv=None) -> int:
    args = parse_args(argv)
    store = Store(default_url())
    store.migrate()
    try:
        project = find_project(store, args.project)
        if not args.file.is_file():
            raise IngestError(f"找不到文件「{args.file}」。")
        batches = open_batches(args.file, args.file.name, rows=args.batch_rows, check_size=False)
        mapping = auto_map(batches.columns)
        check_mapping(mapping, batches.columns)
    except IngestError as exc:
        print(f"未导入：{exc}", file=sys.stderr)
        return 2
    how = "逐批流式读取" if batches.streamed else "整表读取后分批"
    print(f"「{args.file.name}」：{batches.total:,} 行，表头在第 {batches.header_row} 行，{how}；导入到「{project.name}」。")
    print("列对应：" + "，".join(f"{S.COLUMN_LABELS.get(c, c)}←{h}" for c, h in mapping.items()))
    started = time.perf_counter()

    def progress(fraction: float, message: str) -> None:
        print(f"\r{fraction:5.0%} {message}", end="", file=sys.stderr, flush=True)

    digest = _sha256(args.file)
    try:
        done = importer.import_batches(
            store, project.id, batches, mapping, args.file.name, digest, geocoder=geocoder_from_env(),
            progress=progress, created_by=args.user, default_crs=args.crs,
            product_lines=tuple(project.product_lines) or S.PRODUCT_LINES, value_maps=store.value_maps(project.id),
            deal_stage=project.deal_stage, derive_hometown=args.derive_hometown)
    except IngestError as exc:
        print(f"\n未导入（没有写入任何数据）：{exc}", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    summary, result = done.summary, done.result
    audit.record(store, args.user, "import", project_id=project.id, rows=summary.inserted + summary.updated,
                 detail=f"命令行「{args.file.name}」（导入 #{summary.import_id}）：新增 {summary.inserted}，"
                        f"更新 {summary.updated}，未变 {summary.unchanged}，拒绝 {summary.rejected}")
    print(summary.message() + f" 用时 {time.perf_counter() - started:.0f} 秒。要撤销，请在「导入数据」页的「导入记录」里点「撤销」。")
    if summary.inserted or summary.updated:  # what the page does after an import: the first map reads files
        t0 = time.perf_counter()
        snapshots.prepare(store, project.id)
        where = snapshots.directory(store)
        if where is not None:
            print(f"地图数据已准备好（{time.perf_counter() - t0:.0f} 秒，{where}）：之后谁打开地图都不必再读全部位置。"
                  "若应用在另一台机器上，请把 TUOKE_SNAPSHOT_DIR 设为共享目录，或由第一个打开的人等这一次。")
    if len(result.unknown):
        print("以下取值没有规则认识，已按暂定值导入（有建议的按建议）；请在「导入数据」页上传同一文件时选择对应关系，"
              "再导入一次即可更新：")
        for row in result.unknown.head(20).itertuples():
            print(f"  {row.字段}「{row.raw}」{row.rows:,} 行" + (f"（建议：{row.suggestion}）" if row.suggestion else ""))
    if len(result.report):
        path = args.report or args.file.with_name(args.file.stem + ".导入报告.csv")
        path.write_bytes(safe_csv(result.report))
        print(f"校验报告 {len(result.report):,} 条（行号、列、原值、问题、处理、原因）已保存到「{path}」。")
    return 0


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


if __name__ == "__main__":
    sys.exit(main())
