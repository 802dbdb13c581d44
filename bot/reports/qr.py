"""A QR code picture of a deep link, to print for a touchpoint (segno: pure Python, PNG out)."""

from __future__ import annotations

import io

import segno


def qr_png(link: str, scale: int = 10) -> bytes:
    output = io.BytesIO()
    segno.make(link, error="m", micro=False).save(output, kind="png", scale=scale, border=4)
    return output.getvalue()
