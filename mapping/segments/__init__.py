"""Customer segments: the values a map can be split by (issue 15).

Pure functions only; nothing here reads the database or imports Streamlit.

- :mod:`mapping.segments.bands` reads 意向面积 / 意向总价 / 预算 values leniently
  ("120-140", "90㎡", "300万", "1.2亿") into numeric ranges and places them into
  the bands a project defines (面积段, 总价段), with a report of what could not be read.
- :mod:`mapping.segments.hometown` derives 籍贯 (province and prefecture codes) from
  an ID number's first six digits, and keeps nothing else of the number.
"""
