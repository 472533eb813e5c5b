"""Where the files the app ships with live: one place, so a module can move without breaking a path."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
BOUNDARIES = DATA / "boundaries"      # bundled polygon layers (WGS-84 GeoJSON)
GAZETTEER = DATA / "gazetteer"        # place-name tables
SAMPLES = DATA / "samples"            # the sample project's visitor files
VENDOR = ROOT / "static" / "vendor"   # Leaflet and plugins, served locally
VAR = ROOT / "var"                    # the default SQLite file
ACCURACY_SET = ROOT / "tests" / "data" / "place_accuracy.csv"  # labelled place strings
