"""Reading survey files and refusing a bad one with the file, the place in it and the reason.

The bot loads every file at start and refuses to start on any error, so a typo in a translation
is found by `cxbot validate` or at deploy time, never by a respondent.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from bot.survey.model import Survey, cross_check


@dataclass(frozen=True)
class Problem:
    file: Path
    place: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.place}: {self.reason}"


class SurveyFileError(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = tuple(problems)


_TOML_PLACE = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


def _place(loc: tuple[int | str, ...]) -> str:
    """('sections', 2, 'questions', 0, 'text', 'pt') -> 'sections[2].questions[0].text.pt'."""
    if len(loc) > 2 and loc[0] == "scales":
        loc = loc[:2] + loc[3:]  # pydantic names the scale kind it tried; the file has no such key
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "(top level)"


def load_survey(path: Path) -> Survey:
    """One survey file, or SurveyFileError listing every problem found in it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SurveyFileError([Problem(path, "(file)", error.strerror or str(error))]) from None
    except UnicodeDecodeError as error:
        place = f"byte {error.start}"
        raise SurveyFileError([Problem(path, place, "not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as error:
        found = _TOML_PLACE.search(str(error))
        place = f"line {found[1]}, column {found[2]}" if found else "(syntax)"
        reason = _TOML_PLACE.sub("", str(error)).strip()
        raise SurveyFileError([Problem(path, place, reason)]) from None
    try:
        survey = Survey.model_validate(data)
    except ValidationError as error:
        problems = [
            Problem(path, _place(tuple(e["loc"])), e["msg"].removeprefix("Value error, "))
            for e in error.errors(include_url=False)
        ]
        raise SurveyFileError(problems) from None
    problems = [Problem(path, place, reason) for place, reason in cross_check(survey)]
    if survey.id != path.stem:
        problems.insert(
            0, Problem(path, "id", f"the id {survey.id!r} must match the file name {path.stem!r}")
        )
    if problems:
        raise SurveyFileError(problems)
    return survey


def survey_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.toml"))


def load_surveys(paths: Iterable[Path]) -> dict[str, Survey]:
    """Every file, all problems together: a deploy fixes them in one pass, not one per run."""
    surveys: dict[str, Survey] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            survey = load_survey(path)
        except SurveyFileError as error:
            problems.extend(error.problems)
            continue
        surveys[survey.id] = survey
    if problems:
        raise SurveyFileError(problems)
    return surveys


def load_catalogue(folder: Path) -> dict[str, Survey]:
    paths = survey_files(folder)
    if not paths:
        raise SurveyFileError([Problem(folder, "(folder)", "no survey files (*.toml) here")])
    return load_surveys(paths)
