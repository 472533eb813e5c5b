"""2 · Place: where a location string or coordinate is (normalise, gazetteer, text match, optional online geocoder), with method and confidence; pure functions, no database."""
