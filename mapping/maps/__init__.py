"""5 · Render: folium maps (choropleths, battle map, deal pies, dual maps, overlays) with vendored assets, standalone HTML and printable PNG/PDF."""
