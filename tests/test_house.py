"""House rules: mapping/ never imports Streamlit, and its docstring examples run."""

import doctest
import importlib
import subprocess
import sys

import pytest

MODULES = ["coords", "privacy", "resolve", "store", "offline", "render", "launch", "launch_maps", "breaks", "grading",
           "facts", "conversion"]


def test_mapping_does_not_import_streamlit():
    code = "import sys, mapping, mapping.choropleth, mapping.bootstrap; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"mapping.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
