"""What is tried again after a failed Bot API call, and the per-chat pace of messages."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import NetworkError, TimedOut

from bot.telegram.http import Interrupted, NotSentTimeout
from bot.telegram.retries import ONCE, ChatPace, Retries


class Api:
    """A Bot API call failing with `errors` in turn, then answering True."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> bool:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return True


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.telegram.retries.BACKOFF", (0.0,))


async def call(api: Api, endpoint: str, limit: int | None = None) -> Any:
    return await Retries().process_request(api, (), {}, endpoint, {"chat_id": 1}, limit)


@pytest.mark.parametrize("error", [TimedOut("read"), Interrupted("ServerDisconnectedError")])
async def test_a_message_that_may_have_been_posted_is_not_posted_again(error: Exception) -> None:
    api = Api(error)
    with pytest.raises(type(error)):
        await call(api, "sendMessage")
    assert api.calls == 1


async def test_a_message_that_never_left_is_sent_again() -> None:
    api = Api(NotSentTimeout("no connection"), NetworkError("Bad Gateway"))
    assert await call(api, "sendMessage") is True
    assert api.calls == 3


async def test_an_edit_is_tried_again_after_a_timeout_since_repeating_it_is_harmless() -> None:
    api = Api(TimedOut("read"), TimedOut("read"))
    assert await call(api, "editMessageText") is True
    assert api.calls == 3


async def test_a_caller_that_retries_itself_gets_every_error_at_once() -> None:
    api = Api(NetworkError("Bad Gateway"))
    with pytest.raises(NetworkError):
        await call(api, "sendMessage", ONCE)
    assert api.calls == 1


def test_a_chat_gets_a_small_burst_then_one_message_a_second() -> None:
    now = [100.0]
    pace = ChatPace(burst=3, interval=1.0, clock=lambda: now[0])
    assert [pace.delay("a") for _ in range(5)] == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert pace.delay("b") == 0.0, "another chat has its own pace"
    now[0] += 10  # quiet for a while: a burst again
    assert [pace.delay("a") for _ in range(3)] == [0.0, 0.0, 0.0]
