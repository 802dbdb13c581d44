"""The sentences an admin action ends with, the same in the chat and in the dashboard."""

from __future__ import annotations

from bot.i18n import format_number, ngettext
from bot.usecases.admin import WaveOpened


def wave_going_out(survey_id: str, team: str, opened: WaveOpened) -> str:
    return ngettext(
        "Wave {wave} of {survey} is going out to {count} member of {team}.",
        "Wave {wave} of {survey} is going out to {count} members of {team}.",
        opened.members,
    ).format(wave=opened.wave_id, survey=survey_id, count=format_number(opened.members), team=team)
