"""3 · Store: the database (SQLAlchemy models, Alembic migrations, the Store that reads and writes them). It only stores: resolving happens before, in mapping.importer."""
