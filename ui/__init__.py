"""Streamlit-side helpers shared by app.py and pages/ (the only Streamlit code besides them)."""
