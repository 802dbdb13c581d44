"""Logging that never shows the bot token.

The HTTP client logs every request URL at INFO, and Bot API URLs contain the token: that logger is
kept at WARNING, and a filter masks the token in whatever else might carry it.
"""

from __future__ import annotations

import logging


class RedactToken(logging.Filter):
    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg = message.replace(self._token, "<token>")
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self._token in text:
                record.exc_info = None
                record.exc_text = text.replace(self._token, "<token>")
        return True


def setup_logging(token: str | None, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if token:
        handler.addFilter(RedactToken(token))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
