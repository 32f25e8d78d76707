"""The classroom app in a real browser: `symbiosis app` served on localhost, driven in Chromium.

Uses Debian's ``chromium`` (``/usr/bin/chromium``) through the ``playwright`` package; never
Playwright's own browser downloads. ``make test`` installs chromium when it is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("SYMBIOSIS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_S = 120  # a cold start imports solara, mesa and matplotlib
UPDATE_S = 60_000  # ms to wait for the page to show a change (2 cores, shared with other tests)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _symbiosis_command() -> list[str]:
    script = Path(sys.executable).with_name("symbiosis")
    return [str(script)] if script.exists() else [sys.executable, "-m", "interfaces.cli"]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(
            f"chromium is not installed ({CHROMIUM}); install it with "
            "'apt-get install -y chromium' (make test does this as root)"
        )
    pytest.importorskip("playwright.sync_api", reason="needs the [browser-tests] extra")
    pytest.importorskip("solara", reason="needs the [app] extra")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("app") / "server.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [*_symbiosis_command(), "app", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(
                    f"symbiosis app exited with {server.returncode}:\n{log_path.read_text()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"symbiosis app did not answer within {SERVER_START_S} s:\n"
                    f"{log_path.read_text()}"
                )
            time.sleep(0.5)
        first_line = log_path.read_text().splitlines()[0]
        assert first_line.startswith(f"symbiosis app: serving on {url}")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def browser_page(app_url):
    from playwright.sync_api import sync_playwright

    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1400})
        problems: list[str] = []
        page.on(
            "console",
            lambda message: (
                problems.append(f"console {message.type}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
        page.goto(app_url)
        page.locator(".symbiosis-network img").wait_for(timeout=UPDATE_S)
        yield page, problems
        browser.close()


def _row(page, label: str) -> list[str]:
    """The cells of one indicator row, e.g. ``_row(page, "Month") == ["3"]``."""
    row = page.locator(".symbiosis-indicators tr", has=page.locator(f"td:text-is('{label}')"))
    return row.locator("td").all_inner_texts()[1:]


def _wait_for_row(page, label: str, expected: list[str]) -> None:
    deadline = time.monotonic() + UPDATE_S / 1000
    while _row(page, label) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"{label}: expected {expected}, shown {_row(page, label)}")
        time.sleep(0.2)


def _image(page, selector: str) -> bytes:
    return page.locator(f"{selector} img").screenshot()


def test_slider_step_play_and_side_by_side_in_chromium(browser_page, tmp_path, capsys):
    from playwright.sync_api import expect

    page, problems = browser_page
    network_before = _image(page, ".symbiosis-network")
    plots_before = _image(page, ".symbiosis-plots")
    assert _row(page, "Month") == ["0"]

    # move a slider (keyboard on its thumb, as a student could), then start a run with it
    thumb = page.locator('[role=slider][aria-label^="Landfill tax (EUR/t)"]')
    thumb.focus()
    for _ in range(20):
        thumb.press("ArrowRight")
    expect(thumb).to_have_attribute("aria-valuenow", "100")
    expect(thumb).to_have_attribute("aria-label", "Landfill tax (EUR/t): 100")
    page.get_by_role("button", name="Reset").click()

    for month in (1, 2):
        page.get_by_role("button", name="Step").click()
        _wait_for_row(page, "Month", [str(month)])
    _wait_for_row(page, "Landfill tax in force", ["100 EUR/t"])

    page.get_by_role("button", name="▶").click()
    deadline = time.monotonic() + UPDATE_S / 1000
    while int(_row(page, "Month")[0]) < 5:
        assert time.monotonic() < deadline, "play did not advance the months"
        time.sleep(0.3)
    page.get_by_role("button", name="❚❚").click()
    time.sleep(1.0)  # let the last step's figures arrive
    assert _image(page, ".symbiosis-network") != network_before
    assert _image(page, ".symbiosis-plots") != plots_before

    # side-by-side: scenario B on the same seed, stepped together with A
    page.locator(".v-select", has=page.locator("label", has_text="Side by side")).click()
    page.locator(".v-menu__content .v-list-item", has_text="landfill_tax").first.click()
    expect(page.locator(".symbiosis-indicators th").nth(2)).to_have_text(
        "B: landfill_tax", timeout=UPDATE_S
    )
    _wait_for_row(page, "Month", ["0", "0"])
    page.get_by_role("button", name="Step").click()
    _wait_for_row(page, "Month", ["1", "1"])
    assert _row(page, "Seed")[0] == _row(page, "Seed")[1]
    expect(page.locator(".symbiosis-network img")).to_have_count(1)

    screenshot = tmp_path / "symbiosis_app.png"
    page.screenshot(path=str(screenshot), full_page=True)
    with capsys.disabled():
        print(f"\nscreenshot of the app: {screenshot}")
    assert screenshot.stat().st_size > 10_000
    assert problems == []
