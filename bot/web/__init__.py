"""The web adapter: cxbot's own HTTP server (health, Telegram webhook, the admins' Mini App)."""
