"""/metrics in Prometheus's text format and /readyz, as the web server serves them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.storage.database import Storage
from bot.web.server import build_web_app
from tests.web.conftest import Serve

FAMILIES = {
    "cxbot_updates": "counter",
    "cxbot_answers_stored": "counter",
    "cxbot_bot_api_calls": "counter",
    "cxbot_tap_to_screen_seconds": "histogram",
    "cxbot_pulse_queue": "gauge",
    "cxbot_pulse_leader": "gauge",
}


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "cxbot.sqlite3")
    yield opened
    await opened.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) -> value, parsed as Prometheus parses the page."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_are_served_in_prometheus_text_format(serve: Serve, storage: Storage) -> None:
    client = await serve(build_web_app(storage.schema_version))
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    families = {f.name: f.type for f in text_string_to_metric_families(await response.text())}
    assert families == FAMILIES
    kinds = {
        labels for name, labels in samples(await response.text()) if name == "cxbot_updates_total"
    }
    assert kinds == {(("kind", kind),) for kind in metrics.UPDATE_KINDS}, "each kind from 0"


async def test_metrics_show_what_was_counted_since_the_last_scrape(
    serve: Serve, storage: Storage
) -> None:
    client = await serve(build_web_app(storage.schema_version))
    before = samples(await (await client.get("/metrics")).text())
    metrics.updates.labels("callback").inc()
    metrics.answers.inc()
    metrics.answers.inc()
    metrics.tap_seconds.observe(0.03)
    after = samples(await (await client.get("/metrics")).text())
    changed = {key: after[key] - before.get(key, 0.0) for key in after}
    expected: dict[tuple[str, tuple[tuple[str, str], ...]], object] = {
        ("cxbot_updates_total", (("kind", "callback"),)): 1,
        ("cxbot_answers_stored_total", ()): 2,
        ("cxbot_tap_to_screen_seconds_count", ()): 1,
        ("cxbot_tap_to_screen_seconds_sum", ()): pytest.approx(0.03),
        **{
            ("cxbot_tap_to_screen_seconds_bucket", (("le", le),)): 1
            for le in ("0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "+Inf")
        },
    }
    assert {key: n for key, n in changed.items() if n} == expected


async def test_gauges_read_elsewhere_are_brought_up_to_date_at_each_scrape(
    serve: Serve, storage: Storage
) -> None:
    queue = [4, 0]

    async def read_queue() -> None:
        metrics.pulse_queue.set(queue.pop(0))

    client = await serve(build_web_app(storage.schema_version, scrape=read_queue))
    scraped = [samples(await (await client.get("/metrics")).text()) for _ in range(2)]
    assert [s[("cxbot_pulse_queue", ())] for s in scraped] == [4, 0]


async def test_two_web_apps_in_one_process_serve_the_same_metrics(
    serve: Serve, storage: Storage
) -> None:
    first = await serve(build_web_app(storage.schema_version))
    second = await serve(build_web_app(storage.schema_version))
    metrics.answers.inc()
    pages = [samples(await (await client.get("/metrics")).text()) for client in (first, second)]
    assert (
        pages[0][("cxbot_answers_stored_total", ())] == pages[1][("cxbot_answers_stored_total", ())]
    )


async def test_ready_while_the_bot_takes_updates_and_the_database_answers(
    serve: Serve, storage: Storage
) -> None:
    taking = [False]
    client = await serve(build_web_app(storage.schema_version, ready=lambda: taking[0]))
    assert (await client.get("/readyz")).status == 503, "not started yet"
    assert (await client.get("/healthz")).status == 200, "alive all the same"
    taking[0] = True
    assert (await client.get("/readyz")).status == 200
    taking[0] = False
    assert (await client.get("/readyz")).status == 503, "stopping"


async def test_not_ready_once_the_database_is_closed(serve: Serve, tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path / "cxbot.sqlite3")
    client = await serve(build_web_app(storage.schema_version, ready=lambda: True))
    assert (await client.get("/readyz")).status == 200
    await storage.close()
    assert (await client.get("/readyz")).status == 503
