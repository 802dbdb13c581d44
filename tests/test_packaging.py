"""cxbot installed from its wheel, as a user installs a program, works from any folder.

The wheel is built from a copy of the project (setuptools writes `build/` and `*.egg-info` into
the folder it builds from, and the checkout stays untouched), without build isolation: the test
extras carry the setuptools that pyproject.toml asks for, so nothing is downloaded. It is
installed with `--no-deps` into a fresh virtualenv of its own, whose only view of the
dependencies is a `.pth` line naming this test environment's site-packages (what
`--system-site-packages` does for a system Python). A clean install would fetch and unpack
matplotlib, numpy and the rest from the index (about 20 s, and a network the rest of the suite
does not need) and would test pip more than cxbot; what breaks an installed cxbot is what the
wheel carries, and `import bot` below must resolve to the wheel's copy, never the checkout's.
Building and installing take 2 to 5 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.telegram.harness import REPO


def run(*args: str | Path, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SURVEYS_DIR", "LOCALES_DIR")}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(arg) for arg in args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a virtualenv holding cxbot's wheel and nothing else of the project."""
    root = tmp_path_factory.mktemp("packaging")
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "bot", source / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    built = run(
        sys.executable,
        *("-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"),
        *("--quiet", "--wheel-dir", root / "dist", source),
        cwd=root,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("cxbot-*.whl")

    venv = root / "venv"
    made = run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    pip = (sys.executable, "-m", "pip", "--python", python, "install", "--quiet")
    done = run(*pip, "--no-deps", "--no-index", wheel, cwd=root)
    assert done.returncode == 0, done.stderr

    # the dependencies: this environment's site-packages, seen after the venv's own (added
    # only now, so that pip above saw an empty environment and left this one alone)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = venv / "lib" / version / "site-packages"
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "test-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return venv / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An empty folder: no surveys/, no locales/, no checkout to fall back on."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def test_the_installed_package_is_the_wheel_not_the_checkout(
    installed: Path, elsewhere: Path
) -> None:
    found = run(installed / "python", "-c", "import bot; print(bot.__file__)", cwd=elsewhere)
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()).is_relative_to(installed.parent)


def test_validate_finds_the_shipped_catalogue(installed: Path, elsewhere: Path) -> None:
    result = run(installed / "cxbot", "validate", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert "ok  cx-maturity (32 questions)" in result.stdout
    assert "ok  nps (4 questions)" in result.stdout
    assert len(result.stdout.splitlines()) == len(list((REPO / "bot" / "surveys").glob("*.toml")))


def test_preview_takes_a_survey_in_french_with_the_shipped_catalogs(
    installed: Path, elsewhere: Path
) -> None:
    result = run(
        installed / "cxbot", "preview", "nps", "--lang", "fr", stdin="11\n6\n\n", cwd=elsewhere
    )
    assert result.returncode == 0, result.stderr
    assert "Quelle est la probabilité que vous nous recommandiez" in result.stdout  # the survey
    assert "Cette réponse ne correspond pas à la question." in result.stdout  # the catalog
    assert "Votre note\u00a0: 6 sur 10." in result.stdout


def test_the_dashboard_page_and_its_chart_library_ship_in_the_wheel(
    installed: Path, elsewhere: Path
) -> None:
    """The Mini App is served from the installed package: every file under bot/web/static/ is
    found there, the vendored uPlot and its licence included."""
    static = REPO / "bot" / "web" / "static"
    names = sorted(str(p.relative_to(static)) for p in static.rglob("*") if p.is_file())
    assert "vendor/uPlot.iife.min.js" in names and "vendor/uPlot.LICENSE" in names
    script = (
        "import sys\nfrom bot.web.api import asset\n"
        "print(all(asset(name) is not None for name in sys.argv[1:]))"
    )
    result = run(installed / "python", "-c", script, *names, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_the_compiled_catalogs_ship_in_the_wheel_and_are_the_ones_loaded(
    installed: Path, elsewhere: Path
) -> None:
    """An installed bot loads the .mo files, never Babel's .po parser."""
    script = (
        "import sys\nfrom bot import i18n\ni18n.check_all()\n"
        "print(i18n.catalog_files('fr')[1].is_file(), 'babel.messages.pofile' in sys.modules)"
    )
    result = run(installed / "python", "-c", script, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False"]
