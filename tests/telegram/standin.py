"""A local stand-in for the Telegram Bot API: an HTTP server on 127.0.0.1 the real bot talks to.

It hands out updates through getUpdates (kept until the bot confirms them with `offset`, as
Telegram does, so a bot killed mid-batch sees them again) or, once the bot has called setWebhook,
POSTs them to the webhook with its secret header (kept until answered 200, as Telegram does,
up to `max_connections` at once but one chat's one at a time, in order; a `repeat` delivers
each one twice) or, playing the load balancer in front of several bots, to
each of `backends` in turn (`twice` delivering a share of them a second time, to the next
one), answers 409 Conflict to a long poll overtaken by another one (two processes polling with
one token) or to every poll while `rival_poller` is set, records every call, keeps each chat's
messages as the user would see them, and refuses what Telegram refuses: callback data over
64 bytes, texts over 4096 characters, an edit that changes nothing, an unknown callback query.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

JSON = dict[str, Any]

BOT_USER: JSON = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "cxbot",
    "username": "cxbot_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time"}
_JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "show_alert",
    "scope",
    "menu_button",
}
CHAOTIC = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery"}
MAX_POLL_WAIT = 1.0
"""Long polls end after at most this long: a stopping bot does not wait on a long poll."""
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
REDELIVERY_PAUSE = 0.2
"""Seconds before a webhook delivery that failed (bot down, an error status) is tried again."""
WEBHOOK_CONNECTIONS = 40
"""Webhook requests Telegram holds open at once unless setWebhook asks otherwise."""


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass
class Call:
    method: str
    params: JSON
    at: float = field(default_factory=time.monotonic)
    ok: bool = True
    """False: answered with an error (the message was not delivered)."""

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None


class BotApiStandIn:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.keep_calls = True
        """False for long runs (a soak): `calls` stays empty and `heard_calls` keeps the newest
        few per chat, so that memory does not grow with every call."""
        self.failed = 0
        """Calls answered with an error so far."""
        self.messages: dict[int, dict[int, JSON]] = {}
        """chat id -> message id -> the message as the user sees it now."""
        self._pending: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._query_chats: dict[str, int] = {}
        self._changed = asyncio.Condition()
        self.heard: dict[int, asyncio.Event] = {}
        """Chat id -> set on every call about that chat (for load drivers waiting per chat)."""
        self.heard_calls: dict[int, list[Call]] = {}
        """Chat id (of those in `heard`) -> the calls about that chat, in order."""
        self.handed_out: dict[int, float] = {}
        """Update id -> when getUpdates handed it to the bot."""
        self.pushed: dict[int, JSON] = {}
        """Update id -> the update as pushed (unless `keep_calls` is off): what a delivery the
        bot acknowledged asked of it."""
        self.polls = 0
        """getUpdates calls so far: the first one means the bot is up."""
        self.rival_poller = False
        """Another process polls with the same token: every getUpdates answers 409 Conflict,
        as Telegram does while two pollers overlap (a deploy's old and new process)."""
        self.conflicts = 0
        """getUpdates calls answered 409 Conflict so far."""
        self._poll_turn = 0
        self.delivered: set[int] = set()
        self.files: dict[str, bytes] = {}
        """file id -> the bytes of a photo or document the bot sent."""
        self.blocked: set[int] = set()
        """Chats whose user blocked the bot: sending there answers 403."""
        self.failures: dict[int, list[tuple[int, str, int | None]]] = {}
        """Chat id -> errors its next sendMessage calls answer: (status, description, retry_after)."""
        self.enforce_limits = False
        """Answer 429 like Telegram past ~30 messages a second in all or 1 a second per chat."""
        self.too_many = 0
        self._recent: list[float] = []
        self._last_to: dict[int, float] = {}
        self.chaos = 0.0
        """Share of replies to the bot's sending calls that go wrong: a 429, a 500, a 502 or a
        slow answer, in turn (seeded, so a run can be repeated)."""
        self._chaos = random.Random(7)
        self.slow: dict[str, float] = {}
        """Method -> seconds to wait before answering, after doing what was asked (a Telegram
        that took the message but answers after the client's timeout)."""
        self.unsupported: set[str] = set()
        """Methods answered 404, as a minimal or older Bot API server would."""
        self.webhook: str | None = None
        """The URL the bot set with setWebhook; None: updates go out by getUpdates."""
        self.webhook_secret: str | None = None
        self.webhooks = 0
        """setWebhook calls so far: in webhook mode, the first one means the bot is up."""
        self.repeat = False
        """Deliver every webhook update twice, as Telegram does when an answer came late."""
        self.webhook_posts: list[tuple[int, int]] = []
        """(update id, status the bot answered) for every webhook delivery."""
        self.backends: list[str] = []
        """Webhook URLs of several bots sharing the work (replicas behind a load balancer):
        when set, the updates go to each in turn, round-robin, instead of to `webhook`, each
        without waiting for the one before (a failed one goes to the next bot in turn)."""
        self.twice = 0.0
        """Share of the updates spread over `backends` that are delivered a second time, to
        the next bot in turn, at the same moment (seeded, so a run can be repeated)."""
        self._twice = random.Random(11)
        self.max_connections = WEBHOOK_CONNECTIONS
        """Webhook requests at once, as the bot asked in setWebhook (Telegram's default)."""
        self._posting: set[int] = set()
        self.most_posting = 0
        """The most webhook requests in flight at once so far (without `backends`)."""
        self._turns = itertools.count()
        self._sending: set[asyncio.Task[None]] = set()
        self.posted_to: dict[str, int] = {}
        """Webhook URL -> updates it answered 200."""
        self.menu_buttons: dict[int, JSON] = {}
        """Chat id -> the menu button the bot set there (setChatMenuButton)."""
        self._delivery: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # server

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        await self._stop_delivery()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params)
        failure: ApiError | None = None
        result: Any = None
        try:
            if method in CHAOTIC and self._chaos.random() < self.chaos:
                await self._misbehave()
            handler = getattr(self, f"api_{method}", None)
            if handler is None or method in self.unsupported:
                raise ApiError(404, "Not Found")
            result = await handler(params)
            if method in self.slow:
                await asyncio.sleep(self.slow[method])
        except ApiError as error:
            failure = error
        call.ok = failure is None
        if failure is not None:
            self.failed += 1
        chat = call.chat_id
        if chat is None and "callback_query_id" in params:
            chat = self._query_chats.get(str(params["callback_query_id"]))
        if chat is not None and chat in self.heard:
            self.heard[chat].set()
            recent = self.heard_calls.setdefault(chat, [])
            recent.append(call)
            if not self.keep_calls and len(recent) > 16:
                del recent[:-16]
        if method != "getUpdates":
            async with self._changed:
                if self.keep_calls:
                    self.calls.append(call)
                self._changed.notify_all()
        if failure is not None:
            body: JSON = {
                "ok": False,
                "error_code": failure.code,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return web.json_response(body, status=failure.code)
        return web.json_response({"ok": True, "result": result})

    async def _misbehave(self) -> None:
        kind = self._chaos.choice(["429", "500", "502", "slow"])
        if kind == "429":
            raise ApiError(429, "Too Many Requests: retry after 1", 1)
        if kind == "500":
            raise ApiError(500, "Internal Server Error")
        if kind == "502":
            raise ApiError(502, "Bad Gateway")
        await asyncio.sleep(0.4)

    # Bot API methods

    async def api_getMe(self, params: JSON) -> JSON:
        return BOT_USER

    async def api_deleteWebhook(self, params: JSON) -> bool:
        self.webhook = self.webhook_secret = None
        await self._stop_delivery()
        return True

    async def api_setWebhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if not url.startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        # TLS ends at the reverse proxy in front of the bot: here the stand-in plays that proxy
        # and calls the bot's web server over plain http on the same host and port
        self.webhook = "http://" + url.removeprefix("https://")
        self.webhook_secret = None if secret is None else str(secret)
        self.webhooks += 1
        self.max_connections = int(params.get("max_connections") or WEBHOOK_CONNECTIONS)
        if self._delivery is None:
            self._delivery = asyncio.create_task(self._deliver())
        async with self._changed:
            self._changed.notify_all()
        return True

    async def api_getWebhookInfo(self, params: JSON) -> JSON:
        return {
            "url": "" if self.webhook is None else self.webhook,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    async def api_setChatMenuButton(self, params: JSON) -> bool:
        if "chat_id" in params:
            self.menu_buttons[int(params["chat_id"])] = dict(params.get("menu_button") or {})
        return True

    async def api_setMyCommands(self, params: JSON) -> bool:
        return True

    async def api_getUpdates(self, params: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), MAX_POLL_WAIT)
        async with self._changed:
            self.polls += 1
            self._poll_turn += 1  # a poll still waiting is someone else's: it ends in 409
            turn = self._poll_turn
            self._changed.notify_all()
            if self.rival_poller:
                self._conflict()
            if offset:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            if not self._pending and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(
                            lambda: bool(self._pending) or self._poll_turn != turn
                        ),
                        timeout,
                    )
            if self._poll_turn != turn:
                self._conflict()
            limit = int(params.get("limit") or 100)
            batch = self._pending[:limit]
            now = time.monotonic()
            for update in batch:
                self.handed_out.setdefault(update["update_id"], now)
            self.delivered.update(u["update_id"] for u in batch)
            return batch

    def _conflict(self) -> None:
        self.conflicts += 1
        raise ApiError(
            409,
            "Conflict: terminated by other getUpdates request;"
            " make sure that only one bot instance is running",
        )

    async def api_sendMessage(self, params: JSON) -> JSON:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if self.failures.get(chat_id):
            status, description, retry_after = self.failures[chat_id].pop(0)
            raise ApiError(status, description, retry_after)
        if self.enforce_limits:
            self._limit(chat_id)
        text = _checked_text(params.get("text"))
        markup = _checked_markup(params.get("reply_markup"))
        message: JSON = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        self.messages.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    def _limit(self, chat_id: int) -> None:
        now = time.monotonic()
        self._recent = [t for t in self._recent if now - t < 1.0]
        if len(self._recent) >= 30 or now - self._last_to.get(chat_id, -10.0) < 1.0:
            self.too_many += 1
            raise ApiError(429, "Too Many Requests: retry after 1", 1)
        self._recent.append(now)
        self._last_to[chat_id] = now

    async def api_sendPhoto(self, params: JSON) -> JSON:
        return self._file_message(params, "photo")

    async def api_sendDocument(self, params: JSON) -> JSON:
        return self._file_message(params, "document")

    def _file_message(self, params: JSON, kind: str) -> JSON:
        upload = params.get(kind)
        if not isinstance(upload, Upload) or not upload.content:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = upload.content
        chat_id = int(params["chat_id"])
        message: JSON = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
        }
        if kind == "photo":
            message["photo"] = [
                {"file_id": file_id, "file_unique_id": file_id, "width": 900, "height": 700}
            ]
        else:
            message["document"] = {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": upload.filename,
            }
        if params.get("caption"):
            message["caption"] = params["caption"]
        self.messages.setdefault(chat_id, {})[message["message_id"]] = message
        return message

    async def api_editMessageText(self, params: JSON) -> JSON:
        message = self._message(params)
        text = _checked_text(params.get("text"))
        markup = _checked_markup(params.get("reply_markup"))
        if text == message["text"] and markup == message.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply"
                " markup are exactly the same as a current content and reply markup of the message",
            )
        message["text"] = text
        _set_markup(message, markup)
        return message

    async def api_editMessageReplyMarkup(self, params: JSON) -> JSON:
        message = self._message(params)
        markup = _checked_markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        _set_markup(message, markup)
        return message

    async def api_answerCallbackQuery(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_queries.discard(query_id)
        return True

    def _message(self, params: JSON) -> JSON:
        chat = self.messages.get(int(str(params.get("chat_id") or 0)), {})
        message = chat.get(int(params.get("message_id") or 0))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    # webhook delivery

    async def _deliver(self) -> None:
        """POST the pending updates to the webhook as Telegram does: up to `max_connections`
        requests at once, each chat's updates one at a time and in order, each until the bot
        answers 200 (twice each with `repeat`). Over `backends`, each goes out at once."""
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                async with self._changed:
                    await self._changed.wait_for(lambda: self._next_delivery() is not None)
                    update = self._next_delivery()
                    assert update is not None
                    self.handed_out.setdefault(update["update_id"], time.monotonic())
                    self.delivered.add(update["update_id"])
                    if self.backends:
                        self._pending = self._pending[1:]
                    else:
                        self._posting.add(update["update_id"])
                        self.most_posting = max(self.most_posting, len(self._posting))
                sending = (
                    self._spread(session, update) if self.backends else self._send(session, update)
                )
                task = asyncio.create_task(sending)
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)

    def _next_delivery(self) -> JSON | None:
        """The next update to POST: over `backends` the first pending one; to the webhook, the
        first one whose chat has nothing before it still pending, if a connection is free."""
        if self.backends:
            return self._pending[0] if self._pending else None
        if len(self._posting) >= self.max_connections:
            return None
        waiting: set[object] = set()  # chats with an update pending before
        for update in self._pending:
            chat = _chat_of(update)
            if chat not in waiting and update["update_id"] not in self._posting:
                return update
            waiting.add(chat)
        return None

    async def _send(self, session: aiohttp.ClientSession, update: JSON) -> None:
        """One update to the webhook until the bot answers 200 (twice with `repeat`)."""
        try:
            while True:
                if await self._post(session, update):
                    break
                await asyncio.sleep(REDELIVERY_PAUSE)  # the bot is down or busy: again later
            if self.repeat:
                await self._post(session, update)
        except BaseException:  # delivery stopped: still pending, for the next webhook
            self._posting.discard(update["update_id"])
            raise
        async with self._changed:
            self._posting.discard(update["update_id"])
            self._pending = [u for u in self._pending if u is not update]
            self._changed.notify_all()

    async def _spread(self, session: aiohttp.ClientSession, update: JSON) -> None:
        """One update to the next bot in turn (and, for a share of them, to the one after at
        the same moment), each until a bot answers 200."""
        turn = next(self._turns)
        copies = 2 if self._twice.random() < self.twice else 1
        await asyncio.gather(
            *(self._post_in_turn(session, update, turn + n) for n in range(copies))
        )

    async def _post_in_turn(self, session: aiohttp.ClientSession, update: JSON, turn: int) -> None:
        while not await self._post(session, update, self.backends[turn % len(self.backends)]):
            turn += 1  # that bot is down or not ready: the next one
            await asyncio.sleep(REDELIVERY_PAUSE)

    async def _post(
        self, session: aiohttp.ClientSession, update: JSON, url: str | None = None
    ) -> bool:
        url = url or self.webhook
        assert url is not None
        headers = {} if self.webhook_secret is None else {SECRET_HEADER: self.webhook_secret}
        try:
            async with session.post(url, json=update, headers=headers) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            return False  # the bot is down or restarting: Telegram tries again later
        self.webhook_posts.append((update["update_id"], status))
        if status == 200:
            self.posted_to[url] = self.posted_to.get(url, 0) + 1
        return status == 200

    async def _stop_delivery(self) -> None:
        for sending in list(self._sending):
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
            self._delivery = None

    # the user's side

    async def push(self, update: JSON) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **update}
        if self.keep_calls:
            self.pushed[update_id] = update
        if "callback_query" in update:
            query = update["callback_query"]
            self._open_queries.add(query["id"])
            self._query_chats[query["id"]] = int(query["from"]["id"])
        async with self._changed:
            self._pending.append(update)
            self._changed.notify_all()
        return update_id

    def answered(self, query_id: str) -> bool:
        """Whether the bot has answered this pushed callback query."""
        return query_id in self._query_chats and query_id not in self._open_queries

    def new_query_id(self) -> str:
        return str(next(self._query_ids))

    async def wait_for(self, predicate: Callable[[], bool], within: float = 15.0) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(predicate)


