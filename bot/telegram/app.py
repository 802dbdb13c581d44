"""Building the python-telegram-bot Application for our settings."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

from telegram.ext import Application, ApplicationBuilder
from telegram.warnings import PTBUserWarning

from bot.config import Config
from bot.survey.model import Survey
from bot.telegram.handlers import SurveyBot
from bot.telegram.http import CONNECTIONS, AiohttpRequest
from bot.telegram.retries import Retries
from bot.telegram.turns import TakingTurns

# Respondents._edit calls editMessageText raw (the edited message that comes back is not needed,
# and parsing it was a third of a tap's edit); python-telegram-bot warns on every raw call of a
# method it knows. Only that warning is silenced.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.editMessageText'", category=PTBUserWarning
)


def build_application(config: Config, surveys: Mapping[str, Survey]) -> Application:  # type: ignore[type-arg]
    """The real Application, pointed at `BOT_API_BASE_URL` (public API, local server, tests)."""
    survey_bot = SurveyBot(config, surveys)
    application = (
        ApplicationBuilder()
        .token(config.require_token())
        .base_url(f"{config.api_base_url}/bot")
        .base_file_url(f"{config.api_base_url}/file/bot")
        .request(AiohttpRequest(connections=CONNECTIONS))
        .get_updates_request(AiohttpRequest(connections=1))
        .post_init(survey_bot.post_init)
        .post_shutdown(survey_bot.post_shutdown)
        .rate_limiter(Retries())
        # as many updates handled at once as there are connections to answer them (more would
        # only wait for a connection, holding memory), one at a time per person
        .concurrent_updates(TakingTurns(CONNECTIONS))
        .build()
    )
    survey_bot.register(application)
    return application
