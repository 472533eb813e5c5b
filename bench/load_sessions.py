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

Other pages: ``--page map`` (客户地图), ``--page conversion`` (到访成交对比), ``--page launch``
(开盘前后对比).  ``--database FILE`` reuses a database made once with
``bench/load_sessions.py --build-only FILE ROWS`` (copied per row, never written to).

Where one session's time goes (``--breakdown``): one session signs in and opens the page (this warms
the server), then ``--repeat`` new sessions open it one after the other, each in a fresh browser context
(empty browser cache; ``--browser-cache``: new tabs of the first context, like a returning user), each
with a Chromium trace and the server's websocket messages recorded.  Printed per session: a timeline
(app HTML, Streamlit bundle parsed, websocket open, script finished, the map iframe and each file it
loads, the first drawn area, idle), the websocket bytes per element type, and the renderer main
thread's time by frame (app page / map iframe) and kind (script, style-layout-paint, GC), script time
by file.  Works against your own server too (``--url … --breakdown``).

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


async def _open_drawn(page, address: str, user: str, password: str, min_paths: int, timeout_ms: int) -> None:
    """Open ``address``, sign in through the form if it asks, and wait until the map has drawn at least
    ``min_paths`` areas and the app is idle."""
    await page.goto(address, timeout=timeout_ms)
    name = page.get_by_label("用户名")
    await name.or_(page.locator("iframe[title*='streamlit_folium']")).first.wait_for(timeout=timeout_ms)
    if await name.count():
        await name.fill(user)
        await page.get_by_label("密码").fill(password)
        await page.get_by_role("button", name="登录").click()
    frame = page.frame_locator("iframe[title*='streamlit_folium']").first
    await frame.locator("path.leaflet-interactive").nth(min_paths - 1).wait_for(state="attached", timeout=timeout_ms)
    await page.wait_for_function(_IDLE_JS, timeout=timeout_ms, polling=200)


