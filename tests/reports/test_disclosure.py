"""The disclosure control on its own: which groups of anonymous answers are shown, and an
attacker who combines every output an admin can ask for, at every moment, and still cannot
tell a hidden answer."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.i18n import use_language
from bot.pulses import MAX_TEAMS
from bot.reports.chart import _axis_label
from bot.reports.disclosure import Batch, Disclosure, Node, Scope, month_end
from bot.reports.export import export_csv
from bot.reports.figures import Figures, NpsFigures, figures
from bot.reports.periods import PeriodError, parse_period
from bot.reports.summary import Quote, Summary, build_summary, load_released
from bot.reports.text import summary_text
from bot.storage.database import Storage
from bot.survey.model import Survey
from tests.reports.conftest import Clock

SCORE = {"P": "10", "A": "8", "D": "3"}
"""One score per NPS category: promoter, passive (A), detractor."""


def batch(key: str, month: str, team: str, categories: str, released_at: str) -> Batch:
    counts = Counter(SCORE[c] for c in categories)
    return Batch(key, month, team, released_at, len(categories), {"recommend": counts})


def wave(number: int, month: str, team: str, categories: str, closed_day: int = 10) -> Batch:
    return batch(
        f"wave {number}", month, team, categories, f"{month}-{closed_day:02d} 09:00:00.000"
    )


def monthly(month: str, team: str, categories: str) -> Batch:
    return batch(f"month {month} {team}", month, team, categories, month_end(month))


def october(team: str | None = None) -> Scope:
    return Scope(lambda month: month == "2026-10", team)


def categories(disclosure: Disclosure, scope: Scope) -> Counter[str]:
    """What the admin reads for the scope: responses per category."""
    names = {v: k for k, v in SCORE.items()}
    values = disclosure.histogram(scope).get("recommend", Counter())
    return Counter({names[value]: n for value, n in values.items()})


NOVEMBER_5 = "2026-11-05 00:00:00.000"


# the worked example: a team of 6 and a team of 1


def test_a_team_of_one_is_hidden_and_the_month_total_leaves_it_out() -> None:
    """Waves: sales's wave (6) is shown when it closes; legal's (1) is not. At the month's end the
    October total would be sales + legal, and sales is already out: total minus sales would give
    legal's answer, so the total is not shown as such; October reads as sales's 6."""
    batches = [wave(1, "2026-10", "sales", "PPPADD"), wave(2, "2026-10", "legal", "D", 12)]
    disclosure = Disclosure(batches, threshold=5, now=NOVEMBER_5)
    assert Node("batch", "wave 1", "sales", "2026-10") in disclosure.shown
    assert Node("batch", "wave 2", "legal", "2026-10") not in disclosure.shown
    assert Node("month", "2026-10") not in disclosure.shown
    assert categories(disclosure, october()) == Counter("PPPADD")
    assert categories(disclosure, october("sales")) == Counter("PPPADD")
    assert categories(disclosure, october("legal")) == Counter()
    assert categories(disclosure, Scope()) == Counter("PPPADD")


def test_without_waves_the_next_smallest_team_gives_way_to_the_total() -> None:
    """A survey without waves releases a month at its end, every group at once: the month's total
    (7) is shown and sales (6) is hidden with legal (1), so that nothing can be subtracted."""
    batches = [monthly("2026-10", "sales", "PPPADD"), monthly("2026-10", "legal", "D")]
    disclosure = Disclosure(batches, threshold=5, now=NOVEMBER_5)
    assert categories(disclosure, october()) == Counter("PPPADDD")
    assert categories(disclosure, october("sales")) == Counter()
    assert categories(disclosure, october("legal")) == Counter()


def test_two_small_teams_together_are_hidden_and_the_big_one_stays() -> None:
    """Three teams, 6, 3 and 3: the two small ones are hidden together (6 answers, over the
    threshold), so the total and the big team can both be shown."""
    batches = [
        monthly("2026-10", "sales", "PPPADD"),
        monthly("2026-10", "legal", "DDD"),
        monthly("2026-10", "ops", "PPP"),
    ]
    disclosure = Disclosure(batches, threshold=5, now=NOVEMBER_5)
    assert categories(disclosure, october()) == Counter("PPPADDDDDPPP")
    assert categories(disclosure, october("sales")) == Counter("PPPADD")
    assert categories(disclosure, october("legal")) + categories(disclosure, october("ops")) == (
        Counter()
    )


def test_nothing_of_a_running_month_is_shown_before_it_ends() -> None:
    batches = [monthly("2026-11", "sales", "PPPPPP")]
    running = Disclosure(batches, threshold=5, now="2026-11-29 23:00:00.000")
    assert categories(running, Scope()) == Counter()
    ended = Disclosure(batches, threshold=5, now="2026-12-01 00:00:00.000")
    assert categories(ended, Scope()) == Counter("PPPPPP")


def test_a_month_with_an_open_wave_is_not_complete() -> None:
    """The month's groups wait for its last wave: a shown wave counts, the month is not decided."""
    batches = [wave(1, "2026-10", "sales", "PPPADD")]
    disclosure = Disclosure(batches, threshold=5, open_months={"2026-10"}, now=NOVEMBER_5)
    assert Node("month", "2026-10") not in disclosure.shown
    assert categories(disclosure, october()) == Counter("PPPADD")


