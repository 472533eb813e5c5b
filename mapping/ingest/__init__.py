"""1 · Ingest: a sales office's visitor export (CSV/Excel) read, its headers mapped and every row validated; personal data masked and hashed here, before anything is stored."""
