"""The bot as a separate process talking HTTP to the stand-in, and a person using it.

`BotProcess` runs `python -m bot run` exactly as deployed (environment, database file, the
shipped survey catalogue, from a folder of its own rather than the checkout); `Person` does what
someone in Telegram does (send a text, tap a button) and waits until the bot has answered, then
reads the chat as they would see it.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bot.telegram.retries import BURST, INTERVAL
from tests.telegram.standin import BotApiStandIn, Call

REPO = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAE-test-token_DoNotLog"
ADMIN = 1
"""The user id every test bot takes as its admin (ADMIN_IDS)."""
SAYING = {"sendMessage", "editMessageText", "sendPhoto", "sendDocument"}
QUIET = 0.25
"""Seconds without a new call for a chat before a sent message counts as fully answered."""


MODES = ("polling", "webhook")
"""How the bot receives updates: getUpdates, or the stand-in POSTing them to its web server."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    def __init__(
        self, api: BotApiStandIn, workdir: Path, *, mode: str = "polling", **env: str
    ) -> None:
        """`mode` "webhook": the bot runs its web server on a free port and receives updates
        there (PUBLIC_URL names that port; the stand-in plays the https proxy in front)."""
        assert mode in MODES, mode
        self.api = api
        self.mode = mode
        self.workdir = workdir
        self.log = workdir / "bot.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("SURVEYS_DIR", "LOCALES_DIR")},
            "BOT_TOKEN": TOKEN,
            "BOT_API_BASE_URL": api.base_url,
            "DATABASE": str(workdir / "cxbot.sqlite3"),
            "DEFAULT_LANGUAGE": "en",
            "ADMIN_IDS": str(ADMIN),
            "PULSE_TICK_SECONDS": "0.2",
            **(webhook_env(free_port()) if mode == "webhook" else {}),
            **env,
        }
        self.database = Path(self.env["DATABASE"])
        """The bot's database: its own file in `workdir`, unless DATABASE says another (one
        file shared by several bots)."""
        self.process: asyncio.subprocess.Process | None = None

    @property
    def webhook_url(self) -> str:
        """Where its web server takes webhook updates (webhook mode), behind no proxy."""
        return f"http://127.0.0.1:{self.env['WEB_PORT']}/telegram"

    async def start(self) -> None:
        """Until the bot asks for updates: its first getUpdates, or setWebhook."""
        asked = self._asked()
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 20
        while self._asked() == asked:
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not start ({self.mode}):\n{self.log.read_text()}")
            await asyncio.sleep(0.05)

    def _asked(self) -> int:
        return self.api.webhooks if self.mode == "webhook" else self.api.polls

    async def stop(self) -> None:
        """SIGTERM, as a supervisor would: the bot shuts down cleanly."""
        await self._end(signal.SIGTERM)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs at all."""
        await self._end(signal.SIGKILL)

    async def _end(self, sig: signal.Signals) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(sig)
        try:
            await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self.process = None

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Read (or age) the bot's database as another program would."""
        with sqlite3.connect(self.database) as db:
            return db.execute(sql, params).fetchall()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def webhook_env(port: int) -> dict[str, str]:
    """The settings of webhook mode with the web server on `port` of this machine."""
    return {"WEB_PORT": str(port), "PUBLIC_URL": f"https://127.0.0.1:{port}", "WEBHOOK": "1"}


async def invite(admin: Person, team: str, survey: str = "enps", *, rotate: bool = False) -> str:
    """The start command behind a team's invite link, obtained as an admin does: `/link` in the
    chat (`new` replaces the link). What an employee sends when they open the link."""
    await admin.send(f"/link {survey} {team}" + (" new" if rotate else ""))
    await admin.receive("photo")  # the QR code comes last: the next command's answer is after it
    link = admin.text.split()[0]
    assert link.startswith("https://t.me/") and "?start=" in link, admin.text
    return "/start " + link.split("?start=", 1)[1]


