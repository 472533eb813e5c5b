"""Many people opening the same page at once: N browser sessions (Playwright, Debian's chromium)
open the battle map of one server together; the server's CPU time and each session's wait.

Usage
-----
Against a server this script starts itself (a fresh process per row, on a temporary SQLite
database holding ``--rows`` generated visitors; the database is built once and copied):

    .venv/bin/python bench/load_sessions.py --rows 200000 --sessions 1,10,20 --markdown

Against your own running server (CPU time is read from ``--pid`` when given, e.g. the
``streamlit`` process id; otherwise only the sessions' waits are reported):

    .venv/bin/python bench/load_sessions.py --url http://10.0.0.5:8501 --user admin \\
        --password '…' --sessions 10 --page battle --pid 12345

What is measured, per row: N browser contexts (each its own Streamlit session) sign in and open
``/<page>?project=<id>`` at the same moment; a session is done when its map shows at least
``--min-paths`` drawn areas and the app is idle.  *server CPU s* is user + system CPU time of
the server process (from /proc/<pid>/stat, children included) from the start of the row to
its end: the browsers run on the same machine, so wall time alone would mostly measure them.
*× one session* divides by the 1-session row of the same run.  Errors are sessions that
failed or showed the app's error box.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("TUOKE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
BENCH_PASSWORD = "Bench-Load-Password-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_database(rows: int, path: Path) -> None:
    """A SQLite database with the sample project's settings and ``rows`` generated visitors."""
    from data.samples.generate import generate

    os.environ["TUOKE_DB_PATH"] = str(path)
    os.environ["TUOKE_ADMIN_PASSWORD"] = BENCH_PASSWORD  # the first admin, so sessions can sign in
    os.environ.setdefault("TUOKE_PII_KEY_FILE", str(path.with_suffix(".key")))
    from mapping import importer
    from mapping.bootstrap import SAMPLE_COMPETITORS, SAMPLE_PROJECT, ensure_ready
    from mapping.db.store import Store
    from mapping.ingest.tables import auto_map, file_digest, read_table, validate

    store = Store(f"sqlite:///{path}")
    ensure_ready(store, seed_sample=False)
    pid = store.create_project(**SAMPLE_PROJECT)
    store.set_sites(pid, SAMPLE_PROJECT["site"], SAMPLE_COMPETITORS)
    data = generate(rows, seed=20240101).to_csv(index=False).encode("utf-8-sig")
    table = read_table(data, "bench.csv")
    secret = store.pii_secret() if hasattr(store, "pii_secret") else None
    kwargs = {"secret": secret} if secret is not None else {"salt": store.salt()}
    result = validate(table, auto_map(table.frame.columns), product_lines=tuple(SAMPLE_PROJECT["product_lines"]),
                      **kwargs)
    importer.import_records(store, pid, result, "bench.csv", file_digest(data), None)
    store.engine.dispose()


