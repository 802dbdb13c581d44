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
from typing import get_args

import msgspec

from bot.survey.model import Scale, Survey, cross_check


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
_SCHEMA_PLACE = re.compile(r" - at (?P<key>`key` in )?`\$\.?(?P<path>[^`]*)`$")
_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<name>[^`]+)`$")
_FIELD_REASONS = {"missing": "a required key is missing", "contains": "not a key of survey files"}


def _schema_problem(error: msgspec.ValidationError, within: str = "") -> tuple[str, str]:
    """msgspec's "Expected `int` >= 0 - at `$.sections[0].min`" as (place, reason).

    A missing or unknown key is placed at the key itself, as a person looks for it in the file.
    """
    message = str(error)
    found = _SCHEMA_PLACE.search(message)
    reason = message[: found.start()] if found else message
    path = found["path"] if found else ""
    place = ".".join(part for part in (within, path) if part).replace(".[", "[")
    if found and found["key"]:
        reason = f"a key: {reason}"
    named = _FIELD.match(reason)
    if named:
        place = f"{place}.{named['name']}" if place else named["name"]
        reason = _FIELD_REASONS[reason.split()[1]]
    return place or "(top level)", reason


_SCALE_KINDS = ", ".join(str(kind.__struct_config__.tag) for kind in get_args(Scale))


def _scale_problems(data: object) -> list[tuple[str, str]]:
    """Each scale on its own, since msgspec's errors do not name the key of a table."""
    scales = data.get("scales") if isinstance(data, dict) else None
    problems = []
    for key, scale in scales.items() if isinstance(scales, dict) else ():
        try:
            msgspec.convert(scale, Scale)
        except msgspec.ValidationError as error:
            place, reason = _schema_problem(error, within=f"scales.{key}")
            if place.endswith(".kind"):
                reason = f"{reason}; the kinds are {_SCALE_KINDS}"
            problems.append((place, reason))
    return problems


def load_survey(path: Path) -> Survey:
    """One survey file, or SurveyFileError with its problems.

    Of the file's form, the first break is reported (every broken scale); of its references
    (scales, conditions, scoring), every one.
    """
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
        survey = msgspec.convert(data, Survey)
    except msgspec.ValidationError as error:
        schema = _scale_problems(data) or [_schema_problem(error)]
        raise SurveyFileError([Problem(path, place, reason) for place, reason in schema]) from None
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
