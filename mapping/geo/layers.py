"""User polygon layers: read, repair, reproject and turn into area layers.

A sales team may bring its own 板块 / 片区 polygons as GeoJSON, a zipped Shapefile,
a GeoPackage or KML/KMZ.  :func:`read_layer` returns clean polygons in WGS-84
(EPSG:4326); :func:`as_area_layer` gives them the same columns as the built-in
layers of :mod:`mapping.geo.boundaries` (``area_id``, ``area_name``, ``adcode``,
``geometry``) so they can be used for assignment and maps unchanged.

Examples
--------
>>> gdf = read_layer(uploaded_bytes, "板块.geojson")            # doctest: +SKIP
>>> column = candidate_name_columns(gdf)[0]                   # doctest: +SKIP
>>> areas = as_area_layer(gdf, column)                        # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from mapping.geo.coords import bd09_to_wgs84, gcj02_to_wgs84, normalise_crs
from mapping.schema import BD09, GCJ02

SUPPORTED_EXTENSIONS = (".geojson", ".json", ".zip", ".gpkg", ".kml", ".kmz")
AREA_COLUMNS = ("area_id", "area_name", "adcode", "geometry")

# Column names that usually hold an area's name, best first (compared lower-case).
NAME_HINTS = (
    "name", "名称", "板块", "板块名称", "区域", "区域名称", "片区", "商圈", "区块", "小区",
    "街道", "乡镇", "区县", "title", "label", "mc", "bkmc", "qymc",
)
_LOW_PRIORITY = ("description", "描述", "备注", "note", "remark", "layer", "styleurl", "icon")
_CONVERTERS = {GCJ02: gcj02_to_wgs84, BD09: bd09_to_wgs84}


class LayerError(ValueError):
    """A user layer cannot be used; the message (Chinese) says why and what to do."""


# --- reading ---------------------------------------------------------------------------
def read_layer(
    data: bytes | str | Path, filename: str | None = None, assume_crs: str | None = None
) -> gpd.GeoDataFrame:
    """Read a polygon layer and return its polygons in WGS-84.

    Parameters
    ----------
    data : bytes, str or pathlib.Path
        The file's content (e.g. a Streamlit upload's ``getvalue()``) or a path to it.
    filename : str, optional
        Name used to pick the format by extension (.geojson/.json, .zip with a
        Shapefile inside, .gpkg, .kml, .kmz).  Defaults to the name of ``data`` when
        ``data`` is a path.
    assume_crs : {"WGS84", "GCJ02", "BD09"} or alias, optional
        Coordinate system to assume when the file has none.  "GCJ02"/"BD09" also
        override a file that *claims* WGS-84 (plain longitude/latitude), which is
        common for data copied from Amap/Baidu; a projected CRS is always honoured.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, the file's attribute columns plus ``geometry`` (Polygon or
        MultiPolygon, repaired with ``shapely.make_valid``); features without any
        polygon are dropped.

    Raises
    ------
    LayerError
        Unsupported extension, unreadable file, no coordinate system (and no
        ``assume_crs``), coordinates that are not longitude/latitude, or no polygons.
    """
    if filename is None:
        if isinstance(data, bytes):
            raise LayerError("缺少文件名：请同时提供文件名（用于判断格式，例如 板块.geojson）。")
        filename = Path(data).name
    ext = _extension(filename)
    assumed = _assumed_crs(assume_crs)
    with tempfile.TemporaryDirectory(prefix="tuoke_layer_") as tmp:
        if isinstance(data, (bytes, bytearray)):
            path = Path(tmp) / f"upload{ext}"
            path.write_bytes(bytes(data))
        else:
            path = Path(data)
            if not path.is_file():
                raise LayerError(f"找不到文件：{path}")
        if ext == ".zip":
            path = _shapefile_in_zip(path, Path(tmp) / "unzipped")
        frames = [_to_wgs84(f, assumed, filename) for f in _read_all_layers(path, filename)]
    frames = [f for f in (_polygons_only(f) for f in frames) if len(f)]
    if not frames:
        raise LayerError(
            f"图层 {filename} 中没有面（多边形）要素：只支持面图层，点和线无法用作区域。"
        )
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4326)


def _extension(filename: str) -> str:
    name = filename.lower()
    for ext in sorted(SUPPORTED_EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext):
            return ext
    supported = "、".join(SUPPORTED_EXTENSIONS)
    hint = "；Shapefile 请把 .shp/.shx/.dbf/.prj 一起压缩成 .zip 上传" if name.endswith(
        (".shp", ".dbf", ".shx", ".prj")) else ""
    raise LayerError(f"不支持的文件类型：{filename}。支持的格式：{supported}{hint}。")


def _assumed_crs(assume_crs: str | None) -> str | None:
    if assume_crs is None or str(assume_crs).strip() == "":
        return None
    crs = normalise_crs(assume_crs)
    if crs is None:
        raise LayerError(
            f"无法识别的坐标系 {assume_crs!r}：请填写 WGS84、GCJ02（高德/腾讯）或 BD09（百度）。"
        )
    return crs


def _shapefile_in_zip(path: Path, dest: Path) -> Path:
    """Extract a zipped Shapefile safely and return the path of its .shp file."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            shp = [m.filename for m in members if m.filename.lower().endswith(".shp")
                   and not PurePosixPath(m.filename).name.startswith("._")]
            if not shp:
                names = "、".join(m.filename for m in members[:10]) or "（空）"
                raise LayerError(f"压缩包里没有 .shp 文件（包含：{names}）。请把 Shapefile 的"
                                 ".shp/.shx/.dbf/.prj 文件一起压缩后上传。")
            if len(shp) > 1:
                raise LayerError(f"压缩包里有多个 Shapefile：{'、'.join(shp)}。请每次只上传一个图层。")
            stem = shp[0][:-4]
            wanted = [m for m in members if m.filename[: len(stem)] == stem]
            missing = [e for e in (".shx", ".dbf") if not any(
                m.filename.lower() == (stem + e).lower() for m in wanted)]
            if missing:
                raise LayerError(f"压缩包中的 {shp[0]} 缺少 {'、'.join(missing)} 文件，"
                                 "请把同名的 .shp/.shx/.dbf/.prj 一起压缩。")
            for m in wanted:
                target = dest / PurePosixPath(m.filename).name  # flatten: no path traversal
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(m))
            return dest / PurePosixPath(shp[0]).name
    except zipfile.BadZipFile as exc:
        raise LayerError(f"无法打开压缩包：{exc}。请确认上传的是 .zip 格式。") from exc


