"""Geometry the other stages stand on: coordinate systems (WGS-84/GCJ-02/BD-09), bundled district and 板块 layers, user layers, H3 hexagons, project and competitor sites."""
