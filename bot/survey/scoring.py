"""The respondent's own result, by the scoring the survey file declares.

Yes-share: % of "yes" among a section's statements, "don't know" counted as not-yes and reported
separately. NPS: the respondent's category from the 0-10 answer (9-10 promoter, 7-8 passive,
0-6 detractor), the industry definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.survey.flow import Answers
from bot.survey.model import Level, Section, Survey

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
class NpsResult:
    rating: int
    category: NpsCategory


Result = YesShareResult | NpsResult


def nps_category(rating: int) -> NpsCategory:
    if rating >= 9:
        return "promoter"
    if rating >= 7:
        return "passive"
    return "detractor"


def level_for(levels: list[Level], share: float) -> Level:
    """The highest band whose start the share reaches (shares compared in whole percent)."""
    percent = round(share * 100)
    return [level for level in levels if percent >= level.from_][-1]


def score(survey: Survey, answers: Answers) -> Result:
    if survey.scoring == "nps":
        assert survey.score_question is not None
        value = answers[survey.score_question]
        assert value is not None, "the score question is required (checked on load)"
        rating = int(value)
        return NpsResult(rating=rating, category=nps_category(rating))
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
