"""Admin commands in chat: /surveys, /summary, /export, /link, /pulse. The words are read into
requests (bot/usecases/words.py and here), the actions done by bot/usecases/admin.py, and the
results sent as messages, pictures and files. Only ids in ADMIN_IDS get an answer; anyone else
gets exactly what an unknown command gets, so the commands do not even show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from telegram.ext import ContextTypes

from bot.i18n import _, format_decimal, format_number, ngettext
from bot.pulses.schedule import ScheduleError
from bot.reports.pages import paginate
from bot.reports.periods import PeriodError
from bot.survey.links import LinkError
from bot.usecases import admin
from bot.usecases.deps import Deps
from bot.usecases.outcomes import NotAPulseSurvey, UnknownSurvey
from bot.usecases.phrases import wave_going_out
from bot.usecases.words import Malformed, export_request, summary_request, survey_word

Context = ContextTypes.DEFAULT_TYPE


class Usage(Exception):
    """A malformed admin command: answer with the usage line, and the reason if there is one."""


class AdminCommands:
    def __init__(self, deps: Callable[[], Deps]) -> None:
        self._deps = deps

    @property
    def commands(self) -> dict[str, Callable[[Context, int, int, list[str]], Awaitable[None]]]:
        """Each command: (context, chat id, admin id, words)."""
        return {
            "surveys": self.surveys_command,
            "summary": self.summary_command,
            "export": self.export_command,
            "link": self.link_command,
            "pulse": self.pulse_command,
        }

    async def run(
        self, name: str, context: Context, chat_id: int, admin_id: int, args: list[str]
    ) -> None:
        try:
            await self.commands[name](context, chat_id, admin_id, args)
        except Usage as usage:
            await context.bot.send_message(chat_id, str(usage))

    def _usage(self, usage: str, error: Exception) -> Usage:
        """The usage line, and what was wrong with the words."""
        match error:
            case UnknownSurvey(known=known):
                return Usage(usage + "\n" + _("Surveys: {ids}").format(ids=", ".join(known)))
            case NotAPulseSurvey(survey_id=survey_id):
                return Usage(f"{usage}\n" + _("{id} is not a pulse survey.").format(id=survey_id))
            case Malformed():
                return Usage(usage)
            case _:
                return Usage(f"{usage}\n{error}")

    async def _wait_notice(self, context: Context, chat_id: int) -> None:
        """An admin whose report has to wait for another one is told so, rather than left
        wondering."""
        if admin.report_waiting(self._deps()):
            await context.bot.send_message(
                chat_id, _("Another report is being prepared; yours follows right after it.")
            )

    # the commands

    async def surveys_command(
        self, context: Context, chat_id: int, admin_id: int, args: list[str]
    ) -> None:
        await self._wait_notice(context, chat_id)
        lines = [_("Surveys:")]
        for seen in await admin.overview(self._deps(), admin_id):
            if seen.anonymous:
                lines.append(
                    ngettext(
                        "{id}: anonymous, {count} response in the groups that can be shown",
                        "{id}: anonymous, {count} responses in the groups that can be shown",
                        seen.finished,
                    ).format(id=seen.survey_id, count=format_number(seen.finished))
                )
                continue
            lines.append(
                _("{id}: {finished} finished, {unfinished} unfinished, last {last}").format(
                    id=seen.survey_id,
                    finished=format_number(seen.finished),
                    unfinished=format_number(seen.unfinished),
                    last=seen.last_finished_at[:16] if seen.last_finished_at else "—",
                )
            )
        await context.bot.send_message(chat_id, "\n".join(lines))

    async def summary_command(
        self, context: Context, chat_id: int, admin_id: int, args: list[str]
    ) -> None:
        from bot.reports.chart import render_chart
        from bot.reports.text import summary_text

        usage = _("Usage: /summary <survey> [7d|30d|90d|all|2026-10|2026-Q4] [segment]")
        deps = self._deps()
        try:
            request = summary_request(deps.surveys, args)
        except (UnknownSurvey, Malformed, PeriodError) as error:
            raise self._usage(usage, error) from None
        await self._wait_notice(context, chat_id)
        summary = await admin.summary(deps, admin_id, request)
        await context.bot.send_message(chat_id, summary_text(summary))
        if not summary.hidden and summary.overall.n:
            picture = await asyncio.to_thread(render_chart, summary)
            await context.bot.send_photo(chat_id, picture, filename=f"{request.survey_id}.png")

    async def export_command(
        self, context: Context, chat_id: int, admin_id: int, args: list[str]
    ) -> None:
        from bot.reports.export import fit_upload
        from bot.reports.text import summary_text

        usage = _("Usage: /export <survey> [7d|30d|90d|all|2026-10|2026-Q4]")
        deps = self._deps()
        try:
            survey_id, period = export_request(deps.surveys, args)
        except (UnknownSurvey, Malformed, PeriodError) as error:
            raise self._usage(usage, error) from None
        await self._wait_notice(context, chat_id)
        document = await admin.export(deps, admin_id, survey_id, period)
        if not isinstance(document, bytes):  # anonymous, and too few responses: it says why
            await context.bot.send_message(chat_id, summary_text(document))
            return
        name = f"{survey_id}-{period.name}.csv"
        for filename, part in await asyncio.to_thread(fit_upload, document, name):
            await context.bot.send_document(chat_id, part, filename=filename)

    async def link_command(
        self, context: Context, chat_id: int, admin_id: int, args: list[str]
    ) -> None:
        usage = _(
            "Usage: /link <survey> [segment]\n"
            "/link <pulse survey> <team> [new]: the team's invite link; new replaces it, and"
            " earlier links no longer let anyone join"
        )
        deps = self._deps()
        try:
            survey = survey_word(deps.surveys, args)
        except UnknownSurvey as error:
            raise self._usage(usage, error) from None
        rest = args[1:]
        if survey.repeat == "wave":  # a team's invite: <team> [new]
            if not 1 <= len(rest) <= 2 or rest[1:] not in ([], ["new"]):
                raise Usage(usage)
        elif len(rest) > 1:
            raise Usage(usage)
        renew = rest[1:] == ["new"]
        try:
            link = await admin.new_link(
                deps, admin_id, survey.id, rest[0] if rest else None, renew=renew
            )
        except LinkError as error:
            raise self._usage(usage, error) from None
        if link.team is None:
            await context.bot.send_message(chat_id, link.url)
        else:
            note = (
                _(
                    "A new invite link for {team}: earlier links no longer let anyone join."
                    " Those who joined stay in the team."
                )
                if link.renewed
                else _(
                    "The invite link for {team}: whoever opens it joins the team's pulse"
                    " surveys, so share it with the team only. /link {survey} {team} new"
                    " replaces it."
                )
            ).format(team=link.team, survey=survey.id)
            await context.bot.send_message(chat_id, f"{link.url}\n\n{note}")
        await context.bot.send_photo(chat_id, link.qr_png, caption=link.url, filename="qr.png")

    async def pulse_command(
        self, context: Context, chat_id: int, admin_id: int, args: list[str]
    ) -> None:
        usage = _(
            "Usage: /pulse [list <page>] — audiences and schedules, page by page\n"
            "/pulse now <survey> <team> [hours until the reminder]\n"
            "/pulse add <survey> <team> <weekly|2weeks|4weeks|monthly|quarterly> <HH:MM>"
            " <time zone> [hours until the reminder]\n"
            "/pulse pause|resume|delete <id>\n"
            "/pulse close <wave number>"
        )
        deps = self._deps()
        action = args[0] if args else "list"
        try:
            if action == "list" and len(args) <= 2:
                page = args[1] if len(args) == 2 else "1"
                if not page.isdigit() or int(page) < 1:
                    raise Usage(usage)
                listed = await admin.pulse_list(deps, admin_id)
                await context.bot.send_message(chat_id, _pulse_page(listed, int(page)))
                return
            if action == "now" and len(args) in (3, 4):
                survey = survey_word(deps.surveys, args[1:2])
                reminder = _hours(args[3], usage) if len(args) == 4 else None
                opened = await admin.open_wave(deps, admin_id, survey.id, args[2], reminder)
                await context.bot.send_message(chat_id, wave_going_out(survey.id, args[2], opened))
                return
            if action == "add" and len(args) in (6, 7):
                survey = survey_word(deps.surveys, args[1:2])
                reminder = _hours(args[6], usage) if len(args) == 7 else None
                team, cadence, local_time, time_zone = args[2:6]
                request = admin.PulseRequest(
                    survey.id, team, cadence, local_time, time_zone, reminder
                )
                added = await admin.pulse_add(deps, admin_id, request)
                await context.bot.send_message(
                    chat_id,
                    _("Pulse {id} scheduled: first wave {when} UTC.").format(
                        id=added.pulse_id, when=added.first_at[:16]
                    ),
                )
                return
        except (UnknownSurvey, NotAPulseSurvey, ScheduleError) as error:
            raise self._usage(usage, error) from None
        if action == "close" and len(args) == 2 and args[1].isdigit():
            wave_id = int(args[1])
            if not await admin.close_wave(deps, admin_id, wave_id):
                await context.bot.send_message(
                    chat_id, _("No open wave {wave}.").format(wave=wave_id)
                )
                return
            await context.bot.send_message(
                chat_id,
                _(
                    "Wave {wave} is closing now: its score shows in /summary once it has closed."
                ).format(wave=wave_id),
            )
            return
        if action in ("pause", "resume", "delete") and len(args) == 2 and args[1].isdigit():
            pulse_id = int(args[1])
            act = {
                "pause": admin.pulse_pause,
                "resume": admin.pulse_resume,
                "delete": admin.pulse_delete,
            }[action]
            done = await act(deps, admin_id, pulse_id)
            await context.bot.send_message(
                chat_id,
                _("Done.") if done else _("No pulse {id}.").format(id=pulse_id),
            )
            return
        raise Usage(usage)


def _pulse_page(listed: admin.PulseList, page: int) -> str:
    """One page of the audiences and schedules: however many teams there are, each page is
    a message Telegram accepts, and its last line says how to get the next."""
    audiences = [
        f"{team}: {active} / {gone}" for team, (active, gone) in sorted(listed.audiences.items())
    ]
    schedules = []
    for pulse in listed.pulses:
        state = (
            _("paused") if pulse.paused else _("next {when} UTC").format(when=pulse.next_at[:16])
        )
        schedules.append(
            f"{pulse.id}. {pulse.survey_id} → {pulse.team}: {pulse.cadence} {pulse.local_time}"
            f" {pulse.time_zone}, "
            + _("reminder after {hours} h").format(hours=format_decimal(pulse.reminder_hours, 1))
            + f" ({state})"
            + (
                ngettext(
                    "; skipped {count} wave while stopped, last {when} UTC",
                    "; skipped {count} waves while stopped, last {when} UTC",
                    pulse.skipped,
                ).format(count=pulse.skipped, when=pulse.skipped_last[:16])
                if pulse.skipped and pulse.skipped_last
                else ""
            )
        )
    pages = paginate([(_("Audiences (active / left):"), audiences), (_("Pulses:"), schedules)])
    total = len(pages)
    if page > total:
        return ngettext(
            "No page {page}: the list has {total} page.",
            "No page {page}: the list has {total} pages.",
            total,
        ).format(page=page, total=total)
    lines = pages[page - 1]
    if total > 1:
        footer = (
            _("Page {page} of {total}. Next page: /pulse list {next}")
            if page < total
            else _("Page {page} of {total}.")
        )
        lines = [*lines, "", footer.format(page=page, total=total, next=page + 1)]
    return "\n".join(lines)


def _hours(text: str, usage: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        raise Usage(usage) from None
    if not 0 < hours <= 24 * 90:
        raise Usage(usage)
    return hours
