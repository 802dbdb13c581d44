"""From answer counts to the figures admins read: pure arithmetic, the industry definitions.

NPS / eNPS = % promoters (9-10) - % detractors (0-6), with the 95 % margin of error from the
NPS variance (p_P + p_D - (p_P - p_D)^2) / n; CSAT = % of 4-5; first-contact resolution = %
yes; CES = mean 1-7; an index = mean of all criterion ratings x 10; a self-assessment section =
% yes among its statements over all responses.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.storage.reports import Count
from bot.survey.model import ChoiceScale, NumericScale, Section, Survey

Histogram = dict[str, Counter[str]]
"""question id -> value -> number of answers."""


@dataclass(frozen=True)
class NpsFigures:
    promoters: int
    passives: int
    detractors: int

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float:
        return 100 * (self.promoters - self.detractors) / self.n if self.n else 0.0

    @property
    def margin(self) -> float:
        """Half-width of the 95 % confidence interval of the score, in points."""
        if self.n == 0:
            return 0.0
        p, d = self.promoters / self.n, self.detractors / self.n
        variance = p + d - (p - d) ** 2
        return 100 * 1.96 * math.sqrt(variance / self.n)


@dataclass(frozen=True)
class Figures:
    """Everything the summary says about one group of responses (all, a week, a segment)."""

    n: int
    headline: float | None
    """The survey's main number: NPS, CSAT %, CES mean, index, or % yes; None without data."""
    nps: NpsFigures | None = None
    csat: float | None = None
    resolution: float | None = None
    ces: float | None = None
    criteria: dict[str, float] = field(default_factory=dict)
    """index: question id -> 0-100; yes-share: section id -> share 0-1."""
    unsure: float | None = None
    """yes-share: share of "don't know" among all answers."""


def histogram(counts: Iterable[Count]) -> Histogram:
    result: Histogram = defaultdict(Counter)
    for count in counts:
        result[count.question_id][count.value if count.value is not None else ""] += count.count
    return result


def split(counts: Iterable[Count], key: str) -> dict[str, Histogram]:
    """Histograms per trend bucket (key 'bucket') or per segment (key 'segment')."""
    groups: dict[str, list[Count]] = defaultdict(list)
    for count in counts:
        groups[getattr(count, key) or ""].append(count)
    return {name: histogram(group) for name, group in groups.items()}


def figures(survey: Survey, hist: Histogram) -> Figures:
    if survey.scoring == "yes-share":
        return _yes_share(survey, hist)
    if survey.scoring == "index":
        return _index(survey, hist)
    assert survey.score_question is not None
    values = _numbers(hist.get(survey.score_question, Counter()))
    n = sum(values.values())
    if survey.scoring == "nps":
        nps = NpsFigures(
            promoters=sum(c for v, c in values.items() if v >= 9),
            passives=sum(c for v, c in values.items() if 7 <= v <= 8),
            detractors=sum(c for v, c in values.items() if v <= 6),
        )
        return Figures(n=n, headline=nps.score if n else None, nps=nps)
    if survey.scoring == "csat":
        csat = sum(c for v, c in values.items() if v >= 4) / n if n else None
        return Figures(
            n=n,
            headline=csat * 100 if csat is not None else None,
            csat=csat,
            resolution=_yes_share_of(hist, resolution_question(survey)),
        )
    mean = sum(v * c for v, c in values.items()) / n if n else None
    return Figures(n=n, headline=mean, ces=mean)


def resolution_question(survey: Survey) -> str | None:
    """CSAT surveys: the yes/no 'solved in this contact?' question, if there is one."""
    for question in survey.questions:
        scale = question.scale
        if isinstance(scale, ChoiceScale) and {o.value for o in scale.options} == {"yes", "no"}:
            return question.id
    return None


def criteria_questions(survey: Survey) -> list[str]:
    return [q.id for q in survey.questions if isinstance(q.scale, NumericScale)]


def question_ids(survey: Survey) -> list[str]:
    """The questions whose answers a summary counts."""
    if survey.scoring == "yes-share":
        return [q.id for q in survey.questions]
    if survey.scoring == "index":
        return criteria_questions(survey)
    assert survey.score_question is not None
    extra = resolution_question(survey) if survey.scoring == "csat" else None
    return [survey.score_question, *([extra] if extra else [])]


def _numbers(values: Counter[str]) -> Counter[int]:
    return Counter({int(v): c for v, c in values.items() if v.lstrip("-").isdigit()})


def _yes_share_of(hist: Histogram, question_id: str | None) -> float | None:
    if question_id is None:
        return None
    answers = hist.get(question_id, Counter())
    total = answers["yes"] + answers["no"]
    return answers["yes"] / total if total else None


def _index(survey: Survey, hist: Histogram) -> Figures:
    criteria: dict[str, float] = {}
    total = count = 0
    for question_id in criteria_questions(survey):
        values = _numbers(hist.get(question_id, Counter()))
        n = sum(values.values())
        if n:
            criteria[question_id] = 10 * sum(v * c for v, c in values.items()) / n
            total += sum(v * c for v, c in values.items())
            count += n
    first = criteria_questions(survey)[0]
    responses = sum(hist.get(first, Counter()).values())
    return Figures(n=responses, headline=10 * total / count if count else None, criteria=criteria)


def _yes_share(survey: Survey, hist: Histogram) -> Figures:
    def counted(section: Section, value: str | None) -> int:
        return sum(
            sum(hist.get(q.id, Counter()).values()) if value is None else hist[q.id][value]
            for q in section.questions
            if q.id in hist
        )

    shares: dict[str, float] = {}
    yes = unsure = answered = 0
    for section in survey.sections:
        section_answers = counted(section, None)
        if section_answers:
            shares[section.id] = counted(section, "yes") / section_answers
        yes += counted(section, "yes")
        unsure += counted(section, "unsure")
        answered += section_answers
    first = survey.questions[0].id
    return Figures(
        n=sum(hist.get(first, Counter()).values()),
        headline=100 * yes / answered if answered else None,
        criteria=shares,
        unsure=unsure / answered if answered else None,
    )


def ranked(groups: Mapping[str, Figures]) -> list[tuple[str, Figures]]:
    """Groups best first by their headline (for CES too: higher is easier)."""
    return sorted(
        groups.items(),
        key=lambda item: math.inf if item[1].headline is None else -item[1].headline,
    )