class Server:
    """``streamlit run app.py`` on a free port with the given database; CPU time from /proc."""

    def __init__(self, db: Path, log: Path):
        self.port = _free_port()
        env = dict(os.environ, TUOKE_DB_PATH=str(db), TUOKE_ADMIN_PASSWORD=BENCH_PASSWORD)
        env.setdefault("TUOKE_PII_KEY_FILE", str(db.with_suffix(".key")))
        env.pop("DATABASE_URL", None)
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(self.url + "/_stcore/health", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise SystemExit("streamlit did not start within 120 s")

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its waited-for children (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


_IDLE_JS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  return !!app && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning"
    && !document.querySelector("[data-testid='stStatusWidget']");
}"""


async def one_session(browser, url: str, page_path: str, user: str, password: str, min_paths: int,
                      timeout_ms: int) -> tuple[float, str]:
    """(seconds to a drawn, idle map, error or "") for one new session (its own browser context)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = await context.new_page()
    start = time.perf_counter()
    try:
        await page.goto(f"{url}/{page_path}", timeout=timeout_ms)
        name = page.get_by_label("用户名")
        await name.or_(page.locator("iframe[title*='streamlit_folium']")).first.wait_for(timeout=timeout_ms)
        if await name.count():
            await name.fill(user)
            await page.get_by_label("密码").fill(password)
            await page.get_by_role("button", name="登录").click()
        frame = page.frame_locator("iframe[title*='streamlit_folium']").first
        await frame.locator("path.leaflet-interactive").nth(min_paths - 1).wait_for(state="attached",
                                                                                     timeout=timeout_ms)
        await page.wait_for_function(_IDLE_JS, timeout=timeout_ms, polling=200)
        seconds = time.perf_counter() - start
        errors = page.locator("[data-testid=stException], [data-testid=stAlert]:has-text('页面出错了')")
        return seconds, ("the page shows an error" if await errors.count() else "")
    except Exception as exc:  # noqa: BLE001 - a failed session is a result, not a crash
        return time.perf_counter() - start, type(exc).__name__ + ": " + str(exc).splitlines()[0][:120]
    finally:
        await context.close()


def run_row(url: str, sessions: int, args, cpu) -> dict:
    """N sessions at once in one chromium (one context each), timed; the server's CPU time around them."""
    from playwright.async_api import async_playwright

    async def all_sessions() -> list[tuple[float, str]]:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                return await asyncio.gather(*(one_session(browser, url, args.page, args.user, args.password,
                                                          args.min_paths, args.timeout * 1000)
                                              for _ in range(sessions)))
            finally:
                await browser.close()

    before = cpu() if cpu else None
    wall = time.perf_counter()
    results = asyncio.run(all_sessions())
    wall = time.perf_counter() - wall
    used = cpu() - before if cpu else None
    waits = [s for s, err in results if not err]
    return {"sessions": sessions, "cpu": used, "wall": wall,
            "median": statistics.median(waits) if waits else None, "max": max(waits) if waits else None,
            "errors": [err for _s, err in results if err]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000, help="visitors in the generated project")
    parser.add_argument("--sessions", default="1,10,20", help="concurrent sessions per row, comma separated")
    parser.add_argument("--page", default="battle", help="url path of the page (battle, map, conversion, …)")
    parser.add_argument("--project", type=int, default=1)
    parser.add_argument("--min-paths", type=int, default=20, help="drawn areas that make a map 'shown'")
    parser.add_argument("--timeout", type=int, default=300, help="seconds a session may take")
    parser.add_argument("--url", help="an already running server (then --user/--password, optional --pid)")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default=BENCH_PASSWORD)
    parser.add_argument("--pid", type=int, help="the server's process id (CPU time), with --url")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    args.page = f"{args.page.strip('/')}?project={args.project}"
    counts = [int(n) for n in args.sessions.split(",")]
    rows = []
    if args.url:
        cpu = (lambda: cpu_seconds(args.pid)) if args.pid else None
        for n in counts:
            print(f"… {n} sessions against {args.url}", file=sys.stderr)
            rows.append(run_row(args.url, n, args, cpu))
    else:
        work = Path(tempfile.mkdtemp(prefix="tuoke_load_"))
        try:
            template = work / "template.sqlite3"
            t0 = time.perf_counter()
            print(f"… building a database with {args.rows:,} visitors", file=sys.stderr)
            subprocess.run([sys.executable, __file__, "--build-only", str(template), str(args.rows)], check=True)
            print(f"  built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            for n in counts:
                db = work / f"run{n}.sqlite3"
                shutil.copy(template, db)
                if template.with_suffix(".key").exists():
                    shutil.copy(template.with_suffix(".key"), db.with_suffix(".key"))
                server = Server(db, work / f"server{n}.log")
                try:
                    print(f"… {n} sessions on a fresh server", file=sys.stderr)
                    rows.append(run_row(server.url, n, args, server.cpu))
                finally:
                    server.stop()
        finally:
            shutil.rmtree(work, ignore_errors=True)
    report(rows, args)


def report(rows: list[dict], args) -> None:
    one = next((r["cpu"] for r in rows if r["sessions"] == 1 and r["cpu"]), None)
    head = ["sessions", "server CPU s", "× one session", "median wait s", "slowest s", "wall s", "errors"]
    lines = []
    for r in rows:
        ratio = f"{r['cpu'] / one:.1f}×" if one and r["cpu"] is not None else "—"
        lines.append([str(r["sessions"]), f"{r['cpu']:.1f}" if r["cpu"] is not None else "—", ratio,
                      f"{r['median']:.1f}" if r["median"] else "—", f"{r['max']:.1f}" if r["max"] else "—",
                      f"{r['wall']:.1f}", str(len(r["errors"]))])
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        print("  ".join(f"{h:>14}" for h in head))
        for line in lines:
            print("  ".join(f"{c:>14}" for c in line))
    for r in rows:
        for err in sorted(set(r["errors"])):
            print(f"{r['sessions']} sessions: {err}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--build-only":
        build_database(int(sys.argv[3]), Path(sys.argv[2]))
    else:
        main()
