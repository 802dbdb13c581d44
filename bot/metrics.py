"""What an operator watches, in Prometheus's terms: the metric objects of this process, all in
one place, so that adapters only call `.inc()`, `.observe()` or `.set()` and `/metrics` (the
web server) reads one registry.

The registry is this module's own, not prometheus_client's global default: nothing else of the
process (another library, a test building several web apps) adds to or clashes with it.
Replicas are told apart by the scraper (its `instance` label), and in the logs by `REPLICA`.
"""

from __future__ import annotations

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

REGISTRY = CollectorRegistry()

UPDATE_KINDS = ("message", "callback", "other")

updates = Counter(
    "cxbot_updates",
    "Updates from Telegram taken in for handling, by kind: message (new or edited), callback"
    " (a tap on a button), other",
    ["kind"],
    registry=REGISTRY,
)
answers = Counter(
    "cxbot_answers_stored",
    "Answers stored: taps and typed texts that answered the question on screen",
    registry=REGISTRY,
)
api_calls = Counter(
    "cxbot_bot_api_calls",
    "Calls to the Bot API, by method and by the HTTP status answered (error: no answer, the"
    " connection failed or timed out)",
    ["method", "status"],
    registry=REGISTRY,
)
TAP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
tap_seconds = Histogram(
    "cxbot_tap_to_screen_seconds",
    "Seconds from an answer tap (or Back) reaching the bot to the Bot API confirming the next"
    " screen (editMessageText or sendMessage): what the person waits for",
    buckets=TAP_BUCKETS,
    registry=REGISTRY,
)
pulse_queue = Gauge(
    "cxbot_pulse_queue",
    "Pulse deliveries waiting to be sent or being sent (open waves), read at every scrape",
    registry=REGISTRY,
)
pulse_leader = Gauge(
    "cxbot_pulse_leader",
    "1 while this process runs the pulse scheduler and sender, else 0",
    registry=REGISTRY,
)

for _kind in UPDATE_KINDS:  # every kind shows from the first scrape, at 0
    updates.labels(_kind)
