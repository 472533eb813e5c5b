"""The samples' issue-15 columns (意向面积, 意向总价, 意向区域, synthetic 身份证号) and the 金桥 story by industry.

The four columns come from their own random stream, so the columns the samples had before are
unchanged (checked against fingerprints of the files as they were); they read in the app as the
generator meant them; the ID numbers are valid, synthetic and consistent with 年龄段; and the
samples are loaded with 籍贯 derived while no ID number reaches the database.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mapping import bootstrap
from mapping.ingest import keys
from mapping.ingest.tables import auto_map, read_table, validate
from mapping.segments import bands, hometown
from tests.test_sample_data import gen  # data/samples/generate.py, loaded once

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
SECRET = keys.PiiSecret(b"k" * 32, "test-salt")
CITIES = {"shanghai": (gen.SHANGHAI, gen.DEFAULT_ROWS, gen.DEFAULT_SEED, "visitors_sample_utf8bom.csv"),
          "chengdu": (gen.CHENGDU, gen.CHENGDU_ROWS, gen.CHENGDU_SEED, "chengdu_visitors_sample_utf8bom.csv")}
# sha256 of the files' 26 columns as committed before the segment columns existed (ed0933c^), read as
# text and written back with pandas; the Shanghai one without 行业 (see test_industry_changed_only_for_...).
BEFORE = {"shanghai": "e2d98b90b026b30a2395208cc352cb1f46d965c86a8544041231fadda7934039",
          "chengdu": "ac220355753d31e262ceced3d7558c847619bf74484701bb6b0ef9bf9a1477b8"}
# sha256 of the Shanghai file's 行业 cells before, on the rows of everyone but 外高桥/金桥 workers who bought
INDUSTRY_BEFORE = "4a8bca7ee44a1eef722458dec8cce24ad002fd1a2e188eb2b5ea62c34acbe9d8"


@pytest.fixture(scope="module", params=list(CITIES))
def city(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def truth(city) -> pd.DataFrame:
    spec, rows, seed, _ = CITIES[city]
    return gen.generate(rows=rows, seed=seed, with_truth=True, spec=spec)


@pytest.fixture(scope="module")
def shanghai() -> pd.DataFrame:
    return gen.generate(with_truth=True)


def _file(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLES / name, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- the other columns stay as they were ---------------------------------------------------------
def test_headers_end_with_the_four_segment_columns():
    assert gen.HEADERS[-4:] == ("意向面积", "意向总价", "意向区域", "身份证号") == gen.SEGMENT_HEADERS
    assert gen.HEADERS[:26] == gen.BASE_HEADERS


def test_old_columns_of_the_files_are_what_they_were(city):
    frame = _file(CITIES[city][3])
    columns = [c for c in gen.BASE_HEADERS if not (city == "shanghai" and c == "行业")]
    assert _sha(frame[columns].to_csv(index=False, lineterminator="\n")) == BEFORE[city]


def test_industry_changed_only_for_waigaoqiao_and_jinqiao_workers_who_bought(shanghai):
    frame = _file("visitors_sample_utf8bom.csv")
    buyers = (shanghai["_true_work_area"].isin(["外高桥", "金桥"]) & shanghai["_true_deal"]).to_numpy()
    assert _sha("\n".join(frame.loc[~buyers, "行业"])) == INDUSTRY_BEFORE
    assert buyers.sum() == 156


def test_segment_stream_is_apart_from_the_other_columns(monkeypatch):
    for spec in (gen.SHANGHAI, gen.CHENGDU):
        before = gen.generate(rows=400, seed=3, spec=spec)
        monkeypatch.setattr(gen, "SEGMENT_SEED_OFFSET", 99)
        other = gen.generate(rows=400, seed=3, spec=spec)
        monkeypatch.undo()
        pd.testing.assert_frame_equal(before[list(gen.BASE_HEADERS)], other[list(gen.BASE_HEADERS)])
        assert not before["身份证号"].equals(other["身份证号"])


# --- 意向面积 / 意向总价 ------------------------------------------------------------------------------
@pytest.mark.parametrize("column, kind, true_col", [("意向面积", "area", "_true_area_sqm"),
                                                   ("意向总价", "price", "_true_price_wan")])
def test_wishes_read_as_meant_and_unreadable_ones_are_counted(truth, column, kind, true_col):
    table = bands.read(truth[column], kind)
    written = truth[f"_{'area' if kind == 'area' else 'price'}_want_kind"]
    read_ok = (table["原因"] == "").to_numpy()
    np.testing.assert_array_equal(read_ok, (written == "text").to_numpy())  # the unreadable ones are on purpose
    assert truth.loc[(written == "blank").to_numpy(), column].isna().all()
    assert 0.1 < (written == "blank").mean() < 0.2 and 0.015 < (written == "unreadable").mean() < 0.05
    # every value read holds what the generator meant (rounded to a 5/10/50 and a range step around it)
    true = truth.loc[read_ok, true_col].to_numpy()
    lo, hi = table.loc[read_ok, "lo"].to_numpy(), table.loc[read_ok, "hi"].to_numpy()
    slack = 0.35 * true + 10
    assert ((true >= lo - slack) & (true <= hi + slack)).all()


def test_wishes_follow_the_product_line(truth, city):
    spec = CITIES[city][0]
    big = spec.lines[2]  # 别墅 / 叠拼
    for column, kind in (("意向面积", "area"), ("意向总价", "price")):
        table = bands.read(truth[column], kind)
        key = np.where(np.isinf(table["hi"]), table["lo"], (table["lo"] + table["hi"]) / 2)
        median = pd.Series(key).groupby(truth["意向业态"].to_numpy()).median()
        assert median["公寓"] < median["洋房"] < median[big], (column, median.to_dict())


def test_wishes_are_written_the_ways_the_brief_lists(shanghai):
    area, price = shanghai["意向面积"].dropna(), shanghai["意向总价"].dropna()
    for pattern in (r"\d+-\d+", r"\d+㎡左右", r"\d+平", r"\d+以上", r"\d+㎡"):
        assert area.str.fullmatch(pattern).any(), pattern
    assert {"三房", "大平层"} <= set(area)
    for pattern in (r"\d+万", r"\d+-\d+万", r"\d+万以上", r"1\d{3}万", r"\d{6,}元", r"总价\d+万左右"):
        assert price.str.fullmatch(pattern).any(), pattern
    assert {"三百万", "看情况"} <= set(price)


def test_buyers_budget_is_near_what_they_paid(shanghai):
    deal = shanghai["_true_deal"].to_numpy()
    ratio = shanghai.loc[deal, "_true_price_wan"] / shanghai.loc[deal, "成交金额(万元)"]
    assert ratio.between(0.85, 1.15).all()


# --- 意向区域 --------------------------------------------------------------------------------------
def test_intended_areas_are_places_of_the_city(truth, city):
    from mapping.place.resolve import resolve_texts

    spec = CITIES[city][0]
    values = truth["意向区域"]
    assert 0.2 < values.isna().mean() < 0.3
    texts = sorted(values.dropna().unique())
    found = resolve_texts(texts, spec.city_adcode).reset_index(drop=True)
    prefix = spec.city_adcode[:2] if spec.city_adcode.endswith("0000") else spec.city_adcode[:4]  # 上海: 31xxxx
    unplaced = {t for t, code in zip(texts, found["adcode"].fillna("")) if not str(code).startswith(prefix)}
    # 天府新区 and 高新区 are no administrative units: a project maps them with an alias
    assert unplaced == (set() if city == "shanghai" else {"天府新区", "高新区", "高新南区"})
    top = values.value_counts().index[0]
    assert top == ("金桥" if city == "shanghai" else "天府新区")


# --- 身份证号 --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def derived(truth) -> pd.DataFrame:
    return hometown.derive(truth["身份证号"])


def test_id_numbers_are_valid_where_meant_and_unreadable_where_meant(truth, derived):
    kind = truth["_id_kind"]
    status = derived["status"].astype(str)
    good = kind.isin(["valid18", "valid15"]).to_numpy()
    assert status[good].isin([hometown.VALID, hometown.HISTORIC]).all()
    assert (status[~good] == hometown.UNREAD).all()
    ids = truth["身份证号"]
    eighteen = ids[(kind == "valid18").to_numpy()]
    assert eighteen.str.fullmatch(r"\d{17}[\dXx]").all()
    assert all(hometown.check_digit(s[:17]) == s[17].upper() for s in eighteen.head(300))
    assert ids[(kind == "valid15").to_numpy()].str.fullmatch(r"\d{15}").all()
    assert ids[(kind == "excel").to_numpy()].str.fullmatch(r"\d\.\d{5}E\+17").all()
    assert ids[(kind == "bad_length").to_numpy()].str.len().eq(17).all()
    reasons = set(derived.loc[(kind == "bad_check").to_numpy(), "reason"].astype(str))
    assert reasons == {"校验位不对（第 18 位与前 17 位不符），请核对号码"}
    shares = kind.value_counts(normalize=True)
    assert 0.06 < shares["blank"] < 0.1 and 0.01 < shares["valid15"] < 0.05
    assert 0.01 < shares[["bad_check", "bad_length", "excel"]].sum() < 0.04
    assert eighteen.str.endswith("x").any() and eighteen.str.endswith("X").any()


def test_id_numbers_place_of_origin_is_the_one_drawn(truth, derived):
    good = truth["_id_kind"].isin(["valid18", "valid15"]).to_numpy()
    assert (derived.loc[good, "province_code"].astype(str).str[:2].to_numpy()
            == truth.loc[good, "_true_origin_code"].str[:2].to_numpy()).all()
    assert (truth.loc[good, "身份证号"].str[:6] == truth.loc[good, "_true_origin_code"]).all()


def test_birth_dates_fit_the_age_band_at_the_visit(truth):
    good = truth["_id_kind"].isin(["valid18", "valid15"]).to_numpy()
    ids = truth.loc[good, "身份证号"]
    born = pd.to_datetime(np.where(ids.str.len() == 18, ids.str[6:14], "19" + ids.str[6:12]), format="%Y%m%d")
    visit = pd.to_datetime(truth.loc[good, "到访日期"])
    age = visit.dt.year - born.year - ((visit.dt.month * 100 + visit.dt.day) < (born.month * 100 + born.day))
    band = truth.loc[good, "年龄段"]
    limits = {"25岁以下": (18, 24), "25-34岁": (25, 34), "35-44岁": (35, 44), "45-54岁": (45, 54), "55岁以上": (55, 80)}
    for label, (lo, hi) in limits.items():
        assert age[band == label].between(lo, hi).all(), label
    assert age[band.isna()].between(*gen.AGE_UNKNOWN).all()
    assert (born.year[(ids.str.len() == 15).to_numpy()] <= gen.ID_15_BEFORE).all()


def test_origins_are_plausible_for_the_city(truth, derived, city):
    good = derived["status"].astype(str) != hometown.UNREAD
    provinces = derived.loc[good, "province"].astype(str)
    shares = provinces.value_counts(normalize=True)
    line = truth.loc[good.to_numpy(), "意向业态"].to_numpy()
    if city == "shanghai":
        assert list(shares.index[:4]) == ["上海市", "江苏省", "浙江省", "安徽省"]
        assert 0.4 < shares["上海市"] < 0.55
        local = provinces == "上海市"
        big = "别墅"
    else:
        assert list(shares.index[:2]) == ["四川省", "重庆市"]
        assert shares["四川省"] + shares["重庆市"] > 0.8
        local = provinces == "四川省"
        big = "叠拼"
    assert local[line == "公寓"].mean() + 0.2 < local[line == big].mean()  # 公寓 buyers come from further away
    assert (derived.loc[good, "status"].astype(str) == hometown.HISTORIC).mean() > 0.03


# --- the 金桥 story on the work map, by industry ---------------------------------------------------------
def test_waigaoqiao_jinqiao_factory_and_logistics_workers_buy_the_apartments(shanghai):
    deal = shanghai["_true_deal"].to_numpy()
    apt = deal & (shanghai["成交业态"] == "公寓").to_numpy()
    answered = (shanghai["_work_kind"] != "empty").to_numpy()
    port = shanghai["_true_work_area"].isin(["外高桥", "金桥"]).to_numpy()
    industry = shanghai["行业"].to_numpy()

    def row(m):
        return int(m.sum()), int(deal[m].sum()), int(apt[m].sum())

    # hand-checked on the default file (data/samples/README.md)
    assert row(port & (industry == "制造业")) == (591, 46, 31)
    assert row(port & (industry == "贸易物流")) == (536, 37, 24)
    story = np.isin(industry, ["制造业", "贸易物流"])
    assert row(port & ~story) == (674, 73, 9)
    assert row(answered & ~port & story) == (453, 36, 11)
    assert row(answered & ~port & ~story) == (2260, 185, 65)
    stats = gen.industry_story_stats(shanghai)
    assert stats["table"][0][2:4] == (591, 46) and stats["apt_total"] == 153 and stats["cell_apt"] == 55
    assert stats["cell_apt_of_deals"] > 1.8 * stats["other_apt_of_deals"]
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    assert "| 外高桥/金桥 | 制造业 | 591 | 46 | 7.8% | 31 | 67.4% |" in readme
    assert "**66.3%** of their deals were 公寓, against 34.4% for visitors who work elsewhere" in readme


@pytest.fixture(scope="module")
def loaded_shanghai(tmp_path_factory):
    """The Shanghai sample as bootstrap loads it, in a SQLite store (once for the module)."""
    from mapping.db.store import Store

    store = Store(f"sqlite:///{tmp_path_factory.mktemp('sample') / 'sample.sqlite3'}")
    store.migrate()
    pid = bootstrap.load_sample(store)
    yield store, pid
    store.engine.dispose()


def test_the_enterprise_targeting_list_shows_the_story(loaded_shanghai):
    """What a user sees on 客群细分 · 工作地·行业拓客清单 for the sample: 外高桥/金桥 factories and logistics
    firms are where the 公寓 buyers work."""
    from mapping.analysis.facts import Facts
    from mapping.geo.boundaries import load_layer
    from mapping.segments import work as W
    from mapping.segments.axis import Segments, project_bands

    store, pid = loaded_shanghai
    project = store.project(pid)
    facts = Facts.from_columns(store.fact_columns(pid), project.city_adcode)
    segments = Segments.build(facts, store.segment_columns(pid), project_bands(project))
    layer = load_layer(project.area_layer, city=project.city_adcode)
    rows = W.work_rows(facts, project.area_layer, segments.codes("industry"), layer=layer)
    table = W.targeting_list(rows, layer[["area_id", "area_name"]], project.min_count).table
    apartments = W.line_share(table, "公寓") * table["成交"]
    story = table["所在区域"].isin(["外高桥", "金桥"]) & table["行业"].isin(["制造业", "贸易物流"])
    share_story = apartments[story].sum() / table.loc[story, "成交"].sum()
    share_rest = apartments[~story].sum() / table.loc[~story, "成交"].sum()
    assert share_story > 0.6 and share_story > 1.5 * share_rest, (share_story, share_rest)
    assert apartments[story].sum() > 0.3 * apartments.sum()
    top = table.head(10)
    assert (top["所在区域"].isin(["外高桥", "金桥"]) & top["行业"].isin(["制造业", "贸易物流"])).sum() >= 5


# --- loading: 籍贯 derived, the ID number nowhere ---------------------------------------------------------
def _all_text(store) -> str:
    from sqlalchemy import MetaData, String, Text, select

    meta = MetaData()
    meta.reflect(store.engine)
    parts = []
    with store.engine.connect() as conn:
        for table in meta.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, (String, Text))]
            if cols:
                parts.extend("\x1f".join(str(v) for v in row if v) for row in conn.execute(select(*cols)))
    return "\n".join(parts)


def test_samples_load_with_hometown_and_no_id_number_is_stored(store, monkeypatch):
    monkeypatch.setenv("TUOKE_ADMIN_PASSWORD", "Env-Seed-Pass-1")
    pid = bootstrap.load_chengdu_sample(store)
    spec, rows, seed, name = CITIES["chengdu"]
    frame = gen.generate(rows=rows, seed=seed, with_truth=True, spec=spec)
    derived = hometown.derive(frame["身份证号"])
    stored = store.segment_columns(pid)["hometown"].astype(str)
    assert len(stored) == rows
    readable = derived["status"].astype(str) != hometown.UNREAD
    assert (stored == "").sum() == (~readable).sum() == 405
    expected = derived.loc[readable, "province_code"].astype(str).str[:2].value_counts().sort_index()
    assert stored[stored != ""].str[:2].value_counts().sort_index().to_dict() == expected.to_dict()
    assert set(stored[stored.str.startswith("50")]) == {"500000"}  # 重庆: the municipality's code
    text = _all_text(store)
    numbers = set(re.findall(r"\d{14,}[\dXx]", text))
    ids = set(frame["身份证号"].dropna())
    assert not numbers & ids and not any(i[:17] in text for i in ids if len(i) >= 17)


def test_bad_rows_of_the_segment_columns_are_notes_not_rejections():
    table = read_table((SAMPLES / "visitors_bad_rows.csv").read_bytes(), "visitors_bad_rows.csv")
    result = validate(table, auto_map(table.frame.columns), secret=SECRET,
                      product_lines=tuple(bootstrap.SAMPLE_PROJECT["product_lines"]), derive_hometown=True)
    lines = dict(zip([v for v, _, _ in gen.BAD_ROWS], gen.bad_rows_line_numbers(table.frame)))
    report = result.report
    notes = {(int(r["行号"]), r["列"]): r for _, r in report.iterrows()}
    assert {(lines["JQW-900031"], "意向总价"), (lines["JQW-900031"], "身份证号"), (lines["JQW-900032"], "意向面积"),
            (lines["JQW-900032"], "身份证号")} <= set(notes)
    assert notes[(lines["JQW-900031"], "意向总价")]["原值"] == "三百万左右"
    assert notes[(lines["JQW-900031"], "身份证号")]["原值"] == "（不显示）"
    assert "310115198503122410" not in report.to_csv() and "3.10115E+17" not in report.to_csv()
    records = result.records.set_index("visitor_id")
    assert records.loc["JQW-900031", "price_want"] == "三百万左右" and records.loc["JQW-900031", "hometown"] == ""
    assert records.loc["JQW-900032", "area_want"] == "三房" and records.loc["JQW-900032", "hometown"] == ""


def test_readme_says_the_id_numbers_are_synthetic():
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    assert "**The ID numbers are synthetic.**" in readme and "They name nobody" in readme
    assert "derive_hometown=True" in readme
