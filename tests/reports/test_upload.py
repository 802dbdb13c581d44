"""An export past Telegram's upload limit goes zipped, or in zipped parts, never too large."""

from __future__ import annotations

import csv
import io
import random
import string
import zipfile

from bot.reports.export import fit_upload

HEADER = ["response", "segment", "comment"]


def csv_of(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return "\ufeff".encode() + buffer.getvalue().encode()


def unzipped(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = archive.namelist()
        return archive.read(name)


def records(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_a_file_within_the_limit_goes_as_it_is() -> None:
    data = csv_of([["1", "desk-1", "fine"]])
    assert fit_upload(data, "nps-all.csv", limit=len(data)) == [("nps-all.csv", data)]


def test_a_file_over_the_limit_goes_zipped_when_that_fits() -> None:
    data = csv_of([[str(n), "desk-1", "the same comment again"] for n in range(2000)])
    limit = len(data) // 3
    ((name, zipped),) = fit_upload(data, "nps-all.csv", limit=limit)
    assert name == "nps-all.zip" and len(zipped) <= limit
    assert unzipped(zipped) == data


def test_a_file_too_big_even_zipped_goes_in_parts_each_with_the_header() -> None:
    noise = random.Random(5)
    rows = [
        [str(n), "desk-2", "".join(noise.choices(string.ascii_letters, k=80)) + "\nsecond line"]
        for n in range(3000)
    ]
    data = csv_of(rows)
    limit = 40_000  # the whole file zips to about 190 kB
    parts = fit_upload(data, "nps-all.csv", limit=limit)
    assert len(parts) > 1
    assert [name for name, _ in parts] == [f"nps-all-{n}.zip" for n in range(1, len(parts) + 1)]
    assert all(len(part) <= limit for _, part in parts)
    read = [records(unzipped(part)) for _, part in parts]
    assert all(part[0] == HEADER for part in read)
    assert [row for part in read for row in part[1:]] == rows, "every row once, in order, intact"
