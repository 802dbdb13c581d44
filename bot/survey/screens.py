"""What a respondent reads: a question screen and the summary, as plain text in their language.

Telegram and `cxbot preview` both render through here, so an author previewing a survey in the
terminal reads exactly what a respondent will.
"""

from __future__ import annotations

import math

from bot.i18n import _, current_language, format_number, format_percent, ngettext
from bot.survey.flow import Answers, progress
from bot.survey.model import (
    ChoiceScale,
    NumericScale,
    PlacedQuestion,
    Section,
    Survey,
    TextScale,
)
from bot.survey.rounding import whole, whole_percent
from bot.survey.scoring import (
    IndexResult,
    NpsResult,
    RatingResult,
    Result,
    YesShareResult,
)

LONG_SURVEY = 10
"""From this many questions on, the first screen says how many and roughly how long."""
SECONDS_PER_TAP = 10
SECONDS_PER_TEXT = 40


def question_screen(
    survey: Survey, question: PlacedQuestion, answers: Answers | None = None
) -> str:
    language = current_language()
    step = progress(survey, question, answers)
    header = f"{step.position}/{step.total}"
    if question.section.title is not None:
        header += f" · {question.section.title(language)}"
    parts = [survey.title(language)]
    if question.index == 0:
        if survey.intro is not None:
            parts.append(survey.intro(language))
        if len(survey.questions) >= LONG_SURVEY:
            parts.append(_length_line(survey))
    parts += [header, question.question.text(language)]
    scale = question.scale
    if isinstance(scale, NumericScale) and scale.point_labels is None:
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


def _length_line(survey: Survey) -> str:
    seconds = sum(
        SECONDS_PER_TEXT if isinstance(q.scale, TextScale) else SECONDS_PER_TAP
        for q in survey.questions
    )
    count = (
        ngettext("{count} statement", "{count} statements", len(survey.questions))
        if survey.asks_statements
        else ngettext("{count} question", "{count} questions", len(survey.questions))
    ).format(count=len(survey.questions))
    minutes = ngettext("about {minutes} minute", "about {minutes} minutes", math.ceil(seconds / 60))
    return f"{count} · {minutes.format(minutes=math.ceil(seconds / 60))}"


def answer_labels(question: PlacedQuestion) -> list[tuple[str, str]]:
    """(label, value) for each answer button, in the current language; empty for typed answers."""
    language = current_language()
    scale = question.scale
    if isinstance(scale, ChoiceScale):
        return [(option.label(language), option.value) for option in scale.options]
    if isinstance(scale, NumericScale):
        if scale.point_labels is None:
            return [(str(v), str(v)) for v in scale.values]
        return [(f"{v} · {scale.point_labels[str(v)](language)}", str(v)) for v in scale.values]
    return []


def summary_screen(survey: Survey, result: Result, previous: Result | None = None) -> str:
    """The respondent's result; `previous` is their last finished result of the same survey."""
    title = survey.title(current_language())
    if isinstance(result, NpsResult):
        lines = [_nps_thanks(result)]
        if survey.anonymous:
            lines.append(_anonymity_line(survey))
    elif isinstance(result, RatingResult):
        lines = [_("Thank you for your rating! It helps us improve every contact.")]
    elif isinstance(result, IndexResult):
        lines = _index_lines(result, previous if isinstance(previous, IndexResult) else None)
    else:
        lines = _yes_share_lines(
            survey, result, previous if isinstance(previous, YesShareResult) else None
        )
    return "\n\n".join([title, *lines])


def labelled(label: str, value: str) -> str:
    """'Design: 33%', with the colon as the language writes it ('Conception : 33 %')."""
    return _("{label}: {value}").format(label=label, value=value)


def _anonymity_line(survey: Survey) -> str:
    """What anonymity means here, and only what the product keeps: no Telegram account next to
    the answer, results only for groups of the survey's own threshold, and comments shown as
    written. It does not say that nobody ever sees an answer: admins read the comments."""
    threshold = survey.anonymity_threshold
    return ngettext(
        "Your answer is anonymous: it is stored without your Telegram account. Admins see"
        " results only for groups of at least {threshold} response, never with names; comments"
        " may be shown to them as written, without names.",
        "Your answer is anonymous: it is stored without your Telegram account. Admins see"
        " results only for groups of at least {threshold} responses, never with names; comments"
        " may be shown to them as written, without names.",
        threshold,
    ).format(threshold=format_number(threshold))


def _index_lines(result: IndexResult, previous: IndexResult | None) -> list[str]:
    language = current_language()
    if result.index is None:
        return [_("Thank you! No criterion was rated, so there is no index this time.")]
    overall = _("Index: {index} out of 100").format(index=format_number(result.index))
    criteria = "\n".join(
        _("{criterion}: {rating}/10").format(
            criterion=_label(c.question, language),
            rating="—" if c.rating is None else format_number(c.rating),
        )
        for c in result.criteria
    )
    lines = [_("Thank you! Your ratings:"), overall, criteria]
    if previous is not None and previous.index is not None:
        before, now = whole(previous.index), whole(result.index)
        lines.append(_change_line(format_number(before), format_number(now), now - before))
    return lines


def _label(question: PlacedQuestion, language: str) -> str:
    label = question.question.label or question.question.text
    return label(language)


def _change_line(before: str, now: str, delta: int) -> str:
    """'Last time: 41% · now: 47% (+6)': the change in the figure's own units."""
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    return _("Last time: {before} · now: {now} ({change})").format(
        before=before, now=now, change=f"{sign}{format_number(abs(delta))}"
    )


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


def _yes_share_lines(
    survey: Survey, result: YesShareResult, previous: YesShareResult | None
) -> list[str]:
    language = current_language()
    overall = _("Overall: {percent} · Level: {level}").format(
        percent=format_percent(result.share), level=result.level.name(language)
    )
    per_section = "\n".join(
        labelled(_section_title(score.section, language), format_percent(score.share))
        for score in result.sections
    )
    lines = [_("Your result"), overall, per_section]
    if previous is not None:
        before, now = whole_percent(previous.share), whole_percent(result.share)
        lines.append(
            _change_line(format_percent(before / 100), format_percent(now / 100), now - before)
        )
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
    if survey.suggest_start and result.weakest.share < 1:
        lines.append(
            _("Where to start: {section}, the area with the fewest “yes” answers.").format(
                section=_section_title(result.weakest.section, language)
            )
        )
    unsure_label = _unsure_label(survey, language)
    if result.unsure and unsure_label:
        lines.append(
            (
                ngettext(
                    "“{answer}”: {count} of {total} statements. Finding out is a first step.",
                    "“{answer}”: {count} of {total} statements. Finding out is a first step.",
                    result.total,
                )
                if survey.asks_statements
                else ngettext(
                    "“{answer}”: {count} of {total} answers. Finding out is a first step.",
                    "“{answer}”: {count} of {total} answers. Finding out is a first step.",
                    result.total,
                )
            ).format(answer=unsure_label, count=result.unsure, total=result.total)
        )
    return lines


def _section_title(section: Section, language: str) -> str:
    """The section's name in a summary: its short label, else its heading."""
    name = section.label or section.title
    return name(language) if name else section.id


def _unsure_label(survey: Survey, language: str) -> str | None:
    for question in survey.questions:
        if isinstance(question.scale, ChoiceScale) and (option := question.scale.option("unsure")):
            return option.label(language)
    return None
