"""6 · Export: what a team takes away as a spreadsheet (Excel workbooks, safe against formula injection)."""
