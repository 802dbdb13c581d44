"""What every use case is given: the settings, the surveys and the open storage."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.config import Config
from bot.storage.database import Storage
from bot.survey.model import Survey


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Deps:
    config: Config
    surveys: Mapping[str, Survey]
    storage: Storage
    wake_pulses: Callable[[], None] = field(default=_nothing)
    """Called after a change the pulse runner should act on at once (a new or resumed pulse,
    a wave to open now), instead of at its next tick."""
    bot_username: str | None = None
    """The bot's username, which deep links name; None: BOT_USERNAME."""

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.config.admin_ids

    def username(self) -> str:
        username = self.bot_username or self.config.bot_username
        if not username:
            raise RuntimeError("the bot's username is not known yet: links cannot be made")
        return username
