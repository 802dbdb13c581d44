"""The floor a framework sets: python-telegram-bot 22 with its defaults doing only the I/O a tap
needs (answer the callback, one insert committed through aiosqlite, one edit of the message).

With --aiohttp it runs on cxbot's HTTP layer (`bot.telegram.http.AiohttpRequest`) and handles
as many updates at once as it has connections, as cxbot does: the floor of cxbot's own stack,
so that cxbot against it is the cost of the survey logic alone.

    python bench/load/bare_ptb.py [--aiohttp]   (BOT_TOKEN, BOT_API_BASE_URL, DATABASE)
"""

from __future__ import annotations

import os
import sys

import aiosqlite
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton(str(v), callback_data=str(v)) for v in range(0, 6)],
        [InlineKeyboardButton(str(v), callback_data=str(v)) for v in range(6, 11)],
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, "question 1", reply_markup=KEYBOARD)


async def tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    db: aiosqlite.Connection = context.bot_data["db"]
    await query.answer()
    await db.execute("INSERT INTO answers VALUES (?, ?)", (query.from_user.id, query.data))
    await db.commit()
    await query.edit_message_text(f"next after {query.data} {query.id}", reply_markup=KEYBOARD)


async def post_init(application: Application) -> None:  # type: ignore[type-arg]
    db = await aiosqlite.connect(os.environ["DATABASE"])
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("CREATE TABLE IF NOT EXISTS answers (user_id INTEGER, value TEXT)")
    application.bot_data["db"] = db


async def post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    await application.bot_data["db"].close()


def main() -> None:
    root = os.environ["BOT_API_BASE_URL"]
    builder = (
        Application.builder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(f"{root}/bot")
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if "--aiohttp" in sys.argv[1:]:
        from bot.telegram.http import CONNECTIONS, AiohttpRequest

        builder = (
            builder.request(AiohttpRequest(connections=CONNECTIONS))
            .get_updates_request(AiohttpRequest(connections=1))
            .concurrent_updates(CONNECTIONS)
        )
    application = builder.build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(tap))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
