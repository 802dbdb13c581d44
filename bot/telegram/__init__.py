"""The Telegram adapter: updates in, use cases (bot/usecases/) called, outcomes rendered."""
