"""One person flooding the bot: everyone else is still answered in the usual time."""

from __future__ import annotations

import time
from typing import Any

from tests.telegram.harness import BotProcess, Person, tap_update, text_update
from tests.telegram.standin import BotApiStandIn

FLOOD = 5000


async def test_a_flood_from_one_person_does_not_hold_up_anyone_else(
    api: BotApiStandIn, bot: BotProcess
) -> None:
    other = Person(api, 21001, "en")
    await other.send("/start nps")
    flooder = Person(api, 21000, "en")
    old: dict[str, Any] = {
        "message_id": 1,
        "date": 0,
        "chat": {"id": flooder.id, "type": "private"},
        "text": "an old message",
    }
    taps, updates = [], []
    for n in range(FLOOD):
        if n % 2:
            taps.append(api.new_query_id())
            updates.append(await api.push(tap_update(flooder.user, taps[-1], old, "x")))
        else:
            updates.append(await api.push(text_update(flooder.user, f"spam {n}")))
    await api.wait_for(lambda: all(u in api.delivered for u in updates), within=60)

    started = time.monotonic()
    notice = await other.tap("9")
    assert time.monotonic() - started < 2, "answered in the usual time while the flood is queued"
    assert notice is None and "What" in other.text

    # every one of the flood's taps is answered, handled or not, so no button keeps spinning
    await api.wait_for(lambda: all(api.answered(query) for query in taps), within=60)
    replies = [c for c in api.calls if c.method == "sendMessage" and c.chat_id == flooder.id]
    assert len(replies) < 50, "the flood beyond a person's few queued updates was dropped"
    assert "dropped" in bot.log_text()
