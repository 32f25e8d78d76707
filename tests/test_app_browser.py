"""The classroom app in a real browser: `symbiosis app` served on localhost, driven in Chromium.

The tests find the month, the indicator panel and the controls by their ``data-testid`` (month,
indicators, reset, step, play). Under load they wait on conditions with generous time-outs;
no fixed sleep decides a test.

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
    "--disable-quic",
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


def _needs_browser() -> str:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(
            f"chromium is not installed ({CHROMIUM}); install it with "
            "'apt-get install -y chromium' (make test does this as root)"
        )
    pytest.importorskip("playwright.sync_api", reason="needs the [browser-tests] extra")
    pytest.importorskip("solara", reason="needs the [app] extra")
    return CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))


def _start_server(log_path: Path) -> tuple[subprocess.Popen, str]:
    """``symbiosis app`` on a free loopback port, answering; its output goes to ``log_path``."""
    port = _free_port()
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [*_symbiosis_command(), "app", "--port", str(port), "--session-timeout", "5"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + SERVER_START_S
    while True:
        if server.poll() is not None:
            pytest.fail(f"symbiosis app exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return server, url
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"symbiosis app did not answer within {SERVER_START_S} s")
        time.sleep(0.5)


def _stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    _needs_browser()
    log_path = tmp_path_factory.mktemp("app") / "server.log"
    server, url = _start_server(log_path)
    try:
        first_line = log_path.read_text().splitlines()[0]
        assert first_line.startswith(f"symbiosis app: serving on {url}")
        yield url
    finally:
        _stop_server(server)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    executable = _needs_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser, url: str, problems: list[str]):
    """A page of the app in a context of its own (its own session), watched for problems.

    Any request that would leave this machine is refused and counted as a problem: the app must
    work without internet (ECharts and the page's assets come from the local server).
    """
    context = browser.new_context(viewport={"width": 1500, "height": 1400})
    page = context.new_page()

    def route(route_) -> None:
        if route_.request.url.startswith(url):
            route_.continue_()
        else:
            problems.append(f"request leaving the machine: {route_.request.url}")
            route_.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(url)
    page.get_by_test_id("month").wait_for(timeout=UPDATE_S)
    page.locator("[data-testid=network-a] canvas").first.wait_for(timeout=UPDATE_S)
    return page


def _month(page) -> int:
    return int(page.get_by_test_id("month").inner_text())


def _wait_for_month(page, test, what: str) -> int:
    deadline = time.monotonic() + UPDATE_S / 1000
    while not test(month := _month(page)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: the page shows month {month}")
        time.sleep(0.1)
    return month


def _row(page, label: str) -> list[str]:
    """The cells of one indicator row, e.g. ``_row(page, "Month") == ["3"]``."""
    row = page.get_by_test_id("indicators").locator(
        "tr", has=page.locator(f"td:text-is('{label}')")
    )
    return row.locator("td").all_inner_texts()[1:]


def _wait_for_row(page, label: str, expected: list[str]) -> None:
    deadline = time.monotonic() + UPDATE_S / 1000
    while _row(page, label) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"{label}: expected {expected}, shown {_row(page, label)}")
        time.sleep(0.2)


def _wait_until_still(page, still_s: float = 1.0) -> int:
    """The month once it has stayed the same for ``still_s`` (a frame under way may land)."""
    deadline = time.monotonic() + UPDATE_S / 1000
    month, since = _month(page), time.monotonic()
    while time.monotonic() - since < still_s:
        if time.monotonic() > deadline:
            raise AssertionError(f"the month kept changing: {month}")
        time.sleep(0.1)
        if (now := _month(page)) != month:
            month, since = now, time.monotonic()
    return month


def _move_slider(page, label: str, presses: int) -> None:
    """Move a slider by keyboard on its thumb, as a student could."""
    thumb = page.locator(f'[role=slider][aria-label^="{label}"]')
    thumb.focus()
    for _ in range(presses):
        thumb.press("ArrowRight")


def _canvas(page, testid: str) -> bytes:
    return page.get_by_test_id(testid).screenshot()


def test_step_play_reset_slider_and_side_by_side(app_url, browser, tmp_path, capsys):
    from playwright.sync_api import expect

    problems: list[str] = []
    page = _open(browser, app_url, problems)
    assert _month(page) == 0
    plots_before = _canvas(page, "plots")

    # move a slider, then start a run with it
    _move_slider(page, "Landfill tax (EUR/t)", 20)
    thumb = page.locator('[role=slider][aria-label^="Landfill tax (EUR/t)"]')
    expect(thumb).to_have_attribute("aria-valuenow", "100")
    page.get_by_test_id("reset").click()
    for month in (1, 2):
        page.get_by_test_id("step").click()
        _wait_for_month(page, lambda m, month=month: m == month, f"Step to {month}")
    _wait_for_row(page, "Landfill tax in force", ["100 EUR/t"])

    page.get_by_test_id("play").click()
    _wait_for_month(page, lambda m: m >= 6, "Play")
    page.get_by_test_id("play").click()  # pause
    expect(page.get_by_test_id("play")).to_have_text("Play", timeout=UPDATE_S)
    paused = _wait_until_still(page)
    # paused: one Step adds exactly one month (a run still playing would run past it)
    page.get_by_test_id("step").click()
    _wait_for_month(page, lambda m: m > paused, "Step after Pause")
    assert _wait_until_still(page) == paused + 1, "Pause did not stop the months"
    assert _row(page, "Month") == [str(paused + 1)]
    assert _canvas(page, "plots") != plots_before  # the browser drew the new months

    page.get_by_test_id("reset").click()
    _wait_for_month(page, lambda m: m == 0, "Reset")

    # side-by-side: scenario B on the same seed, stepped together with A
    page.locator(".v-select", has=page.locator("label", has_text="Side by side")).click()
    page.locator(".v-menu__content .v-list-item", has_text="landfill_tax").first.click()
    expect(page.locator(".symbiosis-indicators th").nth(2)).to_have_text(
        "B: landfill_tax", timeout=UPDATE_S
    )
    page.get_by_test_id("step").click()
    _wait_for_row(page, "Month", ["1", "1"])
    assert _row(page, "Seed")[0] == _row(page, "Seed")[1]
    expect(page.get_by_test_id("network-b")).to_be_visible()

    screenshot = tmp_path / "symbiosis_app.png"
    page.screenshot(path=str(screenshot), full_page=True)
    with capsys.disabled():
        print(f"\nscreenshot of the app: {screenshot}")
    assert screenshot.stat().st_size > 10_000
    assert problems == []


def test_two_sessions_do_not_see_each_other(app_url, browser):
    problems: list[str] = []
    first, second = _open(browser, app_url, problems), _open(browser, app_url, problems)
    first.get_by_test_id("step").click()
    _wait_for_month(first, lambda m: m == 1, "Step in the first page")
    second.get_by_test_id("play").click()
    _wait_for_month(second, lambda m: m >= 4, "Play in the second page")
    assert _month(first) == 1, "Play in one page moved the other"
    second.get_by_test_id("play").click()
    played = _wait_until_still(second)
    first.get_by_test_id("reset").click()
    _wait_for_month(first, lambda m: m == 0, "Reset in the first page")
    assert _month(second) == played, "Reset in one page reset the other"

    # a slider moved (and a Reset) in the first page leaves the second page's run as it was
    _move_slider(first, "Landfill tax (EUR/t)", 20)
    first.get_by_test_id("reset").click()
    first.get_by_test_id("step").click()
    _wait_for_row(first, "Landfill tax in force", ["100 EUR/t"])
    second.get_by_test_id("step").click()
    _wait_for_month(second, lambda m: m == played + 1, "Step in the second page")
    _wait_for_row(second, "Landfill tax in force", ["0 EUR/t"])
    assert problems == []


def test_ctrl_c_stops_the_app_within_two_seconds_also_while_playing(browser, tmp_path):
    import signal

    server, url = _start_server(tmp_path / "server.log")
    try:
        problems: list[str] = []
        page = _open(browser, url, problems)
        page.get_by_test_id("play").click()
        _wait_for_month(page, lambda m: m >= 2, "Play")
        server.send_signal(signal.SIGINT)
        started = time.monotonic()
        try:
            server.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            pytest.fail("symbiosis app still running 2 s after Ctrl+C")
        assert time.monotonic() - started <= 2.0
        assert server.returncode == 0
        assert "symbiosis app: stopped" in (tmp_path / "server.log").read_text()
    finally:
        if server.poll() is None:
            _stop_server(server)
