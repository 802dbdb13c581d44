"""Admin results: figures from SQL aggregates, text in the admin's language, charts, CSV, QR."""
