"""The command line: `cxbot run | validate | preview | link` (also `python -m bot ...`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot import i18n
from bot.config import Config, ConfigError
from bot.i18n import _, use_language
from bot.logs import setup_logging
from bot.survey.flow import InvalidAnswer, check_answer, next_question
from bot.survey.links import LinkError, Target, deep_link
from bot.survey.loader import SurveyFileError, load_catalogue, load_surveys, survey_files
from bot.survey.model import LANGUAGES, ChoiceScale, NumericScale, Survey, TextScale
from bot.survey.scoring import score
from bot.survey.screens import answer_labels, question_screen, summary_screen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cxbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling)")
    validate = commands.add_parser("validate", help="check survey files")
    validate.add_argument("files", nargs="*", type=Path, help="default: every file in SURVEYS_DIR")
    preview = commands.add_parser("preview", help="take a survey in the terminal")
    preview.add_argument("survey")
    preview.add_argument("--lang", choices=LANGUAGES, default=None)
    link = commands.add_parser("link", help="print a survey's deep link")
    link.add_argument("survey")
    link.add_argument("--segment", default=None, help="touchpoint or segment carried by the link")
    args = parser.parse_args(argv)
    try:
        config = Config.from_env()
        return int(COMMANDS[args.command](config, args))
    except (ConfigError, SurveyFileError, LinkError) as error:
        print(f"cxbot: {error}", file=sys.stderr)
        return 1


def run(config: Config, args: argparse.Namespace) -> int:
    from telegram import Update

    from bot.telegram.app import build_application

    setup_logging(config.token)
    surveys = load_catalogue(config.surveys_dir)
    i18n.load_all()
    application = build_application(config, surveys)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def validate(config: Config, args: argparse.Namespace) -> int:
    files = args.files or survey_files(config.surveys_dir)
    if not files:
        print(f"cxbot: no survey files in {config.surveys_dir}", file=sys.stderr)
        return 1
    surveys = load_surveys(files)
    i18n.load_all()
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
    survey = _survey(config, args.survey)
    username = config.bot_username or asyncio.run(_bot_username(config))
    print(deep_link(username, Target(survey.id, args.segment)))
    return 0


async def _bot_username(config: Config) -> str:
    from telegram import Bot

    if not config.token:
        raise ConfigError("set BOT_USERNAME (or BOT_TOKEN, to ask Telegram for it)")
    async with Bot(config.token, base_url=f"{config.api_base_url}/bot") as bot:
        return bot.username


def _survey(config: Config, survey_id: str) -> Survey:
    surveys = load_catalogue(config.surveys_dir)
    if survey_id not in surveys:
        raise ConfigError(f"no survey {survey_id!r} in {config.surveys_dir} ({', '.join(surveys)})")
    return surveys[survey_id]


COMMANDS: dict[str, Callable[[Config, argparse.Namespace], int]] = {
    "run": run,
    "validate": validate,
    "preview": preview,
    "link": link,
}

if __name__ == "__main__":
    sys.exit(main())
