"""Building the python-telegram-bot Application for our settings, and running it: by long
polling or by webhook, with the web server in the same event loop when WEB_PORT is set."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
import warnings
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import Conflict, TelegramError
from telegram.ext import Application, ApplicationBuilder
from telegram.warnings import PTBUserWarning

from bot import metrics
from bot.config import Config
from bot.survey.model import Survey
from bot.telegram.dashboard import MenuButtons
from bot.telegram.handlers import SurveyBot
from bot.telegram.http import CONNECTIONS, AiohttpRequest
from bot.telegram.retries import Retries
from bot.telegram.startup import StartupError
from bot.telegram.turns import TakingTurns

if TYPE_CHECKING:
    from aiohttp import web

# Respondents._edit and _send call editMessageText and sendMessage raw (the message that comes
# back is not needed beyond its id, and parsing it was a third of a tap's edit);
# python-telegram-bot warns on every raw call of a method it knows. Only that warning is silenced.
warnings.filterwarnings(
    "ignore",
    message=r"Please use 'Bot\.(editMessageText|sendMessage)'",
    category=PTBUserWarning,
)

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Hook = Callable[[AnyApplication], Coroutine[Any, Any, None]]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)
"""The signals python-telegram-bot's run_polling stops on: a supervisor's SIGTERM, Ctrl-C."""
CONFLICT_QUIET = 120.0
"""Seconds without a 409 Conflict from getUpdates after which the next one is news again (and
logged): python-telegram-bot retries a conflicting poll at most 30 s apart, so conflicts closer
together than this are one overlap going on."""
WEBHOOK_CONNECTIONS = 100
"""Webhook requests Telegram may hold open at once (its maximum; 40 if not asked): each is
answered only once its update is handled, so these are the updates handled at once."""


def build(config: Config, surveys: Mapping[str, Survey]) -> tuple[AnyApplication, SurveyBot]:
    """The Application, and the SurveyBot behind it (its storage answers the health check)."""
    survey_bot = SurveyBot(config, surveys)
    menu_buttons = MenuButtons(config)
    application = (
        ApplicationBuilder()
        .token(config.require_token())
        .base_url(f"{config.api_base_url}/bot")
        .base_file_url(f"{config.api_base_url}/file/bot")
        .request(AiohttpRequest(connections=CONNECTIONS))
        .get_updates_request(AiohttpRequest(connections=1))
        .post_init(_in_turn(survey_bot.post_init, menu_buttons.post_init))
        .post_shutdown(_in_turn(menu_buttons.post_shutdown, survey_bot.post_shutdown))
        .rate_limiter(Retries())
        # as many updates handled at once as there are connections to answer them (more would
        # only wait for a connection, holding memory), one at a time per person
        .concurrent_updates(TakingTurns(CONNECTIONS))
        .build()
    )
    survey_bot.register(application)
    return application, survey_bot


def _in_turn(*hooks: Hook) -> Hook:
    async def run(application: AnyApplication) -> None:
        for hook in hooks:
            await hook(application)

    return run


def web_app(config: Config, application: AnyApplication, survey_bot: SurveyBot) -> web.Application:
    """The web server's application: health on the bot's own storage, the webhook route in
    webhook mode, and the admins' dashboard (its page and API) on the bot's own Deps."""
    # imported here: aiohttp's server and the dashboard's views weigh about 3 MB, for WEB_PORT only
    from bot.web.api import add_routes
    from bot.web.server import build_web_app
    from bot.web.webhook import add_webhook

    def webhook(app: web.Application) -> None:
        add_webhook(
            app,
            secret=config.webhook_secret_token(),
            bot=application.bot,
            handle=handle,
            # survey_bot.storage raises until post_init has opened it: answered 503
            claim=lambda update_id: survey_bot.storage.claim_update(update_id),
            handled=lambda update_ids: survey_bot.storage.handled_updates(update_ids),
        )

    async def handle(update: Update) -> None:
        """What python-telegram-bot's own update fetcher does with each update, awaited: the
        webhook acknowledges an update only once it is handled."""
        await application.update_processor.process_update(
            update, application.process_update(update)
        )

    async def database() -> object:
        return await survey_bot.storage.schema_version()

    def dashboard(app: web.Application) -> None:
        add_routes(app, lambda: survey_bot.deps)

    def ready() -> bool:
        return application.running and survey_bot.ready

    async def gauges() -> None:
        """The pulse queue, read from the database at each scrape (every replica sees the
        same queue, whichever of them sends)."""
        if not survey_bot.ready:
            return
        try:
            metrics.pulse_queue.set(await survey_bot.storage.pulses.queued())
        except Exception as error:  # the other metrics are still worth serving
            log.warning("metrics: the pulse queue could not be read: %s", error)

    routes = [webhook] if config.webhook else []
    return build_web_app(database, ready=ready, scrape=gauges, extra=[*routes, dashboard])


async def serve(
    application: AnyApplication, config: Config, site: web.Application | None = None
) -> None:
    """Run until SIGTERM or SIGINT, the way `run_polling` does (initialize, post_init, receive,
    start; then stop, shutdown, post_shutdown), with the web server beside the Application.

    Long polling by default; with WEBHOOK=1, setWebhook for PUBLIC_URL/telegram and the updates
    come through the web server's route instead. The webhook is left set at stop: another
    replica may still be serving it, and Telegram keeps updates for a bot that is down. The
    port is taken and the webhook set before anything else starts, so that a port in use or a
    webhook refused is a start-up failure with nothing to undo."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    runner: web.AppRunner | None = None
    try:
        await application.initialize()
        if site is not None and config.web_port is not None:
            runner = await _listen(site, config.web_host, config.web_port)
        if config.webhook:  # before post_init: a refusal stops the start before work begins
            await _set_webhook(application, config)
        if application.post_init:
            await application.post_init(application)
        if not config.webhook:
            assert application.updater is not None
            await application.updater.start_polling(
                allowed_updates=Update.ALL_TYPES, error_callback=_reporter(application)
            )
        await application.start()
        await stop.wait()
    finally:
        if runner is not None:  # webhook requests in flight end (handled) before the stop
            await runner.cleanup()
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


