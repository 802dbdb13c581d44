"""Broken survey files, generated: the loader refuses each with file, place and reason, and never
fails in any other way."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.survey.loader import SurveyFileError, load_survey

SOURCE = (Path(__file__).resolve().parents[2] / "surveys" / "csat.toml").read_bytes()
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
