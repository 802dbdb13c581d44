"""What an action does, with no Telegram and no HTTP: plain values in, result objects out.

Both adapters (bot/telegram/ and bot/web/) call these, so a rule lives in one place."""
