"""PostgreSQL (asyncpg), for several replicas sharing one database: the schema and its
migrations, numbered as SQLite's are."""

from bot.storage.postgres.migrate import migrate

__all__ = ["migrate"]
