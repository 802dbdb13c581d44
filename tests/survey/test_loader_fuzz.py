"""Broken survey files, generated (bytes and lines of a file, or values and keys of its parsed
data): the loader refuses each with file, place and reason, and never fails in any other way."""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.survey.loader import SurveyFileError, load_survey, parse_survey

SOURCE = (Path(__file__).resolve().parents[2] / "bot" / "surveys" / "csat.toml").read_bytes()
LINES = SOURCE.split(b"\n")


@st.composite
def broken(draw: st.DrawFn) -> bytes:
    """The shipped csat file with lines dropped, repeated or replaced, or bytes flipped."""
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["drop", "repeat", "junk", "flip"]))
        if how == "drop":
            del lines[where]
        elif how == "repeat":
            lines.insert(where, lines[where])
        elif how == "junk":
            lines[where] = draw(st.binary(max_size=40))
        else:
            line = bytearray(lines[where] or b" ")
            line[draw(st.integers(0, len(line) - 1))] = draw(st.integers(0, 255))
            lines[where] = bytes(line)
    return b"\n".join(lines)


@settings(max_examples=150, deadline=None)
@given(broken())
def test_a_broken_file_is_refused_with_file_place_and_reason(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "csat.toml"
        path.write_bytes(content)
        try:
            load_survey(path)
        except SurveyFileError as error:
            assert error.problems
            for problem in error.problems:
                assert problem.file == path and problem.place and problem.reason


SURVEYS = sorted((Path(__file__).resolve().parents[2] / "bot" / "surveys").glob("*.toml"))
TOML_VALUES = st.recursive(
    st.one_of(st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(), st.text(max_size=30)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)
"""What a TOML value can be (dates aside): tables, arrays, strings, numbers, booleans."""


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Path, dict[str, Any]]:
    """A shipped survey's parsed data with a few values replaced, keys dropped or keys added."""
    path = draw(st.sampled_from(SURVEYS))
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        node: Any = data
        while True:  # walk down to a random table or array
            children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
            inner = [(k, v) for k, v in children if isinstance(v, dict | list) and v]
            if not inner or draw(st.booleans()):
                break
            node = draw(st.sampled_from(inner))[1]
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        how = draw(st.sampled_from(["replace", "drop", "add"]))
        if how == "add" and isinstance(node, dict):
            node[draw(st.text(max_size=12))] = draw(TOML_VALUES)
        elif keys and how == "drop":
            del node[draw(st.sampled_from(keys))]
        elif keys:
            node[draw(st.sampled_from(keys))] = draw(TOML_VALUES)
    return path, data


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_broken_data_is_refused_with_places_and_reasons(case: tuple[Path, dict[str, Any]]) -> None:
    path, data = case
    try:
        parse_survey(data, path)
    except SurveyFileError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.file == path and problem.place and problem.reason
