"""The bot as a separate process talking HTTP to the stand-in, and a person using it.

`BotProcess` runs `python -m bot run` exactly as deployed (environment, database file, survey
folder); `Person` does what someone in Telegram does (send a text, tap a button) and waits until
the bot has answered, then reads the chat as they would see it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.telegram.standin import BotApiStandIn, Call

REPO = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAE-test-token_DoNotLog"
ADMIN = 1
"""The user id every test bot takes as its admin (ADMIN_IDS)."""
SAYING = {"sendMessage", "editMessageText", "sendPhoto", "sendDocument"}
QUIET = 0.25
"""Seconds without a new call for a chat before a sent message counts as fully answered."""


class BotProcess:
    def __init__(self, api: BotApiStandIn, workdir: Path, **env: str) -> None:
        self.api = api
        self.workdir = workdir
        self.database = workdir / "cxbot.sqlite3"
        self.log = workdir / "bot.log"
        self.env = {
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "BOT_API_BASE_URL": api.base_url,
            "DATABASE": str(self.database),
            "SURVEYS_DIR": str(REPO / "surveys"),
            "DEFAULT_LANGUAGE": "en",
            "ADMIN_IDS": str(ADMIN),
            "PULSE_TICK_SECONDS": "0.2",
            **env,
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        polls = self.api.polls
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 20
        while self.api.polls == polls:
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not start polling:\n{self.log.read_text()}")
            await asyncio.sleep(0.05)

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
        chat = (
            {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
            if group is None
            else {"id": group, "type": "supergroup", "title": "Team"}
        )
        message: dict[str, Any] = {
            "message_id": 10_000 + len(self.api.calls),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user,
            "text": text,
        }
        if text.startswith("/") and entities:
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        before = len(self.api.calls)
        await self.api.push({"message": message})
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
        await self.api.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user,
                    "message": dict(message),
                    "chat_instance": str(self.id),
                    "data": data,
                }
            }
        )
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
        while True:
            count = len(self.api.calls)
            await asyncio.sleep(QUIET)
            if len(self.api.calls) == count:
                return


def _answer_of(query_id: str) -> Callable[[Call], bool]:
    def matches(call: Call) -> bool:
        return (
            call.method == "answerCallbackQuery"
            and call.ok
            and str(call.params.get("callback_query_id")) == query_id
        )

    return matches
