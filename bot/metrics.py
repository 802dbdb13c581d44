"""What an operator watches, in Prometheus's terms: the metric objects of this process, all in
one place, so that adapters only call `.inc()`, `.observe()` or `.set()` and `/metrics` (the
web server) reads one registry.

The metrics exist once the web server asks for them (`registry()`, when it is built): before
that, and in a bot without WEB_PORT, nobody can read them, and each name here is a stand-in
that keeps nothing. prometheus_client (about 1 MB of a polling bot's memory) is imported only
then. `cxbot run` builds the web server before its first call to the Bot API, so nothing it
could show goes uncounted.

The registry is this module's own, not prometheus_client's global default: nothing else of the
process (another library, a test building several web apps) adds to or clashes with it.
Replicas are told apart by the scraper (its `instance` label), and in the logs by `REPLICA`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry


class Count(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class CountBy(Protocol):
    def labels(self, *values: str) -> Count: ...


class Observe(Protocol):
    def observe(self, amount: float) -> None: ...


class Level(Protocol):
    def set(self, value: float) -> None: ...


class Unread:
    """A metric while no web server can show it: takes every call, keeps nothing."""

    def labels(self, *values: str) -> Unread:
        return self

    def inc(self, amount: float = 1) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass

    def set(self, value: float) -> None:
        pass


UPDATE_KINDS = ("message", "callback", "other")
TAP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

updates: CountBy = Unread()
answers: Count = Unread()
api_calls: CountBy = Unread()
tap_seconds: Observe = Unread()
pulse_queue: Level = Unread()
pulse_leader: Level = Unread()

_registry: CollectorRegistry | None = None


def registry() -> CollectorRegistry:
    """The registry /metrics reads, with this process's metrics in it: made on the first call,
    which replaces the stand-ins above with the metrics themselves (callers look them up here
    at each call, as `metrics.answers.inc()`)."""
    global _registry, updates, answers, api_calls, tap_seconds, pulse_queue, pulse_leader
    if _registry is not None:
        return _registry
    from prometheus_client import (
        CollectorRegistry,
        Counter,
        Gauge,
        Histogram,
        disable_created_metrics,
    )

    # A `_created` timestamp beside every counter and histogram doubles the page for nothing a
    # dashboard of this bot uses (Prometheus sees restarts as resets by itself).
    disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in the library
    made = CollectorRegistry()
    counted_updates = Counter(
        "cxbot_updates",
        "Updates from Telegram taken in for handling, by kind: message (new or edited), callback"
        " (a tap on a button), other",
        ["kind"],
        registry=made,
    )
    for kind in UPDATE_KINDS:  # every kind shows from the first scrape, at 0
        counted_updates.labels(kind)
    updates = counted_updates
    answers = Counter(
        "cxbot_answers_stored",
        "Answers stored: taps and typed texts that answered the question on screen",
        registry=made,
    )
    api_calls = Counter(
        "cxbot_bot_api_calls",
        "Calls to the Bot API, by method and by the HTTP status answered (error: no answer, the"
        " connection failed or timed out)",
        ["method", "status"],
        registry=made,
    )
    tap_seconds = Histogram(
        "cxbot_tap_to_screen_seconds",
        "Seconds from an answer tap (or Back) reaching the bot to the Bot API confirming the next"
        " screen (editMessageText or sendMessage): what the person waits for",
        buckets=TAP_BUCKETS,
        registry=made,
    )
    pulse_queue = Gauge(
        "cxbot_pulse_queue",
        "Pulse deliveries waiting to be sent or being sent (open waves), read at every scrape",
        registry=made,
    )
    pulse_leader = Gauge(
        "cxbot_pulse_leader",
        "1 while this process runs the pulse scheduler and sender, else 0",
        registry=made,
    )
    _registry = made
    return made