class Person:
    def __init__(
        self,
        api: BotApiStandIn,
        user_id: int,
        language_code: str | None = "en",
        first_name: str = "Alex",
    ) -> None:
        self.api = api
        self.id = user_id
        self.user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            self.user["language_code"] = language_code
        self.notices: list[str | None] = []
        """What the bot said in answer to each tap (the toast), None for a silent answer."""

    # what they see

    @property
    def chat(self) -> dict[int, dict[str, Any]]:
        return self.api.messages.get(self.id, {})

    @property
    def last(self) -> dict[str, Any]:
        """The newest message from the bot, as it looks now."""
        assert self.chat, "the bot has not written to this person"
        return self.chat[max(self.chat)]

    @property
    def text(self) -> str:
        """The newest text message (photos and documents have none)."""
        return self.texts()[-1]

    def file(self, message: dict[str, Any] | None = None) -> bytes:
        """The bytes of the photo or document in a message (the newest by default)."""
        message = self.last if message is None else message
        if "photo" in message:
            return self.api.files[message["photo"][-1]["file_id"]]
        return self.api.files[message["document"]["file_id"]]

    async def expect(self, fragment: str, within: float = 15.0) -> str:
        """Wait for a message the bot sends on its own (a pulse, a reminder); its text."""
        await self.api.wait_for(
            lambda: any(fragment in text for text in self.texts()), within=within
        )
        await self._quiet()
        return next(text for text in reversed(self.texts()) if fragment in text)

    async def receive(self, kind: str) -> dict[str, Any]:
        """Wait for a photo or document that takes longer than a text (a chart being drawn)."""
        await self.api.wait_for(lambda: bool(self.chat) and kind in self.last)
        return self.last

    def showing(self, fragment: str) -> dict[str, Any]:
        """The newest message whose text (as it looks now) contains `fragment`: a survey's
        message further up the chat, to tap in."""
        found = [m for _, m in sorted(self.chat.items()) if fragment in m.get("text", "")]
        assert found, f"no message shows {fragment!r}: {self.texts()}"
        return found[-1]

    def texts(self) -> list[str]:
        """Every text message from the bot, oldest first."""
        return [m["text"] for _, m in sorted(self.chat.items()) if "text" in m]

    def buttons(self, message: dict[str, Any] | None = None) -> list[str]:
        message = self.last if message is None else message
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return [button["text"] for row in rows for button in row]

    # what they do

    async def send(self, text: str, *, entities: bool = True, group: int | None = None) -> None:
        """A text message (in a group chat if given); commands carry Telegram's bot_command
        entity unless told otherwise."""
        chat = None if group is None else {"id": group, "type": "supergroup", "title": "Team"}
        before = len(self.api.calls)
        await self.api.push(text_update(self.user, text, chat, entities=entities))
        await self._answered(before, group or self.id)

    async def tap(self, label: str, message: dict[str, Any] | None = None) -> str | None:
        """Tap the button with this label on a message (the newest one by default)."""
        message = self.last if message is None else message
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        matches = [b for row in rows for b in row if b["text"] == label]
        assert matches, f"no button {label!r} on: {message['text']!r} {self.buttons(message)}"
        return await self.tap_data(matches[0]["callback_data"], message)

    async def tap_data(self, data: str, message: dict[str, Any] | None = None) -> str | None:
        """A callback query with exactly this data (a forged or replayed button)."""
        message = self.last if message is None else message
        query_id = self.api.new_query_id()
        before = len(self.api.calls)
        await self.api.push(tap_update(self.user, query_id, message, data))
        answered = _answer_of(query_id)
        # the bot answers the query last, once everything else for the tap is done
        await self.api.wait_for(lambda: any(answered(c) for c in self.api.calls[before:]))
        notice = next(c for c in self.api.calls[before:] if answered(c)).params.get("text")
        self.notices.append(notice)
        return notice

    async def _answered(self, before: int, chat_id: int) -> None:
        """Until the bot has said something new to the chat (not just tidied an old message),
        then until it has been quiet for a moment."""
        await self.api.wait_for(
            lambda: any(
                c.chat_id == chat_id and c.ok and c.method in SAYING
                for c in self.api.calls[before:]
            )
        )
        await self._quiet()

    async def _quiet(self) -> None:
        """Until no call for a moment; longer when the bot is pacing messages to this chat
        (past a burst, its next message can be a second away)."""
        while True:
            count = len(self.api.calls)
            await asyncio.sleep(QUIET + (INTERVAL if self._paced() else 0.0))
            if len(self.api.calls) == count:
                return

    def _paced(self) -> bool:
        recent = time.monotonic() - BURST * INTERVAL
        sent = [
            c
            for c in self.api.calls[-64:]
            if c.chat_id == self.id and c.method.startswith("send") and c.at > recent
        ]
        return len(sent) >= BURST - 1


async def close_wave(admin: Person, bot: BotProcess, wave: int) -> None:
    """The admin closes a wave early (`/pulse close`), and the pulse runner has closed it."""
    await admin.send(f"/pulse close {wave}")
    assert admin.text.startswith(f"Wave {wave} is closing now"), admin.text
    deadline = time.monotonic() + 10
    while not bot.query("SELECT 1 FROM waves WHERE id = ? AND closed_at IS NOT NULL", wave):
        assert time.monotonic() < deadline, "the wave did not close"
        await asyncio.sleep(0.05)