async def one_session(browser, url: str, page_path: str, user: str, password: str, min_paths: int,
                      timeout_ms: int) -> tuple[float, str]:
    """(seconds to a drawn, idle map, error or "") for one new session (its own browser context)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = await context.new_page()
    start = time.perf_counter()
    try:
        await _open_drawn(page, f"{url}/{page_path}", user, password, min_paths, timeout_ms)
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


# ----------------------------------------------------------------------------- one session, broken down
_TRACE_CATEGORIES = ("devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,toplevel,"
                     "blink.user_timing,loading,v8")
# marks the first drawn Leaflet path in every frame (the init script runs in the map's iframe too)
_MARK_PATHS_JS = """(() => {
  const seen = () => document.querySelector("path.leaflet-interactive");
  const mark = () => { if (!window.__tuokeFirstPath && seen()) { window.__tuokeFirstPath = performance.timeOrigin
      + performance.now(); } };
  new MutationObserver(mark).observe(document, {childList: true, subtree: true});
})();"""
_SCRIPT = ("EvaluateScript", "v8.compile", "v8.compileModule", "FunctionCall", "TimerFire", "EventDispatch",
           "FireAnimationFrame", "RunMicrotasks", "v8.run", "V8.Execute", "v8.callFunction", "v8.evaluateModule",
           "XHRReadyStateChange", "XHRLoad", "v8.produceCache", "v8.parseOnBackground", "CompileScript",
           "FireIdleCallback")
_RENDER = ("UpdateLayoutTree", "Layout", "RecalculateStyles", "UpdateLayerTree", "PrePaint", "Paint", "Layerize",
           "Commit", "PaintImage", "Decode Image", "HitTest", "IntersectionObserverController::computeIntersections",
           "ScrollLayer", "UpdateLayer", "CompositeLayers")


def _bucket(name: str) -> str:
    if name in _SCRIPT:
        return "script"
    if name in _RENDER:
        return "style, layout, paint"
    if "GC" in name:
        return "garbage collection"
    if name == "ParseHTML":
        return "parse HTML"
    if name == "ParseAuthorStyleSheet":
        return "parse CSS"
    return "other (task overhead, IPC)"


def trace_summary(events: list[dict]) -> dict:
    """Main-thread time of the renderer(s) by frame (the app page / the map iframe / other iframes) and by
    kind (script, style-layout-paint, GC, parsing), and script time by file: self times of the
    trace's complete events, each attributed to the nearest enclosing event that names its frame."""
    names = {(e["pid"], e["tid"]): e["args"].get("name") for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    frames: dict[str, str] = {}
    for e in events:
        data = (e.get("args") or {}).get("data") or {}
        for f in data.get("frames", []) if isinstance(data.get("frames"), list) else []:
            if f.get("frame") and f.get("url"):
                frames[f["frame"]] = f["url"]
        if data.get("frame") and data.get("url") and e.get("name") in ("FrameCommittedInBrowser", "CommitLoad"):
            frames[data["frame"]] = data["url"]

    def frame_label(frame_id: str | None) -> str:
        url = frames.get(frame_id or "", "")
        if "streamlit_folium" in url:
            return "map iframe"
        if "/component/" in url:
            return "other component iframe"
        return "app page" if frame_id else "unattributed"

    by_kind: dict[tuple[str, str], float] = {}
    by_file: dict[str, float] = {}
    busy = 0.0
    for (pid, tid), name in names.items():
        if name != "CrRendererMain":
            continue
        xs = sorted((e for e in events if e.get("pid") == pid and e.get("tid") == tid and e.get("ph") == "X"
                     and "dur" in e), key=lambda e: (e["ts"], -e["dur"]))
        stack: list[list] = []  # [end, event, child time, frame]

        def close(entry):
            _end, e, children, frame = entry
            self_ms = max(e["dur"] - children, 0) / 1000
            key = (frame_label(frame), _bucket(e["name"]))
            by_kind[key] = by_kind.get(key, 0.0) + self_ms
            if _bucket(e["name"]) == "script":
                data = (e.get("args") or {}).get("data") or {}
                url = data.get("url") or data.get("scriptName") or "(inline / eval)"
                by_file[url.split("?")[0]] = by_file.get(url.split("?")[0], 0.0) + self_ms

        for e in xs:
            while stack and stack[-1][0] <= e["ts"]:
                close(stack.pop())
            data = (e.get("args") or {}).get("data") or {}
            frame = data.get("frame") or (stack[-1][3] if stack else None)
            if stack:
                stack[-1][2] += e["dur"]
            else:
                busy += e["dur"] / 1000
            stack.append([e["ts"] + e["dur"], e, 0, frame])
        while stack:
            close(stack.pop())
    return {"busy_ms": busy, "by_kind": by_kind, "by_file": by_file}


def _message_kind(raw: bytes) -> tuple[str, str]:
    """(ForwardMsg type, element type for deltas) of one websocket frame from the server."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(raw)
    except Exception:  # noqa: BLE001 - not a ForwardMsg: count it, do not fail the measurement
        return "other", ""
    kind = msg.WhichOneof("type") or "other"
    element = ""
    if kind == "delta":
        delta = msg.delta
        which = delta.WhichOneof("type")
        if which == "new_element":
            element = delta.new_element.WhichOneof("type") or ""
        else:
            element = which or ""
    return kind, element


async def measured_session(browser, url: str, page_path: str, cookies: list[dict], min_paths: int,
                           timeout_ms: int, context=None) -> dict:
    """One new session opening ``page_path`` with a Chromium trace and the server's websocket messages
    recorded: in a fresh browser context given ``cookies`` (signed in, empty browser cache), or in a new
    tab of ``context`` (the browser's cache as that context left it)."""
    import json

    own = context is None
    if own:
        context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        await context.add_cookies(cookies)
    page = await context.new_page()
    await page.add_init_script(_MARK_PATHS_JS)
    frames: list[tuple[float, int, str, str]] = []

    def on_ws(ws):
        ws.on("framereceived", lambda payload: frames.append(
            (time.time(), len(payload), *(_message_kind(payload) if isinstance(payload, bytes) else ("text", "")))))

    page.on("websocket", on_ws)
    cdp = await context.new_cdp_session(page)
    await cdp.send("Tracing.start", {"categories": _TRACE_CATEGORIES, "transferMode": "ReturnAsStream"})
    start = time.time()
    await page.goto(f"{url}/{page_path}", timeout=timeout_ms)
    frame = page.frame_locator("iframe[title*='streamlit_folium']").first
    await frame.locator("path.leaflet-interactive").nth(min_paths - 1).wait_for(state="attached", timeout=timeout_ms)
    drawn = time.time()
    await page.wait_for_function(_IDLE_JS, timeout=timeout_ms, polling=100)
    idle = time.time()
    done = asyncio.get_running_loop().create_future()
    cdp.on("Tracing.tracingComplete", lambda params: done.set_result(params))
    await cdp.send("Tracing.end")
    stream = (await done)["stream"]
    chunks = []
    while True:
        part = await cdp.send("IO.read", {"handle": stream})
        chunks.append(part["data"])
        if part.get("eof"):
            break
    await cdp.send("IO.close", {"handle": stream})
    trace = json.loads("".join(chunks))
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    top = await page.evaluate("""() => { const n = performance.getEntriesByType("navigation")[0];
        return {origin: performance.timeOrigin, response: n.responseEnd, dom: n.domContentLoadedEventEnd,
                load: n.loadEventEnd,
                resources: performance.getEntriesByType("resource").map(r => [r.name, r.transferSize,
                    r.decodedBodySize, r.startTime, r.responseEnd])}; }""")
    maps = []
    for f in page.frames:
        if "streamlit_folium" not in f.url and "/component/" not in f.url:
            continue
        try:
            maps.append(await f.evaluate("""() => { const n = performance.getEntriesByType("navigation")[0];
                return {url: location.href, origin: performance.timeOrigin, load: n ? n.loadEventEnd : null,
                        path: window.__tuokeFirstPath || null,
                        paths: document.querySelectorAll("path.leaflet-interactive").length,
                        resources: performance.getEntriesByType("resource").map(r => [r.name, r.transferSize,
                            r.decodedBodySize, r.startTime, r.responseEnd])}; }"""))
        except Exception as exc:  # noqa: BLE001 - a detached frame
            print(f"  (frame {f.url[:60]} not read: {type(exc).__name__})", file=sys.stderr)
    await (context.close() if own else page.close())
    return {"start": start, "drawn": drawn, "idle": idle, "frames": frames, "top": top, "iframes": maps,
            "trace": trace_summary(events)}


def report_breakdown(m: dict) -> None:
    """The measured session as a timeline and a table of where the browser's main thread spent its time."""
    t0 = m["start"]
    ms = lambda t: f"{(t - t0) * 1000:7.0f} ms"
    top = m["top"]
    origin = top["origin"] / 1000
    print("Timeline of one warm session (from page.goto):")
    print(f"  {ms(origin + top['response'] / 1000)}  app HTML received")
    print(f"  {ms(origin + top['dom'] / 1000)}  DOMContentLoaded (Streamlit bundle parsed)")
    print(f"  {ms(origin + top['load'] / 1000)}  load event")
    kinds: dict[str, list] = {}
    for t, size, kind, element in m["frames"]:
        kinds.setdefault(kind, []).append((t, size, element))
    if m["frames"]:
        first = m["frames"][0][0]
        print(f"  {ms(first)}  first websocket message from the server")
    for kind in ("new_session", "script_finished"):
        for t, size, _e in kinds.get(kind, []):
            print(f"  {ms(t)}  {kind} ({size:,} B)")
    deltas = kinds.get("delta", [])
    if deltas:
        big = max(deltas, key=lambda d: d[1])
        print(f"  {ms(deltas[0][0])}  first delta;  {ms(deltas[-1][0])}  last delta "
              f"({len(deltas)} deltas, {sum(d[1] for d in deltas):,} B)")
        print(f"  {ms(big[0])}  largest delta: {big[2]} {big[1]:,} B")
    for f in m["iframes"]:
        if "streamlit_folium" not in f["url"]:
            continue
        o = f["origin"] / 1000
        print(f"  {ms(o)}  map iframe created;  {ms(o + (f['load'] or 0) / 1000)}  its load event")
        if f["path"]:
            print(f"  {ms(f['path'] / 1000)}  first Leaflet path drawn ({f['paths']} paths in all)")
        for name, transfer, decoded, s, e in f["resources"]:
            print(f"      {ms(o + s / 1000)} → {ms(o + e / 1000)}  {name.split('/')[-1][:40]:40} {decoded:>9,} B")
    print(f"  {ms(m['drawn'])}  {'map drawn (areas attached)'}")
    print(f"  {ms(m['idle'])}  app idle: fully rendered")
    by_type: dict[str, int] = {}
    for _t, size, _k, element in m["frames"]:
        by_type[element or _k] = by_type.get(element or _k, 0) + size
    print("Websocket bytes by element: " + ", ".join(f"{k} {v:,}" for k, v in sorted(by_type.items(),
                                                                                          key=lambda x: -x[1])))
    tr = m["trace"]
    print(f"Renderer main thread busy: {tr['busy_ms']:.0f} ms (top-level tasks)")
    for (frame, kind), v in sorted(tr["by_kind"].items(), key=lambda x: -x[1]):
        if v >= 5:
            print(f"  {frame:24} {kind:28} {v:7.0f} ms")
    print("Script self time by file:")
    for url, v in sorted(tr["by_file"].items(), key=lambda x: -x[1])[:12]:
        if v >= 5:
            print(f"  {v:7.0f} ms  {url[-90:]}")


async def _sign_in(context, url: str, page_path: str, user: str, password: str, min_paths: int,
                   timeout_ms: int) -> list[dict]:
    """Sign in through the form and open the page once (this also warms the server); the cookies."""
    page = await context.new_page()
    try:
        await _open_drawn(page, f"{url}/{page_path}", user, password, min_paths, timeout_ms)
        return await context.cookies()
    finally:
        await page.close()


def run_breakdown(url: str, args, cpu) -> dict:
    """Warm the server with one signed-in session, then measure ``args.repeat`` new sessions one after the other."""
    from playwright.async_api import async_playwright

    async def go():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                first = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
                cookies = await _sign_in(first, url, args.page, args.user, args.password, args.min_paths,
                                         args.timeout * 1000)
                results = []
                for _ in range(args.repeat):
                    before = cpu() if cpu else None
                    m = await measured_session(browser, url, args.page, cookies, args.min_paths,
                                               args.timeout * 1000, first if args.browser_cache else None)
                    m["cpu"] = cpu() - before if cpu else None
                    results.append(m)
                return results
            finally:
                await browser.close()

    results = asyncio.run(go())
    for i, m in enumerate(results, 1):
        print(f"\n=== session {i}: {m['idle'] - m['start']:.2f} s to fully rendered"
              + (f", server CPU {m['cpu']:.2f} s" if m["cpu"] is not None else ""))
        report_breakdown(m)
    return results


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
    parser.add_argument("--breakdown", action="store_true",
                        help="instead of the rows: one warm session at a time, traced (where the browser's time goes)")
    parser.add_argument("--repeat", type=int, default=3, help="measured sessions with --breakdown")
    parser.add_argument("--browser-cache", action="store_true",
                        help="with --breakdown: measured sessions in new tabs of the signing-in browser context "
                             "(a returning user: the app's files in the browser's cache), not fresh contexts")
    parser.add_argument("--database", help="a SQLite file made before with --build-only PATH ROWS (else built per run)")
    args = parser.parse_args()
    args.page = f"{args.page.strip('/')}?project={args.project}"
    counts = [int(n) for n in args.sessions.split(",")]
    rows = []
    if args.url:
        cpu = (lambda: cpu_seconds(args.pid)) if args.pid else None
        if args.breakdown:
            run_breakdown(args.url, args, cpu)
            return
        for n in counts:
            print(f"… {n} sessions against {args.url}", file=sys.stderr)
            rows.append(run_row(args.url, n, args, cpu))
    else:
        work = Path(tempfile.mkdtemp(prefix="tuoke_load_"))
        try:
            template = work / "template.sqlite3"
            if args.database:  # built before with --build-only: copied, never written to
                shutil.copy(args.database, template)
                if Path(args.database).with_suffix(".key").exists():
                    shutil.copy(Path(args.database).with_suffix(".key"), template.with_suffix(".key"))
            else:
                t0 = time.perf_counter()
                print(f"… building a database with {args.rows:,} visitors", file=sys.stderr)
                subprocess.run([sys.executable, __file__, "--build-only", str(template), str(args.rows)], check=True)
                print(f"  built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            if args.breakdown:
                server = Server(template, work / "server.log")
                try:
                    run_breakdown(server.url, args, server.cpu)
                finally:
                    server.stop()
                return
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
