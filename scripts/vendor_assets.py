#!/usr/bin/env python3
"""Fetch the JS/CSS/fonts/images that folium needs and copy them to static/vendor/.

Re-runnable, and NOT run at app start: the vendored files are committed, so the
app works on an intranet without any CDN.  Run it only to refresh or add assets:

    .venv/bin/python scripts/vendor_assets.py

Sources (package registries only):
  * npm packages, fetched with ``npm pack <name>@<version>``;
  * folium's own small helper files (awesome-rotate CSS, Leaflet.heat build),
    taken from the folium sdist on PyPI (``pip download --no-binary``) at the
    installed folium version.

The CDN URL -> local file table lives in ``mapping/offline.py`` (``CDN_MAP``);
after copying, this script checks that every target of that table exists and
that every ``url(...)`` inside a vendored CSS file resolves to a vendored file.
It (re)writes ``static/vendor/manifest.json`` and ``static/vendor/README.md``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
sys.path.insert(0, str(ROOT))


@dataclass
class Package:
    dest: str  # folder under static/vendor/
    name: str  # npm package name, or "pypi:<name>"
    version: str
    license: str
    files: dict[str, str]  # path in package -> path under dest ("x/" copies a folder)
    license_files: list[str] = field(default_factory=list)
    homepage: str = ""
    note: str = ""
    cdn: str = ""  # what folium/branca reference (for the README)


def _folium_version() -> str:
    import folium

    return folium.__version__


PACKAGES: list[Package] = [
    Package(
        "leaflet", "leaflet", "1.9.3", "BSD-2-Clause",
        {"dist/leaflet.js": "leaflet.js", "dist/leaflet.css": "leaflet.css",
         "dist/images/": "images/"},
        ["LICENSE"], "https://leafletjs.com",
        cdn="cdn.jsdelivr.net/npm/leaflet@1.9.3",
    ),
    Package(
        "jquery", "jquery", "3.7.1", "MIT",
        {"dist/jquery.min.js": "jquery.min.js"}, ["LICENSE.txt"], "https://jquery.com",
        cdn="code.jquery.com/jquery-3.7.1.min.js",
    ),
    Package(
        "bootstrap", "bootstrap", "5.2.2", "MIT",
        {"dist/css/bootstrap.min.css": "css/bootstrap.min.css",
         "dist/js/bootstrap.bundle.min.js": "js/bootstrap.bundle.min.js"},
        ["LICENSE"], "https://getbootstrap.com",
        cdn="cdn.jsdelivr.net/npm/bootstrap@5.2.2",
    ),
    Package(
        "bootstrap-glyphicons", "bootstrap", "3.4.1", "MIT",
        {"dist/fonts/": "fonts/"},
        ["LICENSE"], "https://getbootstrap.com/docs/3.4/components/#glyphicons",
        note="css/bootstrap-glyphicons.css is the Glyphicons part (@font-face + .glyphicon* "
        "rules) cut out of dist/css/bootstrap.css; folium asks for netdna "
        "bootstrap/3.0.0/css/bootstrap-glyphicons.css, which is not on npm.",
        cdn="netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    ),
    Package(
        "fontawesome-free", "@fortawesome/fontawesome-free", "6.2.0",
        "CC-BY-4.0 (icons) AND OFL-1.1 (fonts) AND MIT (code)",
        {"css/all.min.css": "css/all.min.css", "webfonts/": "webfonts/"},
        ["LICENSE.txt"], "https://fontawesome.com",
        cdn="cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0",
    ),
    Package(
        "leaflet-awesome-markers", "drmonty-leaflet-awesome-markers", "2.0.2", "MIT",
        {"js/leaflet.awesome-markers.js": "leaflet.awesome-markers.js",
         "css/leaflet.awesome-markers.css": "leaflet.awesome-markers.css",
         "css/images/": "images/"},
        [], "https://github.com/lvoogdt/Leaflet.awesome-markers",
        note="npm mirror of Leaflet.awesome-markers 2.0.2 (the version folium uses); "
        "it ships no LICENSE file, LICENSE is the upstream MIT text taken from "
        "npm leaflet.awesome-markers@2.0.5.",
        cdn="cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2",
    ),
    Package(
        "leaflet-markercluster", "leaflet.markercluster", "1.1.0", "MIT",
        {"dist/leaflet.markercluster.js": "leaflet.markercluster.js",
         "dist/MarkerCluster.css": "MarkerCluster.css",
         "dist/MarkerCluster.Default.css": "MarkerCluster.Default.css"},
        ["MIT-LICENCE.txt"], "https://github.com/Leaflet/Leaflet.markercluster",
        cdn="cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0",
    ),
    Package(
        "leaflet-sync", "leaflet.sync", "0.2.4", "BSD-3-Clause",
        {"L.Map.Sync.js": "L.Map.Sync.js"}, ["LICENSE"],
        "https://github.com/jieter/Leaflet.Sync",
        note="folium's DualMap asks for an unversioned, CDN-minified build from GitHub; "
        "this is the latest npm release, unminified.",
        cdn="cdn.jsdelivr.net/gh/jieter/Leaflet.Sync/L.Map.Sync.min.js",
    ),
    Package(
        "leaflet-fullscreen", "leaflet.fullscreen", "3.0.0", "MIT",
        {"Control.FullScreen.js": "Control.FullScreen.js",
         "Control.FullScreen.css": "Control.FullScreen.css",
         "icon-fullscreen.svg": "icon-fullscreen.svg"},
        ["LICENSE"], "https://github.com/brunob/leaflet.fullscreen",
        note="folium asks for the CDN-minified Control.FullScreen.min.js; same code, unminified.",
        cdn="cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0",
    ),
    Package(
        "leaflet-draw", "leaflet-draw", "1.0.2", "MIT",
        {"dist/leaflet.draw.js": "leaflet.draw.js", "dist/leaflet.draw.css": "leaflet.draw.css",
         "dist/images/": "images/"},
        [], "https://github.com/Leaflet/Leaflet.draw",
        cdn="cdnjs.cloudflare.com/ajax/libs/leaflet.draw/1.0.2",
    ),
    Package(
        "d3", "d3", "3.5.5", "BSD-3-Clause",
        {"d3.min.js": "d3.min.js"}, ["LICENSE"], "https://d3js.org",
        note="needed by branca colour-scale legends (ColorMap / Choropleth legend).",
        cdn="cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js",
    ),
    Package(
        "folium", "pypi:folium", "", "MIT",
        {"folium/templates/leaflet.awesome.rotate.css": "leaflet.awesome.rotate.css",
         "folium/templates/leaflet_heat.min.js": "leaflet_heat.min.js"},
        ["LICENSE.txt"], "https://github.com/python-visualization/folium",
        note="leaflet_heat.min.js is folium's patched build of Leaflet.heat "
        "(BSD-2-Clause, (c) Vladimir Agafonkin); version = installed folium.",
        cdn="cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/",
    ),
]

# extra licence files taken from another package: dest -> (npm spec, path)
EXTRA_LICENSES = {
    "leaflet-awesome-markers": ("leaflet.awesome-markers@2.0.5", "LICENSE"),
}


def run(cmd: list[str], cwd: Path | None = None) -> str:
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{res.stderr}")
    return res.stdout


def npm_fetch(spec: str, work: Path) -> tuple[Path, dict]:
    """npm pack SPEC into WORK; return (unpacked package dir, npm metadata)."""
    out = run(["npm", "pack", spec, "--json", "--loglevel=error",
               "--pack-destination", str(work)])
    meta = json.loads(out)[0]
    tgz = work / meta["filename"]
    dest = work / ("x-" + meta["filename"].removesuffix(".tgz"))
    with tarfile.open(tgz) as tf:
        tf.extractall(dest, filter="data")
    return dest / "package", meta


def pypi_fetch(name: str, version: str, work: Path) -> tuple[Path, dict]:
    dl = work / f"pypi-{name}"
    run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--no-binary", ":all:", f"{name}=={version}", "-d", str(dl)])
    sdist = next(dl.glob(f"{name}-{version}.tar.gz"))
    with tarfile.open(sdist) as tf:
        tf.extractall(dl, filter="data")
    return dl / f"{name}-{version}", {"filename": sdist.name, "integrity": "", "id": f"{name}=={version}"}


def copy_files(pkg_dir: Path, files: dict[str, str], dest: Path) -> list[str]:
    copied = []
    for src, dst in files.items():
        s = pkg_dir / src
        d = dest / dst
        if src.endswith("/"):
            shutil.copytree(s, d, dirs_exist_ok=True)
            copied += [str(p.relative_to(dest)) for p in sorted(d.rglob("*")) if p.is_file()]
        else:
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(s, d)
            copied.append(dst)
    return copied


def extract_glyphicons(bootstrap3_css: str) -> str:
    """Cut the Glyphicons @font-face and .glyphicon* rules out of bootstrap 3's CSS."""
    start = bootstrap3_css.index('@font-face {\n  font-family: "Glyphicons Halflings"')
    end = bootstrap3_css.index("\n* {", start)
    part = bootstrap3_css[start:end].strip() + "\n"
    assert part.count("{") == part.count("}")
    head = "/*! Glyphicons Halflings part of Bootstrap v3.4.1 (MIT) https://getbootstrap.com */\n"
    return head + part


CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")


def css_refs(css_file: Path) -> list[Path]:
    """Local files referenced by url(...) in a CSS file (data:, #frag and http ignored)."""
    out = []
    for _, ref in CSS_URL.findall(css_file.read_text(encoding="utf-8")):
        if ref.startswith(("data:", "#", "http:", "https:", "//")):
            continue
        ref = ref.split("?")[0].split("#")[0]
        out.append((css_file.parent / ref).resolve())
    return out


def verify() -> list[str]:
    """Return a list of problems (empty when the vendor tree is complete)."""
    from mapping.maps.offline import CDN_MAP

    problems = []
    for url, rel in CDN_MAP.items():
        if not (VENDOR / rel).is_file():
            problems.append(f"missing {rel} (for {url})")
    for css in VENDOR.rglob("*.css"):
        for ref in css_refs(css):
            if not ref.is_file():
                problems.append(f"{css.relative_to(VENDOR)} references missing {ref}")
    return problems


def write_readme(manifest: dict) -> None:
    lines = [
        "# static/vendor — offline copies of the map's JS/CSS",
        "",
        "folium loads Leaflet, jQuery, Bootstrap, Font Awesome, awesome-markers and its",
        "plugins from public CDNs, which many intranets cannot reach.  These are local copies,",
        "served by Streamlit at `/app/static/vendor/...` (`[server] enableStaticServing = true`)",
        "and inlined by `mapping.maps.offline.standalone_html()` for exported HTML files.",
        "The CDN URL → local file table is `CDN_MAP` in `mapping/offline.py`.",
        "",
        "Generated by `scripts/vendor_assets.py` (do not edit by hand; re-run the script).",
        "The files are committed; the app never downloads anything at run time.",
        "",
        "| folder | package | version | licence | source | replaces (CDN) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for dest, m in manifest["packages"].items():
        lines.append(
            f"| `{dest}/` | {m['package']} | {m['version']} | {m['license']} | "
            f"{m['source']} | {m['cdn']} |"
        )
    lines += ["", "## Notes", ""]
    for dest, m in manifest["packages"].items():
        if m.get("note"):
            lines.append(f"- `{dest}/`: {m['note']}")
    lines += [
        "",
        "Each folder keeps the package's licence file(s) next to the copied files.",
        "Integrity hashes (npm `dist.integrity`) are in `manifest.json`.",
        "",
    ]
    (VENDOR / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="only verify the committed vendor tree, fetch nothing")
    args = ap.parse_args(argv)
    if args.check:
        problems = verify()
        print("\n".join(problems) or "static/vendor is complete")
        return 1 if problems else 0

    VENDOR.mkdir(parents=True, exist_ok=True)
    manifest: dict = {"packages": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for pkg in PACKAGES:
            if pkg.name.startswith("pypi:"):
                name = pkg.name.split(":", 1)[1]
                version = pkg.version or _folium_version()
                pkg_dir, meta = pypi_fetch(name, version, work)
                source = f"PyPI sdist {meta['filename']}"
                display = name
            else:
                version = pkg.version
                pkg_dir, meta = npm_fetch(f"{pkg.name}@{version}", work)
                source = f"npm {meta['id']}"
                display = pkg.name
            dest = VENDOR / pkg.dest
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            files = copy_files(pkg_dir, pkg.files, dest)
            if pkg.dest == "bootstrap-glyphicons":
                css = extract_glyphicons((pkg_dir / "dist/css/bootstrap.css").read_text("utf-8"))
                (dest / "css").mkdir(exist_ok=True)
                (dest / "css/bootstrap-glyphicons.css").write_text(css, encoding="utf-8")
                files.append("css/bootstrap-glyphicons.css")
            for lic in pkg.license_files:
                shutil.copyfile(pkg_dir / lic, dest / Path(lic).name)
                files.append(Path(lic).name)
            if pkg.dest in EXTRA_LICENSES:
                spec, path = EXTRA_LICENSES[pkg.dest]
                other, _ = npm_fetch(spec, work)
                shutil.copyfile(other / path, dest / "LICENSE")
                files.append("LICENSE")
            manifest["packages"][pkg.dest] = {
                "package": display,
                "version": version,
                "license": pkg.license,
                "source": source,
                "integrity": meta.get("integrity", ""),
                "homepage": pkg.homepage,
                "cdn": pkg.cdn,
                "note": pkg.note,
                "files": sorted(files),
            }
            print(f"{pkg.dest:24s} {display}@{version}: {len(files)} files")

    (VENDOR / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_readme(manifest)
    problems = verify()
    for p in problems:
        print("PROBLEM:", p)
    total = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.is_file())
    print(f"static/vendor: {total / 1024:.0f} KiB")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