def text_update(
    user: dict[str, Any], text: str, chat: dict[str, Any] | None = None, *, entities: bool = True
) -> dict[str, Any]:
    """A text message from `user` (in their private chat unless `chat` is given); a command
    carries Telegram's bot_command entity unless told otherwise."""
    private = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    message: dict[str, Any] = {
        "message_id": 10_000 + next(_message_ids),
        "date": int(time.time()),
        "chat": private if chat is None else chat,
        "from": user,
        "text": text,
    }
    if text.startswith("/") and entities:
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"message": message}


def tap_update(
    user: dict[str, Any], query_id: str, message: dict[str, Any], data: str
) -> dict[str, Any]:
    """A tap by `user` on a button with this data under `message` (as they see it)."""
    return {
        "callback_query": {
            "id": query_id,
            "from": user,
            "message": dict(message),
            "chat_instance": str(user["id"]),
            "data": data,
        }
    }


_message_ids = itertools.count(1)


def _answer_of(query_id: str) -> Callable[[Call], bool]:
    def matches(call: Call) -> bool:
        return (
            call.method == "answerCallbackQuery"
            and call.ok
            and str(call.params.get("callback_query_id")) == query_id
        )

    return matches


Buttons = list[dict[str, Any]]


def first_button(buttons: Buttons) -> dict[str, Any]:
    return buttons[0]


class Respondent:
    """Someone who only taps, one of many at once (a crowd, a load): sends the start command,
    then taps a button on each new screen until a screen comes without buttons.

    Unlike `Person`, who waits until the whole bot is quiet, a respondent waits only for their
    own chat, so hundreds can answer together; and they keep waiting through a bot restart.
    """

    def __init__(self, api: BotApiStandIn, user_id: int, language_code: str = "en") -> None:
        self.api = api
        self.id = user_id
        self.user = {"id": user_id, "is_bot": False, "first_name": "R"}
        self.user["language_code"] = language_code
        self.acknowledged = 0
        """Taps after which the next screen was shown: answers the bot said it had taken."""
        self._heard = api.heard.setdefault(user_id, asyncio.Event())

    @property
    def newest(self) -> dict[str, Any]:
        chat = self.api.messages.get(self.id, {})
        return chat[max(chat)] if chat else {}

    async def take(
        self,
        start: str,
        choose: Callable[[Buttons], dict[str, Any]] = first_button,
        on_answered: Callable[[int], None] = lambda update_id: None,
        taps: int | None = None,
        patience: float | None = None,
        within: float = 60.0,
    ) -> str:
        """The survey from `start` to its last screen (or `taps` taps); returns the text shown
        then. `on_answered` gets each tap's update id once the next screen is shown.

        With `patience`, a tap (or the start command) that shows nothing new within that many
        seconds is sent again, as a person does when the button only spins (a bot killed
        between fetching an update and handling it never sees it again: Telegram counts it as
        delivered)."""
        before = self.newest.get("message_id")
        async with asyncio.timeout(within):
            while True:  # sent again after `patience`, like the taps
                await self.api.push(text_update(self.user, start))
                try:
                    await self._until(lambda: self.newest.get("message_id") != before, patience)
                except TimeoutError:
                    continue
                break
        while True:
            message = dict(self.newest)  # the screen as tapped (later edits change the live one)
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            if not rows or self.acknowledged == taps:
                return str(message.get("text", ""))
            data = choose([b for row in rows for b in row])["callback_data"]
            async with asyncio.timeout(within):
                update_id = await self._tap_until_taken(message, data, patience)
            self.acknowledged += 1
            on_answered(update_id)

    async def _tap_until_taken(
        self, message: dict[str, Any], data: str, patience: float | None
    ) -> int:
        """Tap (again, after `patience`) until the tap is answered and the screen moved on."""
        while True:
            query = self.api.new_query_id()
            update_id = await self.api.push(tap_update(self.user, query, message, data))
            try:
                await self._until(partial(self._moved_on, message["text"], query), patience)
            except TimeoutError:
                continue
            return update_id

    def _moved_on(self, shown: str, query: str) -> bool:
        """The tap is answered and the screen shows something else: the answer was taken."""
        return self.newest.get("text") != shown and self.api.answered(query)

    async def _until(self, condition: Callable[[], bool], within: float | None) -> None:
        async with asyncio.timeout(within):
            while not condition():
                self._heard.clear()
                await self._heard.wait()
