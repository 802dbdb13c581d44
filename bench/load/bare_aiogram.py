"""The floor another framework sets: aiogram 3 with its defaults doing only the I/O a tap needs
(answer the callback, one insert committed through aiosqlite, one edit of the message).

It runs in its own virtualenv (`.venv-aiogram`, made by `./dev bench`), so that aiogram and what
it brings (pydantic among them) stay out of cxbot's environment.

    .venv-aiogram/bin/python bench/load/bare_aiogram.py   (BOT_TOKEN, BOT_API_BASE_URL, DATABASE)
"""

from __future__ import annotations

import asyncio
import os

import aiosqlite
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text=str(v), callback_data=str(v)) for v in range(0, 6)],
        [InlineKeyboardButton(text=str(v), callback_data=str(v)) for v in range(6, 11)],
    ]
)

dispatcher = Dispatcher()


@dispatcher.message(CommandStart())
async def start(message: Message) -> None:
    await message.answer("question 1", reply_markup=KEYBOARD)


@dispatcher.callback_query()
async def tap(query: CallbackQuery, db: aiosqlite.Connection) -> None:
    assert isinstance(query.message, Message)
    await query.answer()
    await db.execute("INSERT INTO answers VALUES (?, ?)", (query.from_user.id, query.data))
    await db.commit()
    await query.message.edit_text(f"next after {query.data} {query.id}", reply_markup=KEYBOARD)


async def main() -> None:
    db = await aiosqlite.connect(os.environ["DATABASE"])
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("CREATE TABLE IF NOT EXISTS answers (user_id INTEGER, value TEXT)")
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["BOT_API_BASE_URL"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    try:
        await dispatcher.start_polling(bot, db=db)
    finally:
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
