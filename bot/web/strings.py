"""The dashboard page's own words, translated on the server from the bot's catalogs.

The page has no catalog of its own: `/api/me` sends these, in the admin's language, so that one
set of .po files (and `./dev extract`) covers the chat and the dashboard alike."""

from __future__ import annotations

from bot.i18n import _


def page_strings() -> dict[str, str]:
    """Key (used by app.js) -> text in the current language."""
    return {
        "title": _("Survey dashboard"),
        "overview": _("Overview"),
        "survey": _("Survey"),
        "compare": _("Compare"),
        "touchpoints": _("Touchpoints"),
        "pulses": _("Pulses"),
        "period": _("Period"),
        "all_time": _("All time"),
        "last_days": _("Last {days} days"),
        "custom": _("Custom (e.g. 45d)"),
        "apply": _("Apply"),
        "responses": _("Responses"),
        "margin": _("± {margin} (95% margin of error)"),
        "change": _("Change since the previous period"),
        "trend": _("Trend"),
        "breakdown": _("Breakdown"),
        "segments": _("Segments, best first"),
        "all_segments": _("All segments"),
        "hidden": _("hidden (too few responses)"),
        "comments": _("Latest comments"),
        "waves": _("Waves"),
        "open": _("open"),
        "no_responses": _("No responses in this period."),
        "nothing_yet": _("No survey has responses in this period."),
        "anonymous_note": _(
            "Answers are anonymous: figures count closed waves and past months only, and leave"
            " out groups too small to show on their own."
        ),
        "calendar_only": _(
            "Anonymous surveys are shown by month, quarter or all time only: {surveys}."
        ),
        "pick_compare": _(
            "Tick two or more segments, or two or more months or quarters (with one segment"
            " ticked, that segment's)."
        ),
        "export": _("Download CSV"),
        "new_link": _("New link"),
        "segment_optional": _("Segment (optional)"),
        "download_qr": _("Download QR code"),
        "teams": _("Teams"),
        "members": _("Members"),
        "schedule": _("Schedule"),
        "next_wave": _("Next wave"),
        "paused": _("paused"),
        "no_pulses": _("No pulse is scheduled."),
        "pause": _("Pause"),
        "resume": _("Resume"),
        "send_now": _("Send now"),
        "confirm_send": _("Send a wave of {survey} to {team} now?"),
        "error": _("Something went wrong. Try again later."),
    }