def test_the_year_counts_a_small_team_its_quarters_leave_out() -> None:
    """legal answers 1 a month: no month or quarter can show it, the year (12 answers) does."""
    batches = [monthly(f"2026-{m:02d}", "sales", "PPPADD") for m in range(1, 13)] + [
        monthly(f"2026-{m:02d}", "legal", "D") for m in range(1, 13)
    ]
    disclosure = Disclosure(batches, threshold=5, now="2027-01-02 00:00:00.000")
    assert Node("year", "2026") in disclosure.shown
    year = categories(disclosure, Scope(lambda month: month.startswith("2026")))
    assert year == Counter({"P": 36, "A": 12, "D": 36})


# stable over time


def test_a_group_once_shown_never_changes_and_a_hidden_one_never_appears() -> None:
    batches = [
        wave(1, "2026-10", "sales", "PPPADD", 8),
        wave(2, "2026-10", "legal", "D", 9),
        wave(3, "2026-11", "sales", "PPPPP", 8),
        wave(4, "2026-11", "legal", "A", 9),
        wave(5, "2026-12", "legal", "PPDDA", 9),
    ]
    moments = [f"2026-{m:02d}-{d:02d} 12:00:00.000" for m in (10, 11, 12) for d in (1, 8, 9, 20)]
    moments.append("2027-01-05 00:00:00.000")
    seen: dict[Node, Counter[str]] = {}
    decided_hidden: set[Node] = set()
    for now in moments:
        released = [b for b in batches if b.released_at <= now]
        disclosure = Disclosure(released, threshold=5, now=now)
        for node in disclosure.shown:
            assert node not in decided_hidden, (node, now)
            shown = Counter(disclosure.node_histogram(node)["recommend"])
            assert seen.setdefault(node, shown) == shown, (node, now)
        decided_hidden |= {
            node
            for node in disclosure._cells
            if node not in disclosure.shown and disclosure._completed_at(node) is not None
        }


# the attacker: every output an admin can ask for, at every moment, against brute force

THRESHOLD = 3


@dataclass(frozen=True)
class Output:
    batches: frozenset[str]
    counts: tuple[int, int, int]
    """Promoters, passives, detractors: what every summary, chart and export is made of."""


