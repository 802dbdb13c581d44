"""Admin commands: /surveys, /summary, /export, /link. Only ids in ADMIN_IDS get an answer;
anyone else gets exactly what an unknown command gets, so the commands do not even show.

The report modules (charts, CSV, QR codes) are imported by the commands that use them: the bot
starts without them, and most runs never need them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from telegram.ext import ContextTypes

from bot.config import Config
from bot.i18n import _, format_decimal, format_number, ngettext
from bot.pulses.schedule import ScheduleError, anchor_day, first_run, next_run
from bot.reports.pages import paginate
from bot.reports.periods import Period, PeriodError, looks_like_period, parse_period
from bot.storage.database import Storage
from bot.storage.times import stamp
from bot.survey.links import (
    Invite,
    LinkError,
    Target,
    check_team,
    deep_link,
    invite_link,
    new_secret,
)
from bot.survey.model import Survey

if TYPE_CHECKING:
    from bot.storage.reports import ReportQueries

Context = ContextTypes.DEFAULT_TYPE


class Usage(Exception):
    """A malformed admin command: answer with the usage line, and the reason if there is one."""


class AdminCommands:
    def __init__(
        self,
        config: Config,
        surveys: Mapping[str, Survey],
        storage: Callable[[], Storage],
        *,
        wake: Callable[[], None],
    ) -> None:
        self.config = config
        self.admin_ids = config.admin_ids
        self.surveys = surveys
        self._storage = storage
        self._wake = wake

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids

    @property
    def commands(self) -> dict[str, Callable[[Context, int, list[str]], Awaitable[None]]]:
        return {
            "surveys": self.surveys_command,
            "summary": self.summary_command,
            "export": self.export_command,
            "link": self.link_command,
            "pulse": self.pulse_command,
        }

    async def run(self, name: str, context: Context, chat_id: int, args: list[str]) -> None:
        try:
            await self.commands[name](context, chat_id, args)
        except Usage as usage:
            await context.bot.send_message(chat_id, str(usage))

    def _survey(self, args: list[str], usage: str) -> Survey:
        if not args or args[0] not in self.surveys:
            known = ", ".join(sorted(self.surveys))
            raise Usage(usage + "\n" + _("Surveys: {ids}").format(ids=known))
        return self.surveys[args[0]]

    @staticmethod
    def _period(text: str | None, usage: str, survey: Survey) -> Period:
        try:
            return parse_period(text, anonymous=survey.anonymous)
        except PeriodError as error:
            raise Usage(f"{usage}\n{error}") from None

    @asynccontextmanager
    async def _report(self, context: Context, chat_id: int) -> AsyncIterator[ReportQueries]:
        """The report queries, one report at a time; an admin whose report has to wait for
        another one is told so, rather than left wondering."""
        storage = self._storage()
        if storage.report_running:
            await context.bot.send_message(
                chat_id, _("Another report is being prepared; yours follows right after it.")
            )
        async with storage.report() as reports:
            yield reports

    # the commands

    async def surveys_command(self, context: Context, chat_id: int, args: list[str]) -> None:
        from bot.reports.disclosure import Scope
        from bot.reports.figures import figures
        from bot.reports.summary import load_released

        async with self._report(context, chat_id) as reports:
            activity = {a.survey_id: a for a in await reports.activity()}
            shown_of: dict[str, int] = {}
            for survey in self.surveys.values():
                if survey.anonymous:  # what the summary shows, not answers arriving one by one
                    released = await load_released(reports, survey)
                    shown_of[survey.id] = figures(survey, released.disclosure.histogram(Scope())).n
        lines = [_("Surveys:")]
        for survey_id in sorted(self.surveys):
            survey = self.surveys[survey_id]
            if survey.anonymous:
                shown = shown_of[survey_id]
                lines.append(
                    ngettext(
                        "{id}: anonymous, {count} response in the groups that can be shown",
                        "{id}: anonymous, {count} responses in the groups that can be shown",
                        shown,
                    ).format(id=survey_id, count=format_number(shown))
                )
                continue
            seen = activity.get(survey_id)
            finished, unfinished = (seen.finished, seen.unfinished) if seen else (0, 0)
            last = seen.last_finished_at[:16] if seen and seen.last_finished_at else "—"
            lines.append(
                _("{id}: {finished} finished, {unfinished} unfinished, last {last}").format(
                    id=survey_id,
                    finished=format_number(finished),
                    unfinished=format_number(unfinished),
                    last=last,
                )
            )
        await context.bot.send_message(chat_id, "\n".join(lines))

    async def summary_command(self, context: Context, chat_id: int, args: list[str]) -> None:
        from bot.reports.chart import render_chart
        from bot.reports.summary import build_summary
        from bot.reports.text import summary_text

        usage = _("Usage: /summary <survey> [7d|30d|90d|all|2026-10|2026-Q4] [segment]")
        survey = self._survey(args, usage)
        rest = args[1:]
        period_arg = rest.pop(0) if rest and looks_like_period(rest[0]) else None
        if period_arg is None and rest and rest[0][:1].isdigit():
            period_arg = rest.pop(0)  # meant as a period but malformed: say so
        if len(rest) > 1:
            raise Usage(usage)
        period = self._period(period_arg, usage, survey)
        async with self._report(context, chat_id) as reports:
            summary = await build_summary(reports, survey, period, rest[0] if rest else None)
        await context.bot.send_message(chat_id, summary_text(summary))
        if not summary.hidden and summary.overall.n:
            picture = await asyncio.to_thread(render_chart, summary)
            await context.bot.send_photo(chat_id, picture, filename=f"{survey.id}.png")

    async def export_command(self, context: Context, chat_id: int, args: list[str]) -> None:
        from bot.reports.export import export_csv, fit_upload
        from bot.reports.summary import build_summary
        from bot.reports.text import summary_text

        usage = _("Usage: /export <survey> [7d|30d|90d|all|2026-10|2026-Q4]")
        survey = self._survey(args, usage)
        if len(args) > 2:
            raise Usage(usage)
        period = self._period(args[1] if len(args) > 1 else None, usage, survey)
        async with self._report(context, chat_id) as reports:
            document = await export_csv(reports, survey, period)
            summary = None if document is not None else await build_summary(reports, survey, period)
        if document is None:  # anonymous, and too few responses: the summary says why
            assert summary is not None
            await context.bot.send_message(chat_id, summary_text(summary))
            return
        name = f"{survey.id}-{period.name}.csv"
        for filename, part in await asyncio.to_thread(fit_upload, document, name):
            await context.bot.send_document(chat_id, part, filename=filename)

    async def link_command(self, context: Context, chat_id: int, args: list[str]) -> None:
        from bot.reports.qr import qr_png

        usage = _(
            "Usage: /link <survey> [segment]\n"
            "/link <pulse survey> <team> [new]: the team's invite link; new replaces it, and"
            " earlier links no longer let anyone join"
        )
        survey = self._survey(args, usage)
        if survey.repeat == "wave":
            await self._invite_link(context, chat_id, survey, args[1:], usage)
            return
        if len(args) > 2:
            raise Usage(usage)
        try:
            link = deep_link(context.bot.username, Target(survey.id, args[1] if args[1:] else None))
        except LinkError as error:
            raise Usage(f"{usage}\n{error}") from None
        await context.bot.send_message(chat_id, link)
        await context.bot.send_photo(chat_id, qr_png(link), caption=link, filename="qr.png")

    async def _invite_link(
        self, context: Context, chat_id: int, survey: Survey, args: list[str], usage: str
    ) -> None:
        """A pulse survey's link joins one team, and only with the team's secret: made on the
        first /link, shown again after, replaced with `new`."""
        from bot.reports.qr import qr_png

        if not 1 <= len(args) <= 2 or args[1:] not in ([], ["new"]):
            raise Usage(usage)
        team, replace = args[0], len(args) == 2
        try:
            check_team(survey.id, team)
        except LinkError as error:
            raise Usage(f"{usage}\n{error}") from None
        secret = await self._storage().pulses.set_invite_secret(
            survey.id, team, new_secret(), replace=replace
        )
        link = invite_link(context.bot.username, Invite(survey.id, team, secret))
        note = (
            _(
                "A new invite link for {team}: earlier links no longer let anyone join. Those who"
                " joined stay in the team."
            )
            if replace
            else _(
                "The invite link for {team}: whoever opens it joins the team's pulse surveys, so"
                " share it with the team only. /link {survey} {team} new replaces it."
            )
        ).format(team=team, survey=survey.id)
        await context.bot.send_message(chat_id, f"{link}\n\n{note}")
        await context.bot.send_photo(chat_id, qr_png(link), caption=link, filename="qr.png")

    async def pulse_command(self, context: Context, chat_id: int, args: list[str]) -> None:
        usage = _(
            "Usage: /pulse [list <page>] — audiences and schedules, page by page\n"
            "/pulse now <survey> <team> [hours until the reminder]\n"
            "/pulse add <survey> <team> <weekly|2weeks|4weeks|monthly|quarterly> <HH:MM>"
            " <time zone> [hours until the reminder]\n"
            "/pulse pause|resume|delete <id>\n"
            "/pulse close <wave number>"
        )
        pulses = self._storage().pulses
        action = args[0] if args else "list"
        if action == "list" and len(args) <= 2:
            page = args[1] if len(args) == 2 else "1"
            if not page.isdigit() or int(page) < 1:
                raise Usage(usage)
            await context.bot.send_message(chat_id, await self._pulse_list(int(page)))
            return
        if action == "now" and len(args) in (3, 4):
            survey = self._wave_survey(args[1], usage)
            reminder = self._hours(args[3], usage) if len(args) == 4 else None
            wave_id, members = await pulses.open_wave(
                survey_id=survey.id,
                team=args[2],
                reminder_hours=reminder or self.config.pulse_reminder_hours,
                open_hours=self.config.pulse_open_hours,
            )
            self._wake()
            await context.bot.send_message(
                chat_id,
                ngettext(
                    "Wave {wave} of {survey} is going out to {count} member of {team}.",
                    "Wave {wave} of {survey} is going out to {count} members of {team}.",
                    members,
                ).format(
                    wave=wave_id, survey=survey.id, count=format_number(members), team=args[2]
                ),
            )
            return
        if action == "add" and len(args) in (6, 7):
            survey = self._wave_survey(args[1], usage)
            reminder = self._hours(args[6], usage) if len(args) == 7 else None
            try:
                first = first_run(args[4], args[5])
                next_run(first, args[3], args[4], args[5])  # checks the cadence
            except ScheduleError as error:
                raise Usage(f"{usage}\n{error}") from None
            pulse_id = await pulses.add_pulse(
                survey_id=survey.id,
                team=args[2],
                cadence=args[3],
                local_time=args[4],
                time_zone=args[5],
                reminder_hours=reminder or self.config.pulse_reminder_hours,
                open_hours=self.config.pulse_open_hours,
                next_at=stamp(first),
                anchor_day=anchor_day(first, args[5]),
            )
            await context.bot.send_message(
                chat_id,
                _("Pulse {id} scheduled: first wave {when} UTC.").format(
                    id=pulse_id, when=stamp(first)[:16]
                ),
            )
            return
        if action == "close" and len(args) == 2 and args[1].isdigit():
            wave_id = int(args[1])
            if not await pulses.close_early(wave_id):
                await context.bot.send_message(
                    chat_id, _("No open wave {wave}.").format(wave=wave_id)
                )
                return
            self._wake()
            await context.bot.send_message(
                chat_id,
                _(
                    "Wave {wave} is closing now: its score shows in /summary once it has closed."
                ).format(wave=wave_id),
            )
            return
        if action in ("pause", "resume", "delete") and len(args) == 2 and args[1].isdigit():
            pulse_id = int(args[1])
            done = (
                await pulses.delete_pulse(pulse_id)
                if action == "delete"
                else await pulses.set_paused(pulse_id, action == "pause")
            )
            await context.bot.send_message(
                chat_id,
                _("Done.") if done else _("No pulse {id}.").format(id=pulse_id),
            )
            return
        raise Usage(usage)

    async def _pulse_list(self, page: int) -> str:
        """One page of the audiences and schedules: however many teams there are, each page is
        a message Telegram accepts, and its last line says how to get the next."""
        pulses = self._storage().pulses
        audiences = [
            f"{team}: {active} / {gone}"
            for team, (active, gone) in sorted((await pulses.audience_sizes()).items())
        ]
        schedules = []
        for pulse in await pulses.pulses():
            state = (
                _("paused")
                if pulse.paused
                else _("next {when} UTC").format(when=pulse.next_at[:16])
            )
            schedules.append(
                f"{pulse.id}. {pulse.survey_id} → {pulse.team}: {pulse.cadence} {pulse.local_time}"
                f" {pulse.time_zone}, "
                + _("reminder after {hours} h").format(
                    hours=format_decimal(pulse.reminder_hours, 1)
                )
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

    def _wave_survey(self, survey_id: str, usage: str) -> Survey:
        survey = self._survey([survey_id], usage)
        if survey.repeat != "wave":
            raise Usage(f"{usage}\n" + _("{id} is not a pulse survey.").format(id=survey.id))
        return survey

    @staticmethod
    def _hours(text: str, usage: str) -> float:
        try:
            hours = float(text)
        except ValueError:
            raise Usage(usage) from None
        if not 0 < hours <= 24 * 90:
            raise Usage(usage)
        return hours
