"""House rules: mapping/ never imports Streamlit, its docstring examples run, and the tree shows the flow."""

import ast
import doctest
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import mapping

MODULES = sorted(m.name for m in pkgutil.walk_packages(mapping.__path__, "mapping.")
                 if ".migrations" not in m.name)
MAPPING = Path(mapping.__file__).resolve().parent
STAGES = ["ingest", "place", "geo", "db", "access", "analysis", "maps", "export"]


def test_every_module_is_found():
    assert {"mapping.db.store", "mapping.importer", "mapping.place.resolve", "mapping.maps.render"} <= set(MODULES)


def test_mapping_does_not_import_streamlit():
    code = f"import importlib, sys\nfor m in {MODULES!r}: importlib.import_module(m)\nprint('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _imports(path: Path) -> set[str]:
    """Modules a file imports (absolute names), read from its source."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update([node.module] + [f"{node.module}.{a.name}" for a in node.names])
    return names


def _package_imports(package: str) -> set[str]:
    return set().union(*(_imports(p) for p in (MAPPING / package).rglob("*.py")))


def test_store_only_stores():
    """The database layer does not resolve places or call a geocoder: the import pipeline does."""
    assert not {m for m in _package_imports("db") if m.startswith(("mapping.place", "mapping.importer"))}


def test_analysis_does_not_draw():
    assert not {m for m in _package_imports("analysis") if m.startswith(("mapping.maps", "folium"))}


FLOW = ["ingest", "place", "db", "analysis", "maps", "export"]  # geo/ stands under every stage


@pytest.mark.parametrize("stage", FLOW)
def test_a_stage_imports_only_earlier_stages(stage):
    later = {f"mapping.{s}" for s in FLOW[FLOW.index(stage) + 1:]}
    found = {m for m in _package_imports(stage) if ".".join(m.split(".")[:2]) in later}
    assert not found, f"mapping/{stage}/ imports a later stage: {sorted(found)}"
    if stage != "geo":
        assert not {m for m in _package_imports("geo") if ".".join(m.split(".")[:2]) in {f"mapping.{s}" for s in FLOW}}


def test_stages_do_not_import_the_pipeline_or_pages():
    for stage in STAGES:
        found = {m for m in _package_imports(stage)
                 if m.startswith(("mapping.importer", "mapping.corrections", "mapping.bootstrap", "ui", "views"))}
        assert not found, f"mapping/{stage}/ imports {found}"


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_says_what_it_is(stage):
    package = importlib.import_module(f"mapping.{stage}")
    assert (package.__doc__ or "").strip(), f"mapping/{stage}/__init__.py needs a docstring"


def test_readme_layout_names_every_stage():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1]
    for stage in STAGES:
        assert f"{stage}/" in layout, f"README Layout does not mention mapping/{stage}/"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


PAGES = sorted((MAPPING.parent / "views").glob("*.py"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_functions_take_at_most_six_parameters(page):
    """Pages pass one MapContext, not a dozen loose values."""
    tree = ast.parse(page.read_text(encoding="utf-8"))
    wide = {f.name: len(f.args.posonlyargs) + len(f.args.args) + len(f.args.kwonlyargs)
            for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    assert not {name: n for name, n in wide.items() if n > 6}
