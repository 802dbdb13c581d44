"""Survey files: the shipped ones load, a bad one is refused with its file, place and reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.survey.loader import Problem, SurveyFileError, load_catalogue, load_survey, load_surveys
from bot.survey.model import ChoiceScale, NumericScale, PlacedQuestion
from bot.telegram.callback_data import Answer, StartSurvey, decode, encode

SURVEYS = Path(__file__).resolve().parents[2] / "bot" / "surveys"
CALLBACK_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
"""What callback data carries for a survey id or an answer value: lowercase ASCII and hyphens."""
LARGEST_RESPONSE_ID = 999_999_999_999


def localized(word: str) -> str:
    return f'{{ ru = "{word}", en = "{word}", fr = "{word}", pt = "{word}" }}'


TITLE = f"title = {localized('Tiny')}"

YES_SHARE = f"""
id = "tiny"
scoring = "yes-share"
{TITLE}

[scales.yn]
kind = "choice"
options = [
  {{ value = "yes", label = {localized("Yes")} }},
  {{ value = "no", label = {localized("No")} }},
]

[[levels]]
from = 0
name = {localized("Low")}

[[levels]]
from = 50
name = {localized("High")}

[[sections]]
id = "only"

[[sections.questions]]
id = "first"
scale = "yn"
text = {localized("One")}

[[sections.questions]]
id = "second"
scale = "yn"
text = {localized("Two")}
"""

NPS = f"""
id = "tiny"
scoring = "nps"
score_question = "recommend"
{TITLE}

[scales.likelihood]
kind = "numeric"
min = 0
max = 10
min_label = {localized("never")}
max_label = {localized("surely")}

[[sections]]
id = "main"

