"""What a respondent reads: a question screen and the summary, as plain text in their language.

Telegram and `cxbot preview` both render through here, so an author previewing a survey in the
terminal reads exactly what a respondent will.
"""

from __future__ import annotations

from bot.i18n import _, current_language, format_number, format_percent, ngettext
from bot.survey.flow import progress
from bot.survey.model import (
    ChoiceScale,
    NumericScale,
    PlacedQuestion,
    Section,
    Survey,
    TextScale,
)
from bot.survey.scoring import NpsResult, Result, YesShareResult


def question_screen(survey: Survey, question: PlacedQuestion) -> str:
    language = current_language()
    step = progress(survey, question)
    header = f"{step.position}/{step.total}"
    if question.section.title is not None:
        header += f" · {question.section.title(language)}"
    parts = [survey.title(language)]
    if question.index == 0 and survey.intro is not None:
        parts.append(survey.intro(language))
    parts += [header, question.question.text(language)]
    scale = question.scale
    if isinstance(scale, NumericScale):
        parts.append(
            f"{scale.min} — {scale.min_label(language)} · {scale.max} — {scale.max_label(language)}"
        )
    elif isinstance(scale, TextScale):
        hint = (
            _("Type your answer in a message (up to {limit} characters), or tap Skip.")
            if question.question.optional
            else _("Type your answer in a message (up to {limit} characters).")
        )
        parts.append(hint.format(limit=format_number(scale.max_length)))
    return "\n\n".join(parts)


def choice_labels(scale: ChoiceScale) -> list[tuple[str, str]]:
    """(label, value) for each option, in the current language."""
    language = current_language()
    return [(option.label(language), option.value) for option in scale.options]


def summary_screen(survey: Survey, result: Result) -> str:
    title = survey.title(current_language())
    if isinstance(result, NpsResult):
        return "\n\n".join([title, _nps_thanks(result)])
    return "\n\n".join([title, *_yes_share_lines(survey, result)])


def _nps_thanks(result: NpsResult) -> str:
    rating = _("Your rating: {rating} out of 10.").format(rating=result.rating)
    if result.category == "promoter":
        thanks = _("Thank you! We are glad you would recommend us.")
    elif result.category == "passive":
        thanks = _("Thank you! We will keep working to earn a 10 from you.")
    else:
        thanks = _(
            "Thank you for your honesty. We are sorry we fell short; your answer helps us improve."
        )
    return f"{thanks}\n{rating}"


def _yes_share_lines(survey: Survey, result: YesShareResult) -> list[str]:
    language = current_language()
    overall = _("Overall: {percent} · Level: {level}").format(
        percent=format_percent(result.share), level=result.level.name(language)
    )
    per_section = "\n".join(
        _("{section}: {percent}").format(
            section=_section_title(score.section, language), percent=format_percent(score.share)
        )
        for score in result.sections
    )
    lines = [_("Your result"), overall, per_section]
    if not result.is_flat:
        strongest, weakest = result.strongest, result.weakest
        lines.append(
            _("Strongest: {section} ({percent})").format(
                section=_section_title(strongest.section, language),
                percent=format_percent(strongest.share),
            )
            + "\n"
            + _("Weakest: {section} ({percent})").format(
                section=_section_title(weakest.section, language),
                percent=format_percent(weakest.share),
            )
        )
    unsure_label = _unsure_label(survey, language)
    if result.unsure and unsure_label:
        lines.append(
            ngettext(
                "“{answer}”: {count} statement of {total}. Finding out is a first step.",
                "“{answer}”: {count} statements of {total}. Finding out is a first step.",
                result.unsure,
            ).format(answer=unsure_label, count=result.unsure, total=result.total)
        )
    return lines


def _section_title(section: Section, language: str) -> str:
    return section.title(language) if section.title else section.id


def _unsure_label(survey: Survey, language: str) -> str | None:
    for question in survey.questions:
        if isinstance(question.scale, ChoiceScale) and (option := question.scale.option("unsure")):
            return option.label(language)
    return None
