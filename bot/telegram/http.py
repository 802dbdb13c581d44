"""Bot API calls over aiohttp's HTTP client instead of python-telegram-bot's default (httpx).

Under load most of the bot's CPU went into httpx and its connection pool (a profile of 200
people answering at once put 40 % of the process there); aiohttp's client does the same work
for a fraction of that. python-telegram-bot lets the HTTP layer be replaced
(`telegram.request.BaseRequest`), and this is that replacement: the rest of the library,
parsing, errors and retries, stays as it is.

aiohttp never logs request URLs (which hold the token), and our error messages leave the URL out.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
from http import HTTPStatus
from typing import Any

import aiohttp
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot import metrics

CONNECTIONS = 64
"""Bot API calls in flight at once: replies to people answering together, and pulses."""
DEFAULT_TIMEOUT = 5.0
"""Seconds to connect, to wait for a free connection, or between bytes of an answer."""
UPLOAD_TIMEOUT = 20.0
"""Seconds for a whole request that uploads a file (a chart, an export)."""


class Refused(InvalidToken):
    """A 401 or a 404 from the Bot API, with its status.

    python-telegram-bot raises both as InvalidToken; an operator needs to know which: 401 is the
    token (revoked, mistyped), 404 the address (`BOT_API_BASE_URL`, a proxy's path).
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class TooLarge(BadRequest):
    """A 413: the upload is over the Bot API's limit. python-telegram-bot would raise it as a
    NetworkError, which is retried; the same file is refused every time, so it is a BadRequest."""


class Unreachable(NetworkError):
    """No connection to the Bot API's host: its name does not resolve, it refuses, no route."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"Bot API call failed: cannot connect to {host}: {reason}")
        self.host = host
        self.reason = reason


class NotSentTimeout(TimedOut):
    """No connection was made in time: the request never left, so sending it again is safe."""


class Interrupted(NetworkError):
    """The connection broke after the request was on its way: like a timeout, Telegram may
    have received and carried it out."""


def may_have_arrived(error: NetworkError) -> bool:
    """Whether a failed call may have reached Telegram all the same: a timeout while waiting
    for the answer, or a connection lost midway. (A 5xx is Telegram saying it did not.)"""
    if isinstance(error, NotSentTimeout):
        return False
    return isinstance(error, TimedOut | Interrupted)


class AiohttpRequest(BaseRequest):
    def __init__(self, connections: int) -> None:
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return DEFAULT_TIMEOUT

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # created here, inside the running loop the session belongs to
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
                raise_for_status=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is used before initialize() or after shutdown()")
        uploads = request_data.multipart_data if request_data else None
        timeout = aiohttp.ClientTimeout(
            total=UPLOAD_TIMEOUT if uploads else None,
            connect=_seconds(pool_timeout),
            sock_connect=_seconds(connect_timeout),
            sock_read=_seconds(read_timeout),
        )
        api_method = url.rsplit("/", 1)[-1]  # the token is in the part before
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as answer:
                status, payload = answer.status, await answer.read()
        except Exception as error:
            metrics.api_calls.labels(api_method, "error").inc()
            failure = _failure(error)
            if failure is None:
                raise
            raise failure from None
        metrics.api_calls.labels(api_method, str(status)).inc()
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND):
            raise Refused(status, _description(status, payload))
        if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            raise TooLarge(_description(status, payload))
        return status, payload

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """As python-telegram-bot's, without logging the body with a traceback: a proxy's error
        page is one error, reported once by whoever made the call."""
        try:
            data = json.loads(payload.decode("utf-8", "replace"))
        except ValueError:
            raise TelegramError("Invalid server response (not JSON)") from None
        if not isinstance(data, dict):
            raise TelegramError("Invalid server response (not a JSON object)")
        return data


def _failure(error: Exception) -> TelegramError | None:
    """What python-telegram-bot is to see of a failed exchange, in words that never quote the
    URL (it holds the token); None: not an HTTP failure, raised as it is."""
    if isinstance(error, aiohttp.ConnectionTimeoutError):  # no connection (or none free) in time
        return NotSentTimeout("Bot API call timed out before it was sent")
    if isinstance(error, TimeoutError):
        return TimedOut(f"Bot API call timed out ({type(error).__name__})")
    if isinstance(error, aiohttp.ClientConnectorError):  # host and port, never the URL
        return Unreachable(f"{error.host}:{error.port}", _reason(error.os_error))
    if isinstance(error, aiohttp.ClientConnectionError):  # host and port at most, never the URL
        return Interrupted(f"Bot API call failed: {type(error).__name__}: {error}")
    if isinstance(error, aiohttp.ClientError):  # some of these quote the URL
        return NetworkError(f"Bot API call failed: {type(error).__name__}")
    return None


def _reason(error: OSError) -> str:
    """'name not resolved: ...', 'Connection refused': why a connection failed, in words (a TLS
    error's errno is the TLS library's code, not the system's: its own words instead)."""
    if isinstance(error, socket.gaierror):
        return f"name not resolved: {error.strerror}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {error.reason or error}"
    if error.errno:
        return os.strerror(error.errno)
    return str(error) or type(error).__name__


def _description(status: int, payload: bytes) -> str:
    """The Bot API's description of an error (as python-telegram-bot words it), else the
    status's name: a proxy's HTML page is not repeated."""
    try:
        description = json.loads(payload.decode("utf-8", "replace")).get("description")
    except (ValueError, AttributeError):
        description = None
    return str(description) if description else f"{HTTPStatus(status).phrase} ({status})"


def _seconds(value: object) -> float | None:
    """A timeout python-telegram-bot passed, or ours when it passed its "use the default"."""
    if value is BaseRequest.DEFAULT_NONE:
        return DEFAULT_TIMEOUT
    return value if isinstance(value, float | int) else None


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as the Bot API takes them; multipart when files go along."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    uploads = request_data.multipart_data
    if not uploads:
        return fields
    form = aiohttp.FormData(fields)
    for name, (filename, content, mime_type) in uploads.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