def _chat_of(update: JSON) -> object:
    """Whose update it is: the chat it comes from (one chat's updates go out in order)."""
    for kind, body in update.items():
        if isinstance(body, dict):
            chat = body.get("chat") or body.get("message", {}).get("chat") or body.get("from")
            if isinstance(chat, dict) and "id" in chat:
                return chat["id"]
            return kind, update["update_id"]
    return update["update_id"]


def _checked_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(text) > 4096:
        raise ApiError(400, "Bad Request: message is too long")
    return text


def _checked_markup(markup: Any) -> JSON | None:
    if not markup:
        return None
    rows = markup.get("inline_keyboard")
    if rows is None:
        return dict(markup)
    if not rows:
        return None
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
    return dict(markup)


def _set_markup(message: JSON, markup: JSON | None) -> None:
    if markup:
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)


async def _params(request: web.Request) -> JSON:
    if request.content_type == "application/json":
        raw: JSON = await request.json()
    else:
        raw = {}
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                raw[key] = Upload(value.filename, value.file.read())
            else:
                raw[key] = value
        raw.update(request.query)
    params: JSON = {}
    for key, value in raw.items():
        if key in _INT_FIELDS and isinstance(value, str):
            params[key] = int(value) if value.lstrip("-").isdigit() else value
        elif key in _JSON_FIELDS and isinstance(value, str):
            params[key] = json.loads(value)
        else:
            params[key] = value
    return params
