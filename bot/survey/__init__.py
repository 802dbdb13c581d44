"""The survey engine: model, loading, flow and scoring. Pure Python, no Telegram, no I/O."""
