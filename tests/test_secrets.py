"""The token and the anonymity key are never printed: not in the settings' repr, not by an
exception that escapes every handler (Python prints those itself, past the logging filter)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import Config
from bot.logs import redact
from tests.telegram.harness import TOKEN

SECRET = TOKEN.split(":")[1]


def test_redact_masks_the_token_and_its_secret_half() -> None:
    assert redact(f"GET /bot{TOKEN}/getMe", TOKEN) == "GET /bot<token>/getMe"
    assert redact(f"bot123%3A{SECRET}", TOKEN) == "bot123%3A<token>"


def test_uncaught_exceptions_are_printed_without_the_token(tmp_path: Path) -> None:
    """The last line of defence: whatever escapes every handler is printed token-masked."""
    program = (
        "import threading\n"
        "from bot.logs import guard_exceptions\n"
        f"token = {TOKEN!r}\n"
        "guard_exceptions(token)\n"
        "thread = threading.Thread(target=lambda: 1 / 0 if token else None, name='worker')\n"
        "thread.start(); thread.join()\n"
        "raise RuntimeError(f'The token `{token}` was rejected; secret {token.split(\":\")[1]}')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=os.environ.copy(),
        timeout=60,
    )
    assert result.returncode == 1
    assert TOKEN not in result.stderr and SECRET not in result.stderr
    assert "Exception in thread worker:" in result.stderr
    assert "ZeroDivisionError" in result.stderr
    assert result.stderr.rstrip().endswith(
        "RuntimeError: The token `<token>` was rejected; secret <token>"
    )


def test_secrets_are_left_out_of_the_settings_repr() -> None:
    config = Config.from_env({"BOT_TOKEN": TOKEN})
    assert config.token == TOKEN
    shown = repr(config)
    assert SECRET not in shown
    assert "api_base_url='https://api.telegram.org'" in shown
