"""Storage: sqlmodel tables, the repositories (the only SQL in the project) and alembic migrations."""
