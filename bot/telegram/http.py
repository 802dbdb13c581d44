"""Bot API calls over aiohttp's HTTP client instead of python-telegram-bot's default (httpx).

Under load most of the bot's CPU went into httpx and its connection pool (a profile of 200
people answering at once put 40 % of the process there); aiohttp's client does the same work
for a fraction of that. python-telegram-bot lets the HTTP layer be replaced
(`telegram.request.BaseRequest`), and this is that replacement: the rest of the library,
parsing, errors and retries, stays as it is.

aiohttp never logs request URLs (which hold the token), and our error messages leave the URL out.
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CONNECTIONS = 64
"""Bot API calls in flight at once: replies to people answering together, and pulses."""
DEFAULT_TIMEOUT = 5.0
"""Seconds to connect, to wait for a free connection, or between bytes of an answer."""
UPLOAD_TIMEOUT = 20.0
"""Seconds for a whole request that uploads a file (a chart, an export)."""


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
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as answer:
                return answer.status, await answer.read()
        except TimeoutError as error:
            raise TimedOut(f"Bot API call timed out ({type(error).__name__})") from None
        except aiohttp.ClientConnectionError as error:  # host and port at most, never the URL
            raise NetworkError(f"Bot API call failed: {type(error).__name__}: {error}") from None
        except aiohttp.ClientError as error:  # some of these quote the URL, which holds the token
            raise NetworkError(f"Bot API call failed: {type(error).__name__}") from None


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
