"""The database: tables, engine and sessions, repositories and Alembic migrations."""
