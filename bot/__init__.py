"""cxbot: customer- and employee-experience surveys inside Telegram."""