def outputs(batches: list[Batch], moments: list[str]) -> set[Output]:
    """Every group an admin can see at each moment: each period (month, quarter, year, all) and
    team filter, wave lines and export rows: the sums of the batches each covers."""
    seen: set[Output] = set()
    months = sorted({b.month for b in batches})
    teams = sorted({b.team for b in batches})
    periods: list[set[str] | None] = [None, *({m} for m in months)]
    periods += [{m for m in months if m[:4] == y} for y in {m[:4] for m in months}]
    quarters = {(m[:4], (int(m[5:]) - 1) // 3) for m in months}
    periods += [{m for m in months if (m[:4], (int(m[5:]) - 1) // 3) == q} for q in quarters]
    for now in moments:
        released = [b for b in batches if b.released_at <= now]
        disclosure = Disclosure(released, threshold=THRESHOLD, now=now)
        scopes = [
            Scope(None if chosen is None else chosen.__contains__, team)
            for chosen in periods
            for team in [None, *teams]
        ]
        groups = [disclosure.batches_in(scope) for scope in scopes]
        groups += [disclosure._cells[node] for node in disclosure.shown]
        for group in groups:
            if group:
                total = Counter[str]()
                for one in group:
                    total.update(one.hist["recommend"])
                counts = (total[SCORE["P"]], total[SCORE["A"]], total[SCORE["D"]])
                seen.add(Output(frozenset(b.key for b in group), counts))
    return seen


@st.composite
def pulse_batches(draw: st.DrawFn) -> list[Batch]:
    """Up to 3 teams over 2 months, a wave or a month's answers per team and month, 0-4 each."""
    teams = draw(st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True))
    with_waves = draw(st.booleans())
    found: list[Batch] = []
    number = itertools.count(1)
    for month, team in itertools.product(("2026-10", "2026-11"), teams):
        for _ in range(draw(st.integers(1, 2)) if with_waves else 1):
            answers = draw(st.text("PAD", min_size=0, max_size=4))
            if not answers:
                continue
            if with_waves:
                day = draw(st.integers(3, 27))
                found.append(wave(next(number), month, team, answers, day))
            else:
                found.append(monthly(month, team, answers))
    return found


def worlds(hidden: list[str], batches: list[Batch]) -> Iterator[dict[str, Counter[str]]]:
    """Every assignment of categories to the answers of the batches not shown on their own."""
    sizes = {b.key: b.n for b in batches if b.key in hidden}
    slots = [key for key in hidden for _ in range(sizes[key])]
    for choice in itertools.product("PAD", repeat=len(slots)):
        world: dict[str, Counter[str]] = {key: Counter() for key in hidden}
        for key, category in zip(slots, choice, strict=True):
            world[key][category] += 1
        yield world


def derivable(seen: set[Output]) -> set[frozenset[str]]:
    """Groups whose totals the admin has, directly or by the difference of two nested ones."""
    groups = {output.batches for output in seen}
    return groups | {a - b for a in groups for b in groups if b < a}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(pulse_batches())
def test_no_combination_of_outputs_determines_a_hidden_answer(batches: list[Batch]) -> None:
    by_key = {b.key: b for b in batches}
    answers = {b.key: Counter(_categories(b)) for b in batches}
    moments = sorted({b.released_at for b in batches} | {"2026-11-15 00:00:00.000"})
    moments.append("2027-01-01 00:00:00.000")
    seen = outputs(batches, moments)
    size = {key: by_key[key].n for key in by_key}

    # no group under the threshold, directly or by difference
    for group in derivable(seen):
        total = sum(size[key] for key in group)
        assert total == 0 or total >= THRESHOLD, (sorted(group), total)

    # brute force: which categories could each answer of a batch not shown alone have?
    alone = {next(iter(o.batches)) for o in seen if len(o.batches) == 1}
    hidden = [key for key in by_key if key not in alone]
    if sum(size[key] for key in hidden) > 8:
        return  # kept small for CI; the generator mostly stays under this
    possible: dict[str, set[str]] = {key: set() for key in hidden}
    known = {key: answers[key] for key in alone}
    for world in worlds(hidden, batches):
        if all(_explains(output, known | world) for output in seen):
            for key, counts in world.items():
                possible[key] |= set(counts)
    for key in hidden:
        assert set(answers[key]) <= possible[key], "the real answers explain the outputs"
        if len(possible[key]) > 1 or not answers[key]:
            continue
        # one category left for every answer in the batch: only a derivable group of at least
        # the threshold that answered alike (all detractors, say) may tell that
        (category,) = possible[key]
        assert any(
            key in group
            and sum(size[k] for k in group) >= THRESHOLD
            and all(set(answers[k]) <= {category} for k in group)
            for group in derivable(seen)
        ), (key, category, batches)


def _categories(b: Batch) -> str:
    names = {v: k for k, v in SCORE.items()}
    return "".join(names[value] * n for value, n in b.hist["recommend"].items())


def _explains(output: Output, world: dict[str, Counter[str]]) -> bool:
    total = Counter[str]()
    for key in output.batches:
        total.update(world[key])
    return (total["P"], total["A"], total["D"]) == output.counts


# the admin's outputs on a real database: summary, text, export, /surveys


@dataclass
class Company:
    """Teams answering eNPS waves through Storage's public methods."""

    storage: Storage
    clock: Clock
    survey: Survey
    people: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    async def wave(self, team: str, day: str, answers: list[tuple[int, str | None]]) -> int:
        """A wave sent to one member per answer plus one who never answers, answered on `day`
        and closed the same day. Returns the wave's number."""
        self.clock.now = f"{day} 09:00:00.000"
        members = [next(self.people) for _ in range(len(answers) + 1)]
        for member in members:
            await self.storage.touch_user(member, "en")
            await self.storage.pulses.join(team, member, most=MAX_TEAMS)
        wave, _sent = await self.storage.pulses.open_wave(
            survey_id="enps", team=team, reminder_hours=48, open_hours=168
        )
        for delivery in await self.storage.pulses.to_send(100):
            await self.storage.pulses.set_state(delivery, "sent")
        for member, (score, comment) in zip(members, answers, strict=False):
            await self.answer(wave, team, member, score, comment)
        return wave

    async def answer(
        self, wave: int, team: str, member: int, score: int, comment: str | None = None
    ) -> None:
        response = await self.storage.start_response(
            survey_id="enps",
            respondent=f"a:{wave}:{member}",
            user_id=None,
            segment=team,
            language="en",
            wave_id=wave,
        )
        follow = "why-detractor" if score <= 6 else "why-passive" if score <= 8 else "why-promoter"
        await self.storage.record_answer(
            response, "recommend", str(score), cursor=None, finished=False
        )
        response = await self.storage.response(response.id) or response
        await self.storage.record_answer(response, follow, comment, cursor=None, finished=True)

    async def close(self, wave: int, day: str) -> None:
        self.clock.now = f"{day} 18:00:00.000"
        assert await self.storage.pulses.close_early(wave)
        self.clock.now = f"{day} 18:00:01.000"
        await self.storage.pulses.close_due_waves(self.clock.now)

    async def summary(self, period: str, segment: str | None = None, *, on: str) -> Summary:
        return await build_summary(
            self.storage.reports,
            self.survey,
            parse_period(period, anonymous=True),
            segment,
            now=datetime.fromisoformat(on).replace(tzinfo=UTC),
        )


@pytest.fixture
def company(storage: Storage, clock: Clock, enps: Survey) -> Company:
    return Company(storage, clock, enps)


def scores(*values: int) -> list[tuple[int, str | None]]:
    return [(value, None) for value in values]


async def sales_and_legal(company: Company) -> None:
    """October: sales (6 answers, a comment) and legal (1 answer, a comment), one wave each."""
    sales = await company.wave(
        "sales", "2026-10-05", [(10, "sales likes it"), *scores(9, 9, 8, 3, 2)]
    )
    await company.close(sales, "2026-10-09")
    legal = await company.wave("legal", "2026-10-06", [(0, "legal is unhappy")])
    await company.close(legal, "2026-10-09")


NOVEMBER = "2026-11-05 12:00:00"


async def test_overall_minus_a_team_gives_nothing(company: Company) -> None:
    await sales_and_legal(company)
    overall = await company.summary("2026-10", on=NOVEMBER)
    sales = await company.summary("2026-10", "sales", on=NOVEMBER)
    legal = await company.summary("2026-10", "legal", on=NOVEMBER)
    assert overall.overall.nps == sales.overall.nps == NpsFigures(3, 1, 2)
    assert legal.hidden and legal.overall.n == 0
    assert [name for name, _group in overall.segments] == ["sales"], "legal is not even listed"


async def test_team_minus_team_and_quarter_minus_month_give_nothing(company: Company) -> None:
    await sales_and_legal(company)
    legal = await company.wave("legal", "2026-11-03", scores(0))
    await company.close(legal, "2026-11-04")
    on = "2027-01-05 00:00:00"
    quarter = await company.summary("2026-Q4", on=on)
    months = {m: await company.summary(m, on=on) for m in ("2026-10", "2026-11", "2026-12")}
    teams = {t: await company.summary("2026-Q4", t, on=on) for t in ("sales", "legal")}
    # legal's two answers are in no figure: every total is sales's six
    for summary in [quarter, months["2026-10"], teams["sales"]]:
        assert summary.overall.nps == NpsFigures(3, 1, 2)
    assert months["2026-11"].hidden and teams["legal"].hidden
    assert headlines(quarter.trend) == [("2026-10", 6), ("2026-11", -1), ("2026-12", -1)]


async def test_day_windows_are_refused_for_anonymous_surveys_and_say_why() -> None:
    for window in ("15d", "5d", "1d"):
        with pytest.raises(PeriodError, match="anonymous") as refused:
            parse_period(window, anonymous=True)
        assert "overlap" in str(refused.value)
    assert parse_period("15d").name == "15d", "other surveys keep their windows"


async def test_comments_of_a_hidden_team_are_never_quoted(company: Company) -> None:
    await sales_and_legal(company)
    summary = await company.summary("2026-10", on=NOVEMBER)
    assert summary.comments == [Quote("sales likes it", "sales", "2026-10")]
    with use_language("en"):
        text = summary_text(summary)
    assert "unhappy" not in text
    assert [line for line in text.split("\n") if "legal" in line] == [
        "#2 2026-10-06 · legal: score hidden (too few responses)"
    ], "legal is named only as a wave that went out"
    assert "«sales likes it» — sales, 2026-10" in text
    everything = await company.summary("all", on=NOVEMBER)
    assert [c.text for c in everything.comments] == ["sales likes it"]


async def test_the_export_has_shown_groups_and_their_comments_and_no_response_rows(
    company: Company,
) -> None:
    await sales_and_legal(company)
    document = await export_csv(
        company.storage.reports,
        company.survey,
        parse_period("2026-10", anonymous=True),
        now=datetime(2026, 11, 5, tzinfo=UTC),
    )
    assert document is not None
    rows = list(csv.DictReader(io.StringIO(document.decode("utf-8-sig"))))
    groups = [
        (r["level"], r["group"], r["team"], r["responses"]) for r in rows if r["row"] == "group"
    ]
    assert groups == [
        ("total", "2026-10", "", "6"),
        ("team", "2026-10", "sales", "6"),
        ("wave", "wave 1", "sales", "6"),
    ]
    comments = [(r["team"], r["comment"]) for r in rows if r["row"] == "comment"]
    assert comments == [("sales", "sales likes it")]
    assert "unhappy" not in document.decode("utf-8-sig")
    assert {r["responses"] for r in rows} - {"", "6"} == set(), "no group under the threshold"


async def test_an_open_wave_shows_a_rounded_rate_and_no_score_and_polling_shows_nothing(
    company: Company, clock: Clock
) -> None:
    """The admin asks for the summary after each answer: nothing but the rounded rate moves."""
    wave = await company.wave("sales", "2026-10-05", [])
    for member in range(6):
        await company.storage.touch_user(2000 + member, "en")
        await company.storage.pulses.join("sales", 2000 + member, most=MAX_TEAMS)
        await company.storage.pulses.add_delivery(wave, 2000 + member)
    for delivery in await company.storage.pulses.to_send(100):
        await company.storage.pulses.set_state(delivery, "sent")
    texts = []
    for member, score in zip(range(2000, 2006), [10, 0, 9, 3, 8, 10], strict=True):
        await company.answer(wave, "sales", member, score, f"said by {member}")
        summary = await company.summary("2026-10", on="2026-10-06 12:00:00")
        assert summary.hidden and summary.comments == []
        with use_language("en"):
            texts.append(summary_text(summary))
    assert all("NPS" not in text and "said by" not in text for text in texts)
    steady = {text.split("By wave:")[0] for text in texts}
    assert len(steady) == 1, "only the wave's line may change between answers"
    # 1 of 7 sent answered (14 %) is told as 15 %, 2 of 7 (29 %) as 30 %, ...
    rates = [text.split("response rate about ")[1].split(";")[0] for text in texts]
    assert rates == ["15%", "30%", "45%", "55%", "70%", "85%"]
    await company.close(wave, "2026-10-07")
    closed = await company.summary("2026-10", on="2026-10-08 12:00:00")
    assert closed.overall.n == 6 and not closed.hidden


async def test_a_closed_hidden_wave_shows_no_count(company: Company) -> None:
    await sales_and_legal(company)
    summary = await company.summary("2026-10", on=NOVEMBER)
    with use_language("en"):
        text = summary_text(summary)
    (legal,) = [line for line in text.split("\n") if "legal" in line]
    assert legal.endswith("· legal: score hidden (too few responses)")
    assert "/" not in legal.split("·")[-1], "no finished / delivered counts"


async def test_the_employer_figure_is_named_enps_in_the_summary_waves_and_chart(
    company: Company,
) -> None:
    """An employer survey's figure is never labelled as the customers' NPS."""
    await sales_and_legal(company)
    summary = await company.summary("2026-10", on=NOVEMBER)
    with use_language("en"):
        text = summary_text(summary)
        axis = _axis_label(company.survey)
    assert "\neNPS: " in text
    (sales,) = [line for line in text.split("\n") if "· sales:" in line]
    assert "· eNPS " in sales
    assert re.search(r"(?<!e)NPS", text) is None
    assert axis.startswith("eNPS ")


async def test_surveys_counts_only_what_the_summary_shows(company: Company) -> None:
    await sales_and_legal(company)
    released = await load_released(
        company.storage.reports, company.survey, datetime(2026, 11, 5, tzinfo=UTC)
    )
    assert figures(company.survey, released.disclosure.histogram(Scope())).n == 6


def headlines(groups: list[tuple[str, Figures | None]]) -> list[tuple[str, int]]:
    return [(name, -1 if group is None else group.n) for name, group in groups]
