"""aiosqlite storage: the one place that writes SQL."""
