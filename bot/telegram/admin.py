"""Admin commands: /surveys, /summary, /export, /link. Only ids in ADMIN_IDS get an answer;
anyone else gets exactly what an unknown command gets, so the commands do not even show."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from telegram.ext import ContextTypes

from bot.i18n import _, format_number
from bot.reports.chart import render_chart
from bot.reports.export import write_csv
from bot.reports.periods import Period, PeriodError, looks_like_period, parse_period
from bot.reports.qr import qr_png
from bot.reports.summary import build_summary
from bot.reports.text import summary_text
from bot.storage.database import Storage
from bot.survey.links import LinkError, Target, deep_link
from bot.survey.model import Survey

Context = ContextTypes.DEFAULT_TYPE


class Usage(Exception):
    """A malformed admin command: answer with the usage line, and the reason if there is one."""


class AdminCommands:
    def __init__(
        self,
        admin_ids: frozenset[int],
        surveys: Mapping[str, Survey],
        storage: Callable[[], Storage],
    ) -> None:
        self.admin_ids = admin_ids
        self.surveys = surveys
        self._storage = storage

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids

    @property
    def commands(self) -> dict[str, Callable[[Context, int, list[str]], Awaitable[None]]]:
        return {
            "surveys": self.surveys_command,
            "summary": self.summary_command,
            "export": self.export_command,
            "link": self.link_command,
        }

    async def run(self, name: str, context: Context, chat_id: int, args: list[str]) -> None:
        try:
            await self.commands[name](context, chat_id, args)
        except Usage as usage:
            await context.bot.send_message(chat_id, str(usage))

    def _survey(self, args: list[str], usage: str) -> Survey:
        if not args or args[0] not in self.surveys:
            known = ", ".join(sorted(self.surveys))
            raise Usage(f"{usage}\n{_('Surveys: {ids}').format(ids=known)}")
        return self.surveys[args[0]]

    @staticmethod
    def _period(text: str | None, usage: str) -> Period:
        try:
            return parse_period(text)
        except PeriodError as error:
            raise Usage(f"{usage}\n{error}") from None

    # the commands

    async def surveys_command(self, context: Context, chat_id: int, args: list[str]) -> None:
        activity = {a.survey_id: a for a in await self._storage().reports.activity()}
        lines = [_("Surveys:")]
        for survey_id in sorted(self.surveys):
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
        usage = _("Usage: /summary <survey> [7d|30d|90d|all|2026-10|2026-Q4] [segment]")
        survey = self._survey(args, usage)
        rest = args[1:]
        period_arg = rest.pop(0) if rest and looks_like_period(rest[0]) else None
        if period_arg is None and rest and rest[0][:1].isdigit():
            period_arg = rest.pop(0)  # meant as a period but malformed: say so
        if len(rest) > 1:
            raise Usage(usage)
        period = self._period(period_arg, usage)
        summary = await build_summary(
            self._storage().reports, survey, period, rest[0] if rest else None
        )
        await context.bot.send_message(chat_id, summary_text(summary))
        if not summary.hidden and summary.overall.n:
            picture = await asyncio.to_thread(render_chart, summary)
            await context.bot.send_photo(chat_id, picture, filename=f"{survey.id}.png")

    async def export_command(self, context: Context, chat_id: int, args: list[str]) -> None:
        usage = _("Usage: /export <survey> [7d|30d|90d|all|2026-10|2026-Q4]")
        survey = self._survey(args, usage)
        if len(args) > 2:
            raise Usage(usage)
        period = self._period(args[1] if len(args) > 1 else None, usage)
        reports = self._storage().reports
        if survey.anonymous:
            summary = await build_summary(reports, survey, period)
            if summary.hidden:
                await context.bot.send_message(chat_id, summary_text(summary))
                return
        document = await write_csv(
            survey, reports.export(survey.id, start=period.start, end=period.end)
        )
        await context.bot.send_document(
            chat_id, document, filename=f"{survey.id}-{period.name}.csv"
        )

    async def link_command(self, context: Context, chat_id: int, args: list[str]) -> None:
        usage = _("Usage: /link <survey> [segment]")
        survey = self._survey(args, usage)
        if len(args) > 2:
            raise Usage(usage)
        try:
            link = deep_link(context.bot.username, Target(survey.id, args[1] if args[1:] else None))
        except LinkError as error:
            raise Usage(f"{usage}\n{error}") from None
        await context.bot.send_message(chat_id, link)
        await context.bot.send_photo(chat_id, qr_png(link), caption=link, filename="qr.png")