def _read_all_layers(path: Path, filename: str) -> list[gpd.GeoDataFrame]:
    """Every non-empty layer of the file (KML folders and GPKG tables become layers)."""
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
        frames = []
        for layer in layers:
            kwargs = {"layer": layer} if len(layers) > 1 else {}
            kwargs.update(_shapefile_encoding(path))
            frame = gpd.read_file(path, **kwargs)
            if len(frame):
                if len(layers) > 1:
                    frame["layer"] = layer
                frames.append(frame)
    except LayerError:
        raise
    except Exception as exc:  # pyogrio/GDAL errors come in many types
        raise LayerError(f"无法读取图层文件 {filename}：{exc}。请确认文件完整且格式正确。") from exc
    if not frames:
        raise LayerError(f"图层文件 {filename} 中没有任何要素。")
    return frames


def _shapefile_encoding(path: Path) -> dict:
    """Shapefiles without a .cpg are often GBK in China: pick UTF-8 if it decodes, else GBK."""
    if path.suffix.lower() != ".shp" or any(path.parent.glob(path.stem + ".[cC][pP][gG]")):
        return {}
    dbf = next(iter(path.parent.glob(path.stem + ".[dD][bB][fF]")), None)
    if dbf is None:
        return {}
    raw = dbf.read_bytes()
    try:
        raw.decode("utf-8")
        return {"encoding": "utf-8"}
    except UnicodeDecodeError:
        return {"encoding": "gbk"}


