"""Reading survey files and refusing a bad one with the file, the place in it and the reason.

The bot loads every file at start and refuses to start on any error, so a typo in a translation
is found by `cxbot validate` or at deploy time, never by a respondent.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import PurePath
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec

from bot.survey.model import Survey, cross_check


@dataclass(frozen=True)
class Problem:
    file: Traversable
    """A file on disk (a `Path`) or one shipped inside the package."""
    place: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.place}: {self.reason}"


class SurveyFileError(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = tuple(problems)


_TOML_PLACE = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCHEMA_PLACE = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")

Problems = list[tuple[str, str]]
"""(place, reason) pairs."""


def _schema_problems(data: Any, kind: Any, place: str = "") -> Problems:
    """Every break of the file's form under `place`.

    msgspec stops at the first error and does not name the key of a table, so on a failure the
    parts are checked one by one: every missing translation of a new language shows at once.
    """
    try:
        msgspec.convert(data, kind)
    except msgspec.ValidationError as error:
        return _part_problems(data, kind, place) or [_schema_problem(error, place)]
    return []


def _part_problems(data: Any, kind: Any, place: str) -> Problems:
    """The problems found in the parts of `data`, or none if only the whole is wrong."""
    while get_origin(kind) is Annotated:  # the constraints of the whole are checked by the caller
        kind = get_args(kind)[0]
    if get_origin(kind) in (Union, UnionType):
        return _union_problems(data, [k for k in get_args(kind) if k is not type(None)], place)
    if get_origin(kind) is list and isinstance(data, list):
        [item] = get_args(kind)
        return [p for i, v in enumerate(data) for p in _schema_problems(v, item, f"{place}[{i}]")]
    if get_origin(kind) is dict and isinstance(data, dict):
        key, value = get_args(kind)
        problems = []
        for name, part in data.items():
            here = _at(place, name)
            problems += [(p, f"the key: {r}") for p, r in _schema_problems(name, key, here)]
            problems += _schema_problems(part, value, here)
        return problems
    if _is_struct(kind) and isinstance(data, dict):
        fields = {field.encode_name: field for field in msgspec.structs.fields(kind)}
        known = {*fields, kind.__struct_config__.tag_field}
        problems = [(_at(place, k), "not a key of survey files") for k in data if k not in known]
        for name, field in fields.items():
            if name in data:
                problems += _schema_problems(data[name], field.type, _at(place, name))
            elif field.required:
                problems.append((_at(place, name), "a required key is missing"))
        return problems
    return []


def _union_problems(data: Any, kinds: list[Any], place: str) -> Problems:
    """One of several kinds: the one the data names with its tag (a scale's `kind`)."""
    if len(kinds) == 1:
        return _schema_problems(data, kinds[0], place)
    tagged = [k for k in kinds if _is_struct(k) and k.__struct_config__.tag_field is not None]
    if len(tagged) != len(kinds) or not isinstance(data, dict):
        return []
    field = str(tagged[0].__struct_config__.tag_field)
    tags = {str(kind.__struct_config__.tag): kind for kind in tagged}
    tag = data.get(field)
    if tag is None:
        return [(_at(place, field), "a required key is missing")]
    if not isinstance(tag, str) or tag not in tags:
        return [(_at(place, field), f"{tag!r} is not one of the kinds {', '.join(tags)}")]
    return _schema_problems(data, tags[tag], place)


def _is_struct(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, msgspec.Struct)


def _at(place: str, key: str) -> str:
    """The place of `key` inside `place`, in TOML's notation (a key that is not bare is quoted)."""
    if not _BARE_KEY.fullmatch(key):
        key = json.dumps(key, ensure_ascii=False)
    return f"{place}.{key}" if place else key


def _schema_problem(error: msgspec.ValidationError, within: str) -> tuple[str, str]:
    """msgspec's "Expected `int` >= 0 - at `$.min`" as (place, reason)."""
    message = str(error)
    found = _SCHEMA_PLACE.search(message)
    if found is None:
        return within or "(top level)", message
    place = _at(within, found["path"]).replace(".[", "[") if found["path"] else within
    return place or "(top level)", message[: found.start()]


def load_survey(path: Traversable) -> Survey:
    """One survey file, or SurveyFileError with its problems."""
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
    return parse_survey(data, path)


def parse_survey(data: dict[str, Any], path: Traversable) -> Survey:
    """The survey in a file's parsed TOML, or SurveyFileError with every break of its form or,
    in data of the right form, every broken reference (scales, conditions, scoring)."""
    try:
        survey = msgspec.convert(data, Survey)
    except msgspec.ValidationError:
        schema = _schema_problems(data, Survey)
        raise SurveyFileError([Problem(path, place, reason) for place, reason in schema]) from None
    problems = [Problem(path, place, reason) for place, reason in cross_check(survey)]
    stem = PurePath(path.name).stem
    if survey.id != stem:
        problems.insert(
            0, Problem(path, "id", f"the id {survey.id!r} must match the file name {stem!r}")
        )
    if problems:
        raise SurveyFileError(problems)
    return survey


def shipped_surveys() -> Traversable:
    """The catalogue that ships inside the package, wherever it was installed (package data:
    a wheel, pipx or the image need no checkout and no SURVEYS_DIR)."""
    return resources.files("bot") / "surveys"


def survey_files(folder: Traversable) -> list[Traversable]:
    """The folder's `*.toml` files by name; none if there is no such folder."""
    if not folder.is_dir():
        return []
    found = [path for path in folder.iterdir() if path.name.endswith(".toml") and path.is_file()]
    return sorted(found, key=lambda path: path.name)


def load_surveys(paths: Iterable[Traversable]) -> dict[str, Survey]:
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


def load_catalogue(folder: Traversable) -> dict[str, Survey]:
    paths = survey_files(folder)
    if not paths:
        raise SurveyFileError([Problem(folder, "(folder)", "no survey files (*.toml) here")])
    return load_surveys(paths)
