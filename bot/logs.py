"""Logging that never shows the bot token, and a last line of defence for what is not logged.

The HTTP client logs every request URL at INFO, and Bot API URLs contain the token: that logger is
kept at WARNING, and a filter masks the token in whatever else might carry it. An exception that
nobody catches is printed by Python itself, past every logging filter (python-telegram-bot's
InvalidToken quotes the token): the excepthooks mask it there too.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType

MASK = "<token>"


def redact(text: str, token: str) -> str:
    """`text` with the token, and its secret half (after the colon) on its own, masked."""
    text = text.replace(token, MASK)
    _bot_id, _colon, secret = token.partition(":")
    return text.replace(secret, MASK) if secret else text


class RedactToken(logging.Filter):
    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if (masked := redact(message, self._token)) != message:
            record.msg = masked
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if (masked := redact(text, self._token)) != text:
                record.exc_info = None
                record.exc_text = masked
        return True


class Replica(logging.Filter):
    """Names the process in every record (`%(replica)s`), whoever logs it: python-telegram-bot,
    aiohttp, ours."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name

    def filter(self, record: logging.LogRecord) -> bool:
        record.replica = self._name
        return True


def setup_logging(
    token: str | None, level: int = logging.INFO, *, replica: str | None = None
) -> None:
    """Lines to stderr, token masked; each names `replica` (REPLICA) when given, so that the
    logs of several replicas gathered in one place still say which process wrote what."""
    handler = logging.StreamHandler()
    if replica is None:
        line = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    else:
        line = "%(asctime)s %(replica)s %(levelname)s %(name)s: %(message)s"
        handler.addFilter(Replica(replica))
    handler.setFormatter(logging.Formatter(line))
    if token:
        handler.addFilter(RedactToken(token))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def guard_exceptions(token: str | None) -> None:
    """Uncaught exceptions (main thread and others) printed as Python would, token masked."""
    if not token:
        return

    def excepthook(
        kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        text = "".join(traceback.format_exception(kind, error, tb))
        sys.stderr.write(redact(text, token))
        sys.stderr.flush()

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        sys.stderr.write(f"Exception in thread {name}:\n")
        excepthook(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
