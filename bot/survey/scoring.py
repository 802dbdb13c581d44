"""The respondent's own result, by the scoring the survey file declares.

The industry definitions: yes-share = % of "yes" among a section's statements, "don't know"
counted as not-yes and reported separately; index = mean of the 0-10 criteria x 10 (0-100);
NPS category from the 0-10 answer (9-10 promoter, 7-8 passive, 0-6 detractor); CSAT 1-5 and
CES 1-7 are the rating given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.survey.flow import Answers, relevant_answers
from bot.survey.model import Level, NumericScale, PlacedQuestion, Section, Survey
from bot.survey.rounding import whole_percent

NpsCategory = Literal["detractor", "passive", "promoter"]


@dataclass(frozen=True)
class SectionScore:
    section: Section
    yes: int
    unsure: int
    total: int

    @property
    def share(self) -> float:
        return self.yes / self.total if self.total else 0.0


@dataclass(frozen=True)
class YesShareResult:
    sections: tuple[SectionScore, ...]
    yes: int
    unsure: int
    total: int
    level: Level

    @property
    def share(self) -> float:
        return self.yes / self.total if self.total else 0.0

    @property
    def strongest(self) -> SectionScore:
        """The first section with the highest share (sections keep the file's order)."""
        return max(self.sections, key=lambda s: s.share)

    @property
    def weakest(self) -> SectionScore:
        return min(self.sections, key=lambda s: s.share)

    @property
    def is_flat(self) -> bool:
        """All sections equal: naming a strongest and a weakest would say nothing."""
        return self.strongest.share == self.weakest.share


@dataclass(frozen=True)
class Criterion:
    question: PlacedQuestion
    rating: int | None
    """0-10, None when skipped."""


@dataclass(frozen=True)
class IndexResult:
    criteria: tuple[Criterion, ...]

    @property
    def index(self) -> float | None:
        """Mean of the rated criteria x 10, 0-100; None when nothing was rated."""
        rated = [c.rating for c in self.criteria if c.rating is not None]
        return sum(rated) * 10 / len(rated) if rated else None


@dataclass(frozen=True)
class NpsResult:
    rating: int
    category: NpsCategory


@dataclass(frozen=True)
class RatingResult:
    """CSAT (1-5) or CES (1-7): the respondent's rating; the figures are the admin's."""

    rating: int


Result = YesShareResult | IndexResult | NpsResult | RatingResult


def nps_category(rating: int) -> NpsCategory:
    if rating >= 9:
        return "promoter"
    if rating >= 7:
        return "passive"
    return "detractor"


def level_for(levels: list[Level], share: float) -> Level:
    """The highest band whose start the share reaches, in whole percent as the summary shows it."""
    percent = whole_percent(share)
    return [level for level in levels if percent >= level.from_][-1]


def score(survey: Survey, answers: Answers) -> Result:
    answers = relevant_answers(survey, answers)
    if survey.scoring == "yes-share":
        return _yes_share(survey, answers)
    if survey.scoring == "index":
        return IndexResult(
            tuple(
                Criterion(q, None if answers.get(q.id) is None else int(str(answers[q.id])))
                for q in survey.questions
                if isinstance(q.scale, NumericScale)
            )
        )
    assert survey.score_question is not None, "checked on load"
    value = answers[survey.score_question]
    assert value is not None, "the score question is always asked and required (checked on load)"
    if survey.scoring == "nps":
        return NpsResult(rating=int(value), category=nps_category(int(value)))
    return RatingResult(rating=int(value))


def _yes_share(survey: Survey, answers: Answers) -> YesShareResult:
    sections = tuple(
        SectionScore(
            section=section,
            yes=sum(answers.get(q.id) == "yes" for q in section.questions),
            unsure=sum(answers.get(q.id) == "unsure" for q in section.questions),
            total=len(section.questions),
        )
        for section in survey.sections
    )
    yes = sum(s.yes for s in sections)
    total = sum(s.total for s in sections)
    return YesShareResult(
        sections=sections,
        yes=yes,
        unsure=sum(s.unsure for s in sections),
        total=total,
        level=level_for(survey.levels, yes / total),
    )
