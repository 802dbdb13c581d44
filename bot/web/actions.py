"""The dashboard's pulse controls: pause, resume and send a wave now, with the chat's rules.

These are the calls `/pulse pause|resume|now` makes today (bot/telegram/admin.py), kept to the
same storage methods and the same answers, so the two cannot drift apart; when the admin
actions move into bot/usecases/, both adapters call those instead and this module goes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import _, format_number, ngettext
from bot.usecases.deps import Deps


@dataclass(frozen=True)
class Outcome:
    done: bool
    message: str
    """What the chat would have answered, in the current language."""


async def set_paused(deps: Deps, pulse_id: int, paused: bool) -> Outcome:
    done = await deps.storage.pulses.set_paused(pulse_id, paused)
    return Outcome(done, _("Done.") if done else _("No pulse {id}.").format(id=pulse_id))


async def send_now(deps: Deps, pulse_id: int) -> Outcome:
    """A wave of the pulse's survey to its team now, as `/pulse now <survey> <team>` opens it,
    with the pulse's own reminder delay and opening time; its schedule is left as it is."""
    pulse = next((p for p in await deps.storage.pulses.pulses() if p.id == pulse_id), None)
    if pulse is None or pulse.survey_id not in deps.surveys:
        return Outcome(False, _("No pulse {id}.").format(id=pulse_id))
    wave_id, members = await deps.storage.pulses.open_wave(
        survey_id=pulse.survey_id,
        team=pulse.team,
        reminder_hours=pulse.reminder_hours,
        open_hours=pulse.open_hours,
    )
    deps.wake_pulses()
    return Outcome(
        True,
        ngettext(
            "Wave {wave} of {survey} is going out to {count} member of {team}.",
            "Wave {wave} of {survey} is going out to {count} members of {team}.",
            members,
        ).format(
            wave=wave_id, survey=pulse.survey_id, count=format_number(members), team=pulse.team
        ),
    )
