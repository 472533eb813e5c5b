"""The second sample project, 天府示范项目（成都）: its files, its story, and bootstrap loading it once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mapping import bootstrap
from mapping.geo.coords import haversine_m, normalise_crs, to_wgs84
from mapping.ingest import keys
from mapping.ingest.tables import auto_map, read_table, validate
from tests.test_sample_data import gen  # data/samples/generate.py, loaded once

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
LINES = ("公寓", "洋房", "叠拼", "商铺")
DEAL_VALUES = {"是": True, "已成交": True, "Y": True, "1": True,
               "否": False, "未成交": False, "N": False, "0": False}
DIMS = {"home": ("居住区域", "居住经度", "居住纬度"),
        "work": ("工作区域", "工作经度", "工作纬度"),
        "leisure": ("生活区域", "生活经度", "生活纬度")}
SECRET = keys.PiiSecret(b"k" * 32, "test-salt")
SH_NAME, CD_NAME = bootstrap.SAMPLE_PROJECT["name"], bootstrap.CHENGDU_SAMPLE_PROJECT["name"]


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return gen.generate(rows=gen.CHENGDU_ROWS, seed=gen.CHENGDU_SEED, with_truth=True, spec=gen.CHENGDU)


@pytest.fixture(scope="module")
def frame(truth) -> pd.DataFrame:
    return truth.loc[:, list(gen.HEADERS)]


@pytest.fixture(scope="module")
def deal(frame) -> np.ndarray:
    return frame["是否成交"].map(DEAL_VALUES).to_numpy(bool)


# --- the files --------------------------------------------------------------------------------
def test_files_on_disk_are_what_the_generator_writes(frame):
    files = gen.CHENGDU_FILES
    assert (SAMPLES / files["utf8"]).read_bytes() == gen.csv_bytes(frame, "utf-8-sig")
    assert (SAMPLES / files["bad"]).read_bytes() == gen.csv_bytes(gen.chengdu_bad_rows_frame(), "utf-8-sig")
    places = gen.place_texts_frame(gen.CHENGDU).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    assert (SAMPLES / files["places"]).read_bytes() == places
    assert files["utf8"] == bootstrap.CHENGDU_SAMPLE_FILE.name


@pytest.mark.parametrize("name", ["chengdu_visitors_sample_utf8bom.csv", "chengdu_visitors_sample.xlsx"])
def test_file_reads_and_validates_cleanly(name, truth):
    data = (SAMPLES / name).read_bytes()
    table = read_table(data, name)
    result = validate(table, auto_map(table.frame.columns), secret=SECRET, product_lines=LINES,
                      derive_hometown=True)  # as bootstrap loads it
    assert len(table.frame) == gen.CHENGDU_ROWS
    assert result.counts == {"accepted": gen.CHENGDU_ROWS, "fixed": 0, "rejected": 0}
    assert result.unknown.empty
    assert set(result.records["product_line"]) == set(LINES)
    # the report's only lines are notes on the segment columns' values written unreadable on purpose
    report = result.report
    rows = {col: sorted(report.loc[report["列"] == col, "行号"].astype(int)) for col in set(report["列"])}
    unreadable = {"意向面积": truth["_area_want_kind"] == "unreadable", "意向总价": truth["_price_want_kind"] == "unreadable",
                  "身份证号": ~truth["_id_kind"].isin(["valid18", "valid15", "blank"])}
    assert rows == {col: (np.flatnonzero(m.to_numpy()) + 2).tolist() for col, m in unreadable.items()}
    assert (report.loc[report["列"] == "身份证号", "原值"] == "（不显示）").all()


def test_xlsx_holds_the_csv_rows():
    text = {c: str for c in ("手机", "意向面积", "意向总价", "意向区域", "身份证号")}
    opts = {"dtype": text, "keep_default_na": False, "na_values": [""]}
    csv = pd.read_csv(SAMPLES / "chengdu_visitors_sample_utf8bom.csv", encoding="utf-8-sig", **opts)
    xlsx = pd.read_excel(SAMPLES / "chengdu_visitors_sample.xlsx", sheet_name="到访客户", engine="openpyxl", **opts)
    for col in ("到访日期", "成交日期"):
        assert pd.api.types.is_datetime64_any_dtype(xlsx[col]), col
        xlsx[col] = xlsx[col].dt.strftime("%Y-%m-%d")
    pd.testing.assert_frame_equal(csv, xlsx, check_dtype=False)


def test_bad_rows_are_reported_as_documented():
    name = gen.CHENGDU_FILES["bad"]
    table = read_table((SAMPLES / name).read_bytes(), name)
    result = validate(table, auto_map(table.frame.columns), secret=SECRET, product_lines=LINES)
    report = result.report
    lines = dict(zip([v for v, _, _ in gen.CHENGDU_BAD_ROWS], gen.chengdu_bad_rows_line_numbers(table.frame)))
    problems = {(int(r["行号"]), r["列"]) for _, r in report.iterrows()}
    assert {(lines["TFS-900011"], "到访日期"), (lines["TFS-900012"], "到访日期"), (lines["TFS-900014"], "居住经度"),
            (lines["TFS-900015"], "坐标系"), (lines["TFS-900016"], "意向业态"),
            (lines["TFS-900017"], "客户编号")} <= problems
    assert result.row_status.iloc[lines["TFS-900011"] - 2] == "rejected"
    assert result.row_status.iloc[lines["TFS-900013"] - 2] != "rejected"  # 2024/11/16 is a date
    assert result.unknown["raw"].tolist() == ["别墅"]  # not a line of this project
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for vid, _, _ in gen.CHENGDU_BAD_ROWS:
        assert f"| {lines[vid]} | {vid} |" in readme, vid


# --- determinism ---------------------------------------------------------------------------
def test_same_seed_same_frame_other_seed_differs():
    a = gen.generate(rows=400, seed=5, with_truth=True, spec=gen.CHENGDU)
    b = gen.generate(rows=400, seed=5, with_truth=True, spec=gen.CHENGDU)
    pd.testing.assert_frame_equal(a, b)
    c = gen.generate(rows=400, seed=6, spec=gen.CHENGDU)
    assert not a["姓名"].equals(c["姓名"])
    assert gen.xlsx_bytes(a.head(20)) == gen.xlsx_bytes(b.head(20))


def test_shanghai_default_unchanged_by_the_chengdu_spec():
    before = gen.generate(rows=300, seed=9)
    gen.generate(rows=300, seed=9, spec=gen.CHENGDU)
    pd.testing.assert_frame_equal(before, gen.generate(rows=300, seed=9, spec=gen.SHANGHAI))
    assert before["客户编号"].str.startswith("JQW-").all()


# --- the project's shape -----------------------------------------------------------------------
def test_ids_dates_lines_and_deals(frame, deal):
    assert frame["客户编号"].is_unique and frame["客户编号"].str.fullmatch(r"TFS-\d{6}").all()
    dates = pd.to_datetime(frame["到访日期"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp("2024-08-01") and dates.max() <= pd.Timestamp("2025-01-31")
    assert dates.value_counts().idxmax() in pd.date_range("2024-11-14", "2024-11-18")  # 开盘 2024-11-16
    assert set(frame["意向业态"]) == set(LINES)
    assert 0.06 <= deal.mean() <= 0.10
    deals = frame[deal]
    assert (pd.to_datetime(deals["成交日期"]) >= pd.to_datetime(deals["到访日期"])).all()
    assert (pd.to_datetime(deals["成交日期"]) >= pd.Timestamp("2024-11-16")).mean() > 0.85
    assert set(deals["成交业态"]) == set(LINES)
    ranges = {"公寓": (60, 150), "洋房": (150, 350), "叠拼": (300, 650), "商铺": (100, 500)}
    for line, (lo, hi) in ranges.items():
        assert deals.loc[deals["成交业态"] == line, "成交金额(万元)"].between(lo, hi).all(), line


def test_coordinates_are_in_the_rows_crs_and_in_chengdu(truth, frame):
    crs = frame["坐标系"].map(normalise_crs)
    assert (crs == truth["_true_crs"]).all()
    assert {"GCJ02", "BD09"} <= set(crs)
    for dim, (_, lng_col, lat_col) in DIMS.items():
        m = frame[lng_col].notna().to_numpy()
        assert 0.35 <= m.mean() <= 0.55, dim
        lng, lat = to_wgs84(frame.loc[m, lng_col], frame.loc[m, lat_col], crs[m].to_numpy(dtype=object))
        err = haversine_m(lng, lat, truth.loc[m, f"_true_{dim}_lng"], truth.loc[m, f"_true_{dim}_lat"])
        assert err.max() < 1.0, dim
        assert ((lng > 103.4) & (lng < 104.9) & (lat > 30.2) & (lat < 31.2)).all(), dim


def test_points_and_sites_fall_in_their_district(truth):
    from shapely import contains_xy

    from mapping.geo.boundaries import load_layer

    layer = load_layer("districts", city="510100")
    polygons = dict(zip(layer["area_name"], layer.geometry))
    for dim in DIMS:
        given = truth[truth[f"_true_{dim}_lng"].notna()]
        for district, rows in given.groupby(f"_true_{dim}_district"):
            inside = contains_xy(polygons[district], rows[f"_true_{dim}_lng"], rows[f"_true_{dim}_lat"])
            assert inside.all(), (dim, district, int((~inside).sum()))
    sites = [gen.CHENGDU_SITE_WGS84] + [(c["lng"], c["lat"]) for c in gen.CHENGDU_COMPETITORS]
    assert [contains_xy(polygons["双流区"], *xy) for xy in sites] == [True, True, True, False]  # 金融城: 武侯区
    assert contains_xy(polygons["武侯区"], *sites[3])
    assert tuple(bootstrap.CHENGDU_SAMPLE_PROJECT["site"]) == gen.CHENGDU_SITE_WGS84
    assert [dict(c) for c in gen.CHENGDU_COMPETITORS] == bootstrap.CHENGDU_SAMPLE_COMPETITORS


def test_places_are_written_the_chengdu_way(truth, frame):
    texts = pd.concat([frame[c] for c, _, _ in DIMS.values()]).dropna()
    for needle in ["锦江区", "青羊", "高新区", "天府新区", "双流区", "郫县", "双流县", "桂溪街道", "华阳街道",
                   "春熙路", "太古里", "天府广场", "金融城", "环球中心", "软件园", "大源", "华阳", "万象城",
                   "德阳", "眉山", "仁寿", "不详"]:
        assert (texts == needle).any(), needle
    assert texts.str.match(r"成都市\w+区\w+(路|街|大道)").any()
    assert texts.str.contains("号附1号").any() and not texts.str.contains("弄").any()
    assert texts.str.contains("\u3000").any() and texts.str.contains("[區錦]").any()
    typos = set(gen.CHENGDU_TYPOS.values())
    assert texts.map(lambda s: any(t in s for t in typos)).sum() >= 20


def test_town_names_are_real_towns_of_their_district():
    towns = pd.read_csv(ROOT / "data" / "gazetteer" / "towns_cn.csv", dtype=str)
    districts = pd.read_csv(ROOT / "data" / "gazetteer" / "districts_cn.csv", dtype=str)
    code = dict(zip(districts.loc[districts["city_adcode"] == "510100", "name"],
                    districts.loc[districts["city_adcode"] == "510100", "adcode"]))
    real = set(zip(towns["name"], towns["adcode"]))
    areas = {**gen.CHENGDU_AREAS, **{n: {**p, "district": n} for n, p in gen.CHENGDU_DISTRICTS.items()}}
    checked = 0
    for name, p in areas.items():
        for town in p["town"]:
            if town.endswith(("街道", "镇")):
                assert (town, code[p["district"]]) in real, (name, town)
                checked += 1
    assert checked >= 60


# --- the story ---------------------------------------------------------------------------------
def test_gaoxin_workers_visit_most_convert_poorly_and_buy_apartments(truth, frame, deal):
    answered = (truth["_work_kind"] != "empty").to_numpy()
    work = truth["_true_work_area"]
    counts = work[answered].value_counts()
    assert counts.index[0] == "高新南区"
    assert counts.iloc[0] > 2.5 * counts.iloc[1]
    gx = (work == "高新南区").to_numpy()
    assert deal[gx].mean() < 0.5 * deal.mean()
    assert (frame.loc[gx & deal, "成交业态"] == "公寓").mean() >= 0.8
    assert frame.loc[~gx & deal, "成交业态"].isin(["洋房", "叠拼"]).mean() > 0.5
    better = work.isin(gen.CHENGDU_BETTER_AREAS).to_numpy()
    assert deal[better].mean() > deal.mean()
    assert (truth.loc[gx, "_true_work_district"] == "武侯区").all()


def test_the_story_is_not_on_the_home_map(truth, deal):
    home = truth["_true_home_area"]
    assert home.value_counts().index[0] == "天府新区"
    top = home.value_counts().index[:4]
    for area in top:
        assert deal[(home == area).to_numpy()].mean() > 0.6 * deal.mean(), area


def test_readme_tells_the_story_with_the_numbers(truth):
    stats = gen.chengdu_story_stats(truth)
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    assert gen.chengdu_readme_section(stats) in readme
    assert f"{stats['story_deals']} deals from {stats['story_visits']} visitors who work there" in readme
    assert stats["story_rank"] == 1 and stats["story_mix"]["公寓"] >= 0.8


# --- bootstrap ---------------------------------------------------------------------------------
@pytest.fixture
def quiet_admin(monkeypatch):
    monkeypatch.setenv("TUOKE_ADMIN_PASSWORD", "Env-Seed-Pass-1")
    monkeypatch.delenv("TUOKE_SAMPLE", raising=False)


def _names(store) -> list[str]:
    return store.projects()["name"].tolist()


def test_first_start_loads_both_samples_once(store, quiet_admin):
    bootstrap.ensure_ready(store)
    bootstrap.ensure_ready(store)
    assert _names(store) == [SH_NAME, CD_NAME]
    projects = store.projects().set_index("name")
    cd = store.project(int(projects.loc[CD_NAME, "id"]))
    assert cd.city_adcode == "510100" and cd.product_lines == LINES
    assert cd.launch_date == dt.date(2024, 11, 16) and len(cd.competitors) == 3
    summary = store.summary(cd.id)
    assert summary["visitors"] == gen.CHENGDU_ROWS
    assert summary["deals"] == gen.chengdu_story_stats(
        gen.generate(rows=gen.CHENGDU_ROWS, seed=gen.CHENGDU_SEED, with_truth=True, spec=gen.CHENGDU))["deals"]
    assert store.summary(int(projects.loc[SH_NAME, "id"]))["visitors"] == gen.DEFAULT_ROWS
    # the story survives resolution: by resolved work district, 武侯区 (高新南区) leads and converts poorly
    work = store.locations(cd.id).query("dimension == 'work' and adcode != ''")
    by_district = work.groupby("adcode")["deal"].agg(["size", "mean"]).sort_values("size", ascending=False)
    assert by_district.index[0] == "510107"
    assert by_district.loc["510107", "mean"] < 0.7 * summary["conversion"]


def test_an_older_database_gets_the_chengdu_sample_once(store, quiet_admin):
    bootstrap.load_sample(store)  # what the first start did before the 成都 sample existed
    bootstrap.ensure_ready(store)
    assert _names(store) == [SH_NAME, CD_NAME]
    bootstrap.ensure_ready(store)
    assert _names(store) == [SH_NAME, CD_NAME]
    store.delete_project(int(store.projects().set_index("name").loc[CD_NAME, "id"]))
    bootstrap.ensure_ready(store)  # deleted on purpose: not brought back
    assert _names(store) == [SH_NAME]


def test_no_chengdu_sample_without_the_shanghai_one(store, quiet_admin):
    store.create_project("自己的项目", "510100", None, ["公寓"])
    bootstrap.ensure_ready(store)
    assert _names(store) == ["自己的项目"]
    assert bootstrap.ensure_chengdu_sample(store) is None


def test_tuoke_sample_0_skips_both(store, quiet_admin, monkeypatch):
    monkeypatch.setenv("TUOKE_SAMPLE", "0")
    bootstrap.ensure_ready(store)
    assert _names(store) == []
    bootstrap.load_sample(store)
    bootstrap.ensure_ready(store)  # a company's server that once had the Shanghai sample: no 成都 either
    assert _names(store) == [SH_NAME]


def test_a_second_process_does_not_add_it_again(store, quiet_admin):
    bootstrap.load_sample(store)
    assert store.claim_setting(bootstrap.CHENGDU_SAMPLE_SETTING, "added")  # another instance got there first
    assert bootstrap.ensure_chengdu_sample(store) is None
    assert _names(store) == [SH_NAME]