async def _listen(site: web.Application, host: str, port: int) -> web.AppRunner:
    from bot.web.server import listen  # loaded by web_app already: the site is built with it

    try:
        return await listen(site, host, port)
    except OSError as error:
        reason = error.strerror or str(error)
        raise StartupError(
            f"the web server cannot listen on {host}:{port} ({reason}): check WEB_PORT and"
            " WEB_HOST (another program, or another cxbot, may hold the port)"
        ) from None


async def _set_webhook(application: AnyApplication, config: Config) -> None:
    url = config.webhook_url
    assert url is not None  # the config refuses WEBHOOK=1 without PUBLIC_URL
    try:
        await application.bot.set_webhook(
            url,
            secret_token=config.webhook_secret_token(),
            allowed_updates=Update.ALL_TYPES,
            max_connections=WEBHOOK_CONNECTIONS,
        )
    except TelegramError as error:
        raise StartupError(
            f"Telegram refused the webhook {url} ({error}): check PUBLIC_URL, and that it"
            " reaches this server over https"
        ) from None


def _reporter(application: AnyApplication) -> Callable[[TelegramError], None]:
    """What run_polling does with an error fetching updates: the error handlers get it; but a
    409 Conflict (another process polls with this token, or a webhook is set) is no bug, and
    is said in one line per overlap, not a traceback per retry. Polling goes on: when the other
    process stops (a deploy's overlap), this one gets the updates again."""
    last_conflict: float | None = None

    def report(error: TelegramError) -> None:
        nonlocal last_conflict
        if isinstance(error, Conflict):
            now = time.monotonic()
            if last_conflict is None or now - last_conflict > CONFLICT_QUIET:
                log.warning("%s", conflict_line(error))
            last_conflict = now
            return
        application.create_task(application.process_error(error=error, update=None))

    return report


def conflict_line(error: Conflict) -> str:
    """What an operator is told of a 409 from getUpdates: the cause, and what to do."""
    if "webhook" in error.message.lower():
        return (
            "Telegram answers getUpdates with 409 Conflict: a webhook is set for this bot token"
            " (another process runs with WEBHOOK=1), and Telegram hands out updates by one way"
            " only. Run this process with WEBHOOK=1 too, behind the same load balancer, or stop"
            " the others and restart this one (at start, polling deletes the webhook)."
        )
    return (
        "Telegram answers getUpdates with 409 Conflict: another process is polling for updates"
        " with this bot token. Long polling works with one process only: stop the other one,"
        " or run the replicas with WEBHOOK=1 behind a load balancer. This process keeps polling"
        " and gets the updates once the other one stops."
    )