def _to_wgs84(gdf: gpd.GeoDataFrame, assumed: str | None, filename: str) -> gpd.GeoDataFrame:
    """Apply the CRS rules of :func:`read_layer` to one layer."""
    gdf = gdf.copy()
    gdf.geometry = shapely.force_2d(gdf.geometry.values)
    crs = gdf.crs
    if crs is None and assumed is None:
        raise LayerError(
            f"图层 {filename} 没有坐标系信息（例如 Shapefile 缺少 .prj 文件），无法确定坐标含义。"
            "请确认它是 WGS-84 还是 GCJ-02（高德/腾讯），在“假定坐标系”中选择后重新读取。"
        )
    is_lnglat = crs is None or _is_wgs84_lnglat(crs)
    if is_lnglat:
        gdf = gdf.set_crs(4326, allow_override=True)
        _check_lnglat(gdf, filename)
        if assumed in _CONVERTERS:
            gdf.geometry = _convert(gdf.geometry.values, _CONVERTERS[assumed])
        return gdf
    try:
        return gdf.to_crs(4326)
    except Exception as exc:
        raise LayerError(f"无法把图层 {filename} 的坐标系 {crs.name} 转换为 WGS-84：{exc}") from exc


def _is_wgs84_lnglat(crs) -> bool:
    return crs.is_geographic and (crs.to_epsg() == 4326 or "WGS 84" in crs.name or "CRS84" in str(
        crs.srs).upper())


def _check_lnglat(gdf: gpd.GeoDataFrame, filename: str) -> None:
    x0, y0, x1, y1 = gdf.total_bounds
    if np.isfinite([x0, y0, x1, y1]).all() and (x0 < -180 or x1 > 180 or y0 < -90 or y1 > 90):
        raise LayerError(
            f"图层 {filename} 的坐标不是经纬度（范围 {x0:.0f}–{x1:.0f}, {y0:.0f}–{y1:.0f}），"
            "可能是投影坐标且缺少 .prj 文件。请附上 .prj 或导出为 WGS-84 经纬度。"
        )