[[sections.questions]]
id = "recommend"
scale = "likelihood"
text = {localized("Would you?")}
"""


def write(folder: Path, text: str | bytes, name: str = "tiny") -> Path:
    path = folder / f"{name}.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def broken(text: str, old: str, new: str) -> str:
    """The valid text with exactly one thing changed."""
    assert text.count(old) == 1, f"{old!r} must occur once in the base survey"
    return text.replace(old, new)


def refusal(path: Path) -> list[Problem]:
    with pytest.raises(SurveyFileError) as caught:
        load_survey(path)
    return list(caught.value.problems)


def only_problem(path: Path) -> Problem:
    problems = refusal(path)
    assert len(problems) == 1, problems
    assert problems[0].file == path
    return problems[0]


def test_the_shipped_surveys_load_with_their_sections() -> None:
    catalogue = load_catalogue(SURVEYS)
    assert {"cx-maturity", "nps"} <= set(catalogue)
    cx = catalogue["cx-maturity"]
    assert len(cx.questions) == 32
    assert [len(section.questions) for section in cx.sections] == [7, 6, 9, 5, 5]
    nps = catalogue["nps"]
    assert (nps.scoring, nps.score_question, nps.questions[0].id) == (
        "nps",
        "recommend",
        "recommend",
    )


@pytest.mark.parametrize("text", [YES_SHARE, NPS], ids=["yes-share", "nps"])
def test_the_small_base_surveys_are_valid(tmp_path: Path, text: str) -> None:
    assert load_survey(write(tmp_path, text)).id == "tiny"


def test_a_missing_translation_is_refused_at_its_place(tmp_path: Path) -> None:
    path = write(tmp_path, broken(YES_SHARE, 'fr = "Two", pt = "Two"', 'fr = "Two"'))
    problem = only_problem(path)
    assert problem.place == "sections[0].questions[1].text.pt"
    assert problem.reason == "a required key is missing"


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, broken(YES_SHARE, 'id = "first"', 'id = "first"\ncolour = "red"'))
    problem = only_problem(path)
    assert problem.place == "sections[0].questions[0].colour"
    assert problem.reason == "not a key of survey files"


def test_a_key_that_is_not_bare_is_placed_in_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, broken(YES_SHARE, 'id = "first"', 'id = "first"\n"" = 1\n"a b" = 2'))
    problems = refusal(path)
    assert [p.place for p in problems] == [
        'sections[0].questions[0].""',
        'sections[0].questions[0]."a b"',
    ]


def test_a_blank_translation_is_refused_at_its_text(tmp_path: Path) -> None:
    path = write(tmp_path, broken(YES_SHARE, 'pt = "Two"', 'pt = "  "'))
    problem = only_problem(path)
    assert problem.place == "sections[0].questions[1].text"
    assert problem.reason == "the pt text is blank"


def test_texts_lose_the_spaces_and_newlines_around_them(tmp_path: Path) -> None:
    survey = load_survey(write(tmp_path, broken(YES_SHARE, 'pt = "Two"', 'pt = """\n Two \n"""')))
    assert survey.questions[1].question.text("pt") == "Two"


def test_a_value_off_its_bounds_is_refused_naming_the_scale(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, broken(NPS, "max = 10", "max = 11")))
    assert (problem.place, problem.reason) == ("scales.likelihood.max", "Expected `int` <= 10")


@pytest.mark.parametrize(
    ("kind", "shown"), [('"slider"', "'slider'"), ('["numeric"]', "['numeric']")]
)
def test_an_unknown_scale_kind_is_refused_naming_the_scale(
    tmp_path: Path, kind: str, shown: str
) -> None:
    problem = only_problem(write(tmp_path, broken(NPS, 'kind = "numeric"', f"kind = {kind}")))
    assert (problem.place, problem.reason) == (
        "scales.likelihood.kind",
        f"{shown} is not one of the kinds choice, numeric, text",
    )


def test_a_scale_id_that_cannot_travel_in_buttons_is_refused(tmp_path: Path) -> None:
    text = broken(NPS, "[scales.likelihood]", "[scales.Likelihood]")
    text = broken(text, 'scale = "likelihood"', 'scale = "Likelihood"')
    problems = refusal(write(tmp_path, text))
    assert [p.place for p in problems] == ["scales.Likelihood", "sections[0].questions[0].scale"]
    assert problems[0].reason.startswith("the key: Expected `str` matching regex")


def test_every_missing_translation_is_listed_at_once(tmp_path: Path) -> None:
    # As after adding a language: seven texts (title, two options, two levels, two questions).
    text = re.sub(r', pt = "[^"]*"', "", YES_SHARE)
    problems = refusal(write(tmp_path, text))
    assert len(problems) == 7
    assert {p.reason for p in problems} == {"a required key is missing"}
    assert "sections[0].questions[1].text.pt" in [p.place for p in problems]
    assert all(p.place.endswith(".pt") for p in problems)


def test_a_value_of_the_wrong_type_is_refused_at_its_key(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, broken(YES_SHARE, 'id = "tiny"', 'id = ["tiny"]')))
    assert (problem.place, problem.reason) == ("id", "Expected `str`, got `array`")


def test_a_question_on_an_undeclared_scale_is_refused_naming_the_scale(tmp_path: Path) -> None:
    text = broken(YES_SHARE, 'id = "second"\nscale = "yn"', 'id = "second"\nscale = "yes-no"')
    problem = only_problem(write(tmp_path, text))
    assert problem.place == "sections[0].questions[1].scale"
    assert "'yes-no'" in problem.reason
    assert "yn" in problem.reason, "the reason lists the declared scales"


def test_a_repeated_question_id_is_refused_with_the_first_place(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, broken(YES_SHARE, 'id = "second"', 'id = "first"')))
    assert problem.place == "sections[0].questions[1].id"
    assert "'first' is used twice" in problem.reason
    assert "sections[0].questions[0]" in problem.reason


def test_repeated_option_values_are_refused(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, broken(YES_SHARE, 'value = "no"', 'value = "yes"')))
    assert problem.place == "scales.yn"
    assert "option values repeat" in problem.reason


@pytest.mark.parametrize(("low", "high"), [(5, 3), (4, 4)])
def test_a_numeric_scale_must_end_above_its_start(tmp_path: Path, low: int, high: int) -> None:
    text = broken(NPS, "min = 0\nmax = 10", f"min = {low}\nmax = {high}")
    problems = refusal(write(tmp_path, text))
    assert (problems[0].place, problems[0].reason) == (
        "scales.likelihood",
        f"max ({high}) must be greater than min ({low})",
    )


def test_a_toml_syntax_error_is_placed_by_line_and_column(tmp_path: Path) -> None:
    # The loader moves tomllib's "(at line L, column C)" from the reason into the place.
    path = write(tmp_path, 'id = "tiny"\nscoring = \n')
    problem = only_problem(path)
    assert problem.place == "line 2, column 11"
    assert problem.reason == "Invalid value"


def test_a_toml_syntax_error_without_a_line_is_placed_as_syntax(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, 'id = "tiny"\nlevels = [1,\n'))
    assert problem.place == "(syntax)"
    assert "end of document" in problem.reason


def test_a_file_that_is_not_utf8_is_refused_at_the_bad_byte(tmp_path: Path) -> None:
    prefix = b'id = "caf'
    problem = only_problem(write(tmp_path, prefix + b'\xe9"\n'))
    assert problem.place == f"byte {len(prefix)}"
    assert problem.reason == "not UTF-8 text"


def test_the_id_must_match_the_file_name(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, YES_SHARE, name="other"))
    assert problem.place == "id"
    assert "'tiny'" in problem.reason and "'other'" in problem.reason


def test_yes_share_levels_must_start_at_zero(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, broken(YES_SHARE, "from = 0", "from = 10")))
    assert problem.place == "levels"
    assert "starting from 0" in problem.reason


def test_the_nps_score_question_may_not_be_optional(tmp_path: Path) -> None:
    text = broken(NPS, 'id = "recommend"', 'id = "recommend"\noptional = true')
    problem = only_problem(write(tmp_path, text))
    assert problem.place == "sections[0].questions[0].optional"
    assert "'recommend' must always be asked" in problem.reason


def test_the_nps_score_question_must_be_zero_to_ten(tmp_path: Path) -> None:
    problem = only_problem(write(tmp_path, broken(NPS, "min = 0", "min = 1")))
    assert (problem.place, problem.reason) == (
        "score_question",
        "nps scoring needs a 0-10 numeric question",
    )


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SurveyFileError) as caught:
        load_catalogue(tmp_path)
    [problem] = caught.value.problems
    assert (problem.file, problem.place) == (tmp_path, "(folder)")


def test_problems_of_several_files_are_reported_together(tmp_path: Path) -> None:
    first = write(tmp_path, broken(YES_SHARE, "from = 0", "from = 10"))
    second = write(tmp_path, broken(NPS, "min = 0", "min = 1"), name="other")
    with pytest.raises(SurveyFileError) as caught:
        load_surveys([first, second])
    found = {(p.file, p.place) for p in caught.value.problems}
    assert found == {(first, "levels"), (second, "id"), (second, "score_question")}


def answers_on_buttons(question: PlacedQuestion) -> list[str | None]:
    """What a button of this question can carry: an option, a number, or a skip (None)."""
    scale = question.scale
    if isinstance(scale, ChoiceScale):
        return [option.value for option in scale.options]
    if isinstance(scale, NumericScale):
        return [str(v) for v in scale.values]
    return [None]


@pytest.mark.parametrize("survey_id", sorted(p.stem for p in SURVEYS.glob("*.toml")))
def test_shipped_ids_fit_callback_data(survey_id: str) -> None:
    survey = load_catalogue(SURVEYS)[survey_id]
    values = [v for q in survey.questions for v in answers_on_buttons(q) if v is not None]
    ids = [survey.id, *(q.id for q in survey.questions), *values]
    assert [i for i in ids if not CALLBACK_ID.fullmatch(i) or len(i) > 24] == []
    assert decode(encode(StartSurvey(survey.id))) == StartSurvey(survey.id)
    for question in survey.questions:
        for value in answers_on_buttons(question):
            tap = Answer(LARGEST_RESPONSE_ID, question.index, value)
            data = encode(tap)
            assert len(data.encode()) <= 64
            assert decode(data) == tap


def test_a_quarterly_survey_loads(tmp_path: Path) -> None:
    path = write(tmp_path, broken(NPS, 'scoring = "nps"', 'scoring = "nps"\nrepeat = "quarterly"'))
    assert load_survey(path).repeat == "quarterly"


@pytest.mark.parametrize(
    ("change", "place", "reason"),
    [
        ('repeat = "quarterly"\nanonymous = true', "repeat", "an anonymous survey cannot"),
        ('repeat = "monthly"', "repeat", "Invalid enum value 'monthly'"),
    ],
)
def test_a_repeat_policy_that_cannot_work_is_refused(
    tmp_path: Path, change: str, place: str, reason: str
) -> None:
    path = write(tmp_path, broken(NPS, 'scoring = "nps"', f'scoring = "nps"\n{change}'))
    problems = refusal(path)
    assert [p.place for p in problems] == [place]
    assert reason in problems[0].reason


def test_employees_need_nps_scoring(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        broken(YES_SHARE, 'scoring = "yes-share"', 'scoring = "yes-share"\nemployees = true'),
    )
    assert [(p.place, p.reason) for p in refusal(path)] == [
        ("employees", "employees names the figure eNPS, so it needs nps scoring")
    ]


def test_a_section_label_is_a_text_in_every_language(tmp_path: Path) -> None:
    path = write(tmp_path, broken(YES_SHARE, 'id = "only"', 'id = "only"\nlabel = { en = "Only" }'))
    assert {p.place for p in refusal(path)} == {
        "sections[0].label.ru",
        "sections[0].label.fr",
        "sections[0].label.pt",
    }
