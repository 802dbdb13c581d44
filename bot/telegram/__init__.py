"""python-telegram-bot handlers: translate updates to engine calls and results to messages."""
