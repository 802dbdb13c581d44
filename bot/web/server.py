"""cxbot's web server: one aiohttp application for health, readiness, metrics, the webhook and
whatever other adapters add (the dashboard's API and pages), in the bot's own process and event
loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import metrics

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = 2.0
"""Seconds the database has to answer a health check before the check says it does not."""

Routes = Callable[[web.Application], None]
"""Adds routes (and perhaps middlewares or startup hooks) to the application."""


def build_web_app(
    database: Callable[[], Awaitable[object]],
    *,
    ready: Callable[[], bool] | None = None,
    scrape: Callable[[], Awaitable[None]] | None = None,
    extra: Sequence[Routes] = (),
) -> web.Application:
    """`/healthz`, `/readyz` and `/metrics`, plus the routes `extra` adds (the webhook in
    webhook mode, the dashboard).

    `database` runs a trivial query: /healthz answers 200 once it returns, 503 when it raises
    or takes longer than HEALTH_TIMEOUT (not open yet, closed, locked, the disk gone), so that
    a load balancer or an orchestrator sends no one to a replica that cannot store answers.
    /readyz asks more: also `ready()`, whether the bot takes updates now (started, not
    stopping); None: the database alone. /metrics reads the metrics of bot/metrics.py, after
    `scrape` has brought the gauges read from elsewhere (the database) up to date."""
    app = web.Application()
    registry = metrics.registry()

    async def answers() -> str | None:
        """None when the database answers in time, else why not."""
        try:
            await asyncio.wait_for(database(), HEALTH_TIMEOUT)
        except Exception as error:  # whatever the reason, the answer is the same: not healthy
            return str(error) or type(error).__name__
        return None

    async def healthz(request: web.Request) -> web.Response:
        if (reason := await answers()) is not None:
            log.warning("health check: the database does not answer: %s", reason)
            return web.Response(status=503, text="database unavailable\n")
        return web.Response(text="ok\n")

    async def readyz(request: web.Request) -> web.Response:
        if ready is not None and not ready():
            return web.Response(status=503, text="not ready\n")
        if await answers() is not None:
            return web.Response(status=503, text="database unavailable\n")
        return web.Response(text="ready\n")

    async def serve_metrics(request: web.Request) -> web.Response:
        if scrape is not None:
            await scrape()
        body = generate_latest(registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", serve_metrics)
    for routes in extra:
        routes(app)
    return app


async def listen(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve `app` on host:port; OSError (a port in use, an address not on this machine) when
    it cannot, with the runner cleaned up."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
