"""Streamlit-side helpers shared by the pages: cached store and project data (common), area layers (layers), the map pages' context (context)."""
