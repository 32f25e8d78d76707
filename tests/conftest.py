"""Fixtures shared by the test modules: the command line in-process and installed, a working
folder of one's own, and Debian's chromium for the browser tests.

A fixture lives here when more than one test module needs it; what one module needs stays there.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest

CHROMIUM = Path(os.environ.get("SYMBIOSIS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


class CliResult(NamedTuple):
    """What one ``symbiosis`` invocation gave: exit status, standard output, standard error."""

    status: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """``cli("run", "baseline", "--steps", 2)``: the command line, run in this process.

    Arguments are turned into strings. argparse's own exits (``--help``, a bad flag) come back as
    their status, like every other, instead of a ``SystemExit`` to catch.
    """

    from interfaces.cli import main

    def invoke(*argv: object) -> CliResult:
        try:
            status = main([str(arg) for arg in argv])
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        captured = capsys.readouterr()
        return CliResult(status, captured.out, captured.err)

    return invoke


@pytest.fixture(scope="session")
def symbiosis_command() -> list[str]:
    """The installed ``symbiosis`` command for a subprocess (the module when not installed)."""
    script = Path(sys.executable).with_name("symbiosis")
    return [str(script)] if script.exists() else [sys.executable, "-m", "interfaces.cli"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty temporary folder made the working directory, so default ``results/`` land in it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@dataclass(frozen=True)
class Chromium:
    """How the browser tests start Debian's chromium through Playwright."""

    executable: str
    args: tuple[str, ...] = CHROMIUM_ARGS

    def launch(self, playwright: Any) -> Any:
        """A headless browser from a ``sync_playwright()`` context (never its own downloads)."""
        return playwright.chromium.launch(executable_path=self.executable, args=list(self.args))


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    """Debian's chromium and the Playwright package, or a skip that says how to get them."""
    executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    if executable is None:
        pytest.skip(
            f"chromium is not installed ({CHROMIUM}); install it with "
            "'apt-get install -y chromium' (make test does this as root)"
        )
    pytest.importorskip("playwright.sync_api", reason="needs the [browser-tests] extra")
    return Chromium(executable)
