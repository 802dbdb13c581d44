"""The command line: `cxbot run | validate | preview | link | summary | export | migrate` (or
`python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import i18n
from bot.config import Config, ConfigError
from bot.i18n import CatalogError, _, use_language
from bot.logs import guard_exceptions, setup_logging
from bot.reports.periods import PeriodError, parse_period
from bot.storage.database import StorageError, prepare, reading
from bot.survey.flow import InvalidAnswer, check_answer, next_question
from bot.survey.links import LinkError, Target, deep_link
from bot.survey.loader import SurveyFileError, load_catalogue, load_surveys, survey_files
from bot.survey.model import LANGUAGES, ChoiceScale, NumericScale, Survey, TextScale
from bot.survey.scoring import score
from bot.survey.screens import answer_labels, question_screen, summary_screen
from bot.usecases.words import Malformed, period_and_segment

if TYPE_CHECKING:
    from bot.reports.summary import Summary

FAILURES = (
    ConfigError,
    SurveyFileError,
    CatalogError,
    LinkError,
    PeriodError,
    StorageError,
    Malformed,
)
"""What an operator can fix: one line on stderr and exit code 1, no traceback."""

# The report modules (charts, CSV, QR codes) are imported by the commands that use them: `run`
# needs none of them until an admin asks, and starting fast is what a restart waits for.


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cxbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling, or webhook with WEBHOOK=1)")
    validate = commands.add_parser("validate", help="check survey files")
    validate.add_argument(
        "files",
        nargs="*",
        type=Path,
        help="default: every file in SURVEYS_DIR, else the shipped catalogue",
    )
    preview = commands.add_parser("preview", help="take a survey in the terminal")
    preview.add_argument("survey")
    preview.add_argument("--lang", choices=LANGUAGES, default=None)
    link = commands.add_parser("link", help="print a survey's deep link")
    link.add_argument("survey")
    link.add_argument("--segment", default=None, help="touchpoint or segment carried by the link")
    link.add_argument("--qr", type=Path, default=None, help="also write a QR code PNG here")
    summary = commands.add_parser("summary", help="a survey's results, as admins get them")
    summary.add_argument("survey")
    summary.add_argument(
        "period", nargs="?", default=None, help="7d, 30d, 90d, all, 2026-10, 2026-Q4"
    )
    summary.add_argument("segment", nargs="?", default=None)
    summary.add_argument("--lang", choices=LANGUAGES, default=None)
    summary.add_argument("--chart", type=Path, default=None, help="also write the chart PNG here")
    export = commands.add_parser("export", help="a survey's responses as CSV")
    export.add_argument("survey")
    export.add_argument("period", nargs="?", default=None)
    export.add_argument("-o", "--output", type=Path, default=None, help="default: standard output")
    to_postgres = commands.add_parser(
        "migrate", help="copy the SQLite database of DATABASE into PostgreSQL"
    )
    to_postgres.add_argument(
        "--to", required=True, metavar="URL", help="postgresql://user:password@host/database"
    )
    args = parser.parse_args(argv)
    try:
        config = Config.from_env()
        guard_exceptions(config.token)
        return int(COMMANDS[args.command](config, args))
    except FAILURES as error:
        print(f"cxbot: {error}", file=sys.stderr)
        return 1


def run(config: Config, args: argparse.Namespace) -> int:
    """Everything that can be checked is, before the first update: the surveys, the catalogs,
    the database folder, then the token and the address with one call to the Bot API, then the
    web server's port and the webhook. Each failure is one line on stderr and exit code 1, for
    the operator and the process manager."""
    from bot.telegram.app import build, serve, web_app
    from bot.telegram.startup import StartupError, connect

    setup_logging(config.token, replica=config.replica)
    config.require_token()
    surveys = load_catalogue(config.survey_folder)
    i18n.check_all()
    if isinstance(config.database, Path):  # a server's database has no file to prepare
        prepare(config.database)
    application, survey_bot = build(config, surveys)
    # the web server's metrics exist from here on: built first, they count the first call too
    site = None if config.web_port is None else web_app(config, application, survey_bot)
    try:
        connect(application, config.api_base_url)
    except StartupError as error:
        print(f"cxbot: {error}", file=sys.stderr)
        return 1
    loop = asyncio.get_event_loop()  # the one connect() ran on and left current
    try:
        loop.run_until_complete(serve(application, config, site))
    except StartupError as error:
        print(f"cxbot: {error}", file=sys.stderr)
        return 1
    finally:
        loop.close()
    return 0


def validate(config: Config, args: argparse.Namespace) -> int:
    files = args.files or survey_files(config.survey_folder)
    if not files:
        print(f"cxbot: no survey files in {config.survey_folder}", file=sys.stderr)
        return 1
    surveys = load_surveys(files)
    i18n.check_all()
    for survey in surveys.values():
        print(f"ok  {survey.id} ({len(survey.questions)} questions)")
    return 0


def preview(
    config: Config,
    args: argparse.Namespace,
    ask: Callable[[str], str] = input,
    say: Callable[[str], None] = print,
) -> int:
    """The same engine and screens as in Telegram, answered from the keyboard."""
    survey = _survey(config, args.survey)
    answers: dict[str, str | None] = {}
    with use_language(args.lang or config.default_language):
        while (question := next_question(survey, answers)) is not None:
            say("\n" + question_screen(survey, question, answers))
            choices: list[tuple[str, str]] = []
            if isinstance(question.scale, ChoiceScale):
                choices = answer_labels(question)
                say("  ".join(f"[{n}] {label}" for n, (label, _v) in enumerate(choices, 1)))
            elif isinstance(question.scale, NumericScale) and question.scale.point_labels:
                say("  ".join(label for label, _v in answer_labels(question)))
            if question.question.optional:
                say(_("(empty line: skip)"))
            while True:
                try:
                    raw = ask("> ").strip()
                except EOFError:
                    say("")
                    return 1
                if choices and raw.isdigit() and 1 <= int(raw) <= len(choices):
                    raw = choices[int(raw) - 1][1]
                try:
                    answers[question.id] = check_answer(question, raw or None)
                    break
                except InvalidAnswer as error:
                    if isinstance(question.scale, TextScale) and error.reason == "too-long":
                        say(
                            _(
                                "That is too long: {limit} characters at most. Please shorten it."
                            ).format(limit=error.details["limit"])
                        )
                    else:
                        say(_("This answer does not fit the question."))
        say("\n" + summary_screen(survey, score(survey, answers)))
    return 0


def link(config: Config, args: argparse.Namespace) -> int:
    from bot.reports.qr import qr_png

    survey = _survey(config, args.survey)
    if survey.repeat == "wave":
        # an invite carries the team's secret, which the running bot keeps; printing it here
        # would mean reading (and perhaps writing) the live database from the command line
        raise LinkError(
            f"{survey.id} is a pulse survey: its invite links carry each team's secret;"
            f" send /link {survey.id} <team> to the bot in Telegram"
        )
    username = config.bot_username or asyncio.run(_bot_username(config))
    url = deep_link(username, Target(survey.id, args.segment))
    print(url)
    if args.qr is not None:
        args.qr.write_bytes(qr_png(url))
    return 0


def summary(config: Config, args: argparse.Namespace) -> int:
    """The same summary /summary sends, for an admin on the server (file access is the key)."""
    from bot.reports.chart import render_chart
    from bot.reports.summary import build_summary
    from bot.reports.text import summary_text

    survey = _survey(config, args.survey)
    period_arg, segment = period_and_segment([w for w in (args.period, args.segment) if w])
    period = parse_period(period_arg, anonymous=survey.anonymous)

    async def build() -> Summary:
        async with reading(config.database) as reports:
            return await build_summary(reports, survey, period, segment)

    result = asyncio.run(build())
    with use_language(args.lang or config.default_language):
        print(summary_text(result))
        if args.chart is not None and not result.hidden and result.overall.n:
            write_private(args.chart, render_chart(result))
    return 0


def write_private(path: Path, data: bytes) -> None:
    """Results taken out of the database stay its owner's: 0600 whatever the umask, and an
    existing file is made so too before it is written."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def export(config: Config, args: argparse.Namespace) -> int:
    from bot.reports.export import export_csv

    survey = _survey(config, args.survey)
    period = parse_period(args.period, anonymous=survey.anonymous)

    async def build() -> bytes | None:
        async with reading(config.database) as reports:
            return await export_csv(reports, survey, period)

    document = asyncio.run(build())
    if document is None:
        print(f"cxbot: {survey.id}: too few responses to export anonymous answers", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.buffer.write(document)
    else:
        write_private(args.output, document)
    return 0


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def migrate(config: Config, args: argparse.Namespace) -> int:
    """Copy the file into an empty PostgreSQL database, then print each table's rows on both
    sides: for replicas, which share a database only on PostgreSQL."""
    from bot.storage.copy import Count, CountsDiffer, copy

    if not args.to.startswith(POSTGRES_SCHEMES):
        raise ConfigError("--to takes a postgresql://user:password@host/database URL")
    if not isinstance(config.database, Path):
        raise ConfigError("DATABASE is already PostgreSQL: set it to the SQLite file to copy")

    def table(counts: list[Count]) -> None:
        print(f"{'table':<20} {'sqlite':>10} {'postgresql':>10}")
        for count in counts:
            mark = "" if count.equal else "  differs"
            print(f"{count.table:<20} {count.sqlite:>10} {count.postgresql:>10}{mark}")

    try:
        counts = asyncio.run(copy(config.database, args.to))
    except CountsDiffer as error:
        table(error.counts)
        raise
    table(counts)
    rows = sum(count.postgresql for count in counts)
    print(f"copied {rows} rows in {len(counts)} tables; every table's count is equal")
    return 0


async def _bot_username(config: Config) -> str:
    from telegram import Bot

    if not config.token:
        raise ConfigError("set BOT_USERNAME (or BOT_TOKEN, to ask Telegram for it)")
    async with Bot(config.token, base_url=f"{config.api_base_url}/bot") as bot:
        return bot.username


def _survey(config: Config, survey_id: str) -> Survey:
    surveys = load_catalogue(config.survey_folder)
    if survey_id not in surveys:
        raise ConfigError(
            f"no survey {survey_id!r} in {config.survey_folder} ({', '.join(surveys)})"
        )
    return surveys[survey_id]


COMMANDS: dict[str, Callable[[Config, argparse.Namespace], int]] = {
    "run": run,
    "validate": validate,
    "preview": preview,
    "link": link,
    "summary": summary,
    "export": export,
    "migrate": migrate,
}

if __name__ == "__main__":
    sys.exit(main())