def _convert(geoms: np.ndarray, func) -> np.ndarray:
    def xy(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(func(coords[:, 0], coords[:, 1]))

    return shapely.transform(geoms, xy)


def _polygons_only(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Repair geometries, keep their polygonal parts and drop rows without any."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    out = np.empty(len(geoms), dtype=object)
    for i, geom in enumerate(geoms):
        out[i] = _polygonal(geom)
    keep = np.array([g is not None for g in out], dtype=bool)
    result = gdf.loc[keep].copy()
    result.geometry = gpd.GeoSeries(list(out[keep]), index=result.index, crs=4326)
    return result


def _polygonal(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    if geom is None or geom.is_empty:
        return None
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = _polygon_parts(geom)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _polygon_parts(geom: shapely.Geometry) -> list[shapely.Polygon]:
    """Polygons inside ``geom``, however deeply nested in collections."""
    if geom.geom_type == "Polygon":
        return [geom] if geom.area > 0 else []
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for part in shapely.get_parts(geom) for p in _polygon_parts(part)]
    return []


# --- naming ----------------------------------------------------------------------------
def candidate_name_columns(gdf: gpd.GeoDataFrame) -> list[str]:
    """Text columns that could hold the area names, best guesses first.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer from :func:`read_layer`.

    Returns
    -------
    list of str
        Columns with at least one non-empty text value, ordered by name hint
        (name/名称/板块/区域…), then by how many distinct values they hold.
    """
    scored = []
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        values = gdf[col]
        if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            continue
        text = values.dropna().astype(str).str.strip()
        text = text[(text != "") & (text.str.lower() != "nan")]
        if text.empty:
            continue
        key = str(col).strip().lower()
        hint = next((i for i, h in enumerate(NAME_HINTS) if key == h), None)
        if hint is None:
            hint = next((len(NAME_HINTS) + i for i, h in enumerate(NAME_HINTS) if h in key), None)
        if hint is None:
            hint = 3 * len(NAME_HINTS) if any(k in key for k in _LOW_PRIORITY) else 2 * len(NAME_HINTS)
        unique = text.nunique() / max(len(gdf), 1)
        scored.append((hint, -unique, list(gdf.columns).index(col), str(col)))
    return [col for *_, col in sorted(scored)]


def as_area_layer(
    gdf: gpd.GeoDataFrame, name_column: str, id_column: str | None = None
) -> gpd.GeoDataFrame:
    """Turn a user layer into an area layer with the uniform columns.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer from :func:`read_layer` (EPSG:4326).
    name_column : str
        Column holding each area's name; names must be non-empty and unique.
    id_column : str, optional
        Column holding a stable id (unique, non-empty); by default the name is the id.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 with ``area_id``, ``area_name``, ``adcode`` (from an ``adcode``
        column if the layer has one, else "") and ``geometry``.

    Raises
    ------
    LayerError
        A missing column, or empty or duplicated names/ids (the rows are named).
    """
    for col in (name_column, id_column):
        if col is not None and col not in gdf.columns:
            raise LayerError(f"图层中没有列 {col!r}。可用的列：{'、'.join(map(str, gdf.columns))}。")
    names = _clean_text(gdf[name_column])
    _check_labels(names, f"名称列“{name_column}”")
    ids = names if id_column is None else _clean_text(gdf[id_column])
    if id_column is not None:
        _check_labels(ids, f"编号列“{id_column}”")
    adcode = _clean_text(gdf["adcode"]) if "adcode" in gdf.columns else pd.Series("", index=gdf.index)
    geometry = gdf.geometry.values if gdf.crs is None or gdf.crs.to_epsg() == 4326 else (
        gdf.to_crs(4326).geometry.values)
    return gpd.GeoDataFrame(
        {"area_id": ids.to_numpy(dtype=object), "area_name": names.to_numpy(dtype=object),
         "adcode": adcode.to_numpy(dtype=object)},
        geometry=geometry, crs=4326,
    ).astype({"area_id": str, "area_name": str, "adcode": str})


def _clean_text(values: pd.Series) -> pd.Series:
    text = values.astype(object).where(values.notna(), "")
    text = text.map(lambda v: _format_label(v)).str.strip()
    return text.reset_index(drop=True)


def _format_label(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _check_labels(labels: pd.Series, what: str) -> None:
    rows = lambda mask: "、".join(str(i + 1) for i in np.flatnonzero(mask)[:20])  # noqa: E731
    empty = (labels == "").to_numpy()
    if empty.any():
        raise LayerError(f"{what}有空值：第 {rows(empty)} 个要素没有名称。请补全后重新上传，或换一列。")
    dup = labels.duplicated(keep=False).to_numpy()
    if dup.any():
        names = "、".join(dict.fromkeys(labels[dup]))
        raise LayerError(
            f"{what}有重复：{names}（第 {rows(dup)} 个要素）。每个区域的名称必须唯一，"
            "请合并或改名后重新上传，或换一列。"
        )


def drawn_layer(features: list[dict], crs: str) -> gpd.GeoDataFrame:
    """Polygons drawn on a map (GeoJSON features) as a WGS-84 area layer named 手绘区域 1, 2, ….

    ``crs`` is the map's display CRS: on the Gaode basemap it is GCJ-02, so what
    was drawn is converted back.  Non-polygon features are ignored.

    Examples
    --------
    >>> square = {"type": "Polygon", "coordinates": [[[121.5, 31.2], [121.6, 31.2], [121.6, 31.3], [121.5, 31.2]]]}
    >>> drawn_layer([{"geometry": square}], "WGS84")["area_name"].tolist()
    ['手绘区域 1']
    """
    shapes = [shapely.geometry.shape(f["geometry"]) for f in features
              if (f.get("geometry") or {}).get("type") in ("Polygon", "MultiPolygon")]
    if not shapes:
        raise LayerError("地图上还没有画区域。用地图左侧的多边形或矩形工具画出区域，再保存。")
    geoms = np.array(shapes, dtype=object)
    if crs == GCJ02:
        geoms = _convert(geoms, gcj02_to_wgs84)
    gdf = gpd.GeoDataFrame({"名称": [f"手绘区域 {i}" for i in range(1, len(shapes) + 1)]},
                           geometry=list(geoms), crs=4326)
    return as_area_layer(gdf, "名称")
