"""Load benchmark of the classroom app: many browser sessions against one `symbiosis app`.

Starts ``symbiosis app`` on a free loopback port and drives headless pages of Debian's
``/usr/bin/chromium`` through playwright (each page its own Solara session), then reports:

- server CPU per student-step: the server process's own CPU time (``/proc/PID/stat``, so the
  browsers' load does not count) divided by the steps the pages took;
- step latency (click on Step until the page shows the new month) at each number of sessions;
- months per second each page advances with every session on Play;
- server memory (RSS) at a cold start, at a warm start (one page opened, closed and culled: the
  first page's imports and caches are not a leak, so the warm start is the baseline), with the
  sessions open, and ``--after-s`` seconds after they close;
- server CPU with no session connected, and the load average of the machine before and after.

Usage: ``python benchmarks/bench_app_load.py --sessions 1 10 30 --steps 10 --play-s 10``.
Every loop is bounded (a step that does not show within ``--timeout-s`` counts as timed out).
Not part of the test run; results go to benchmarks/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("SYMBIOSIS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # every page stands for a student's foreground tab: no throttling of background pages
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_s(pid: int) -> float:
    """User plus system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_S


def threads(pid: int) -> int:
    """Number of threads of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return -1


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(session_timeout_s: int) -> tuple[subprocess.Popen, str]:
    """``symbiosis app`` on a free loopback port, once it answers."""
    port = _free_port()
    script = Path(sys.executable).with_name("symbiosis")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "interfaces.cli"]
    server = subprocess.Popen(
        [*command, "app", "--port", str(port), "--session-timeout", str(session_timeout_s)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return server, url
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("symbiosis app did not answer within 120 s")


def month(page, timeout_s: float = 30.0) -> int:
    """The month a page shows; -1 when the page does not answer within ``timeout_s``."""
    try:
        return int(page.get_by_test_id("month").inner_text(timeout=1000 * timeout_s))
    except Exception:  # a page starved of CPU by the other browsers: counted, not fatal
        return -1


def wait_month(page, test, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if test(month(page)):
            return True
        time.sleep(0.02)
    return False


def measure(browser, url: str, server_pid: int, sessions: int, args) -> dict:
    """Open ``sessions`` pages, step each ``args.steps`` times, then play all; close them.

    Each page has a browser context of its own (its own cookies: a student's own browser).
    """
    pages = []
    for _ in range(sessions):
        page = browser.new_context(viewport={"width": 1400, "height": 1200}).new_page()
        if args.no_charts:  # the server's work only: the pages show month and panel, no charts
            page.route("**/echarts*", lambda route: route.abort())
        page.goto(url)
        page.get_by_test_id("month").wait_for(timeout=args.timeout_s * 1000)
        pages.append(page)
    time.sleep(1.0)
    latencies, timed_out = [], 0
    cpu_before = cpu_s(server_pid)
    for _ in range(args.steps):  # round-robin: one student-step per page per round
        clicked = []
        for page in pages:
            clicked.append((page, month(page), time.monotonic()))
            page.get_by_test_id("step").dispatch_event("click")
        for page, before, started in clicked:
            if wait_month(page, lambda m, before=before: m > before, args.timeout_s):
                latencies.append(time.monotonic() - started)
            else:
                timed_out += 1
    step_cpu_s = cpu_s(server_pid) - cpu_before
    student_steps = sessions * args.steps
    during_mb = rss_mb(server_pid)

    start_months = [month(page) for page in pages]
    cpu_before = cpu_s(server_pid)
    for page in pages:
        page.get_by_test_id("play").dispatch_event("click")
    started = time.monotonic()
    time.sleep(args.play_s)
    shown = [(month(page), time.monotonic()) for page in pages]
    play_cpu_s = cpu_s(server_pid) - cpu_before
    ended = time.monotonic()  # reading 30 pages takes a while; they all play on meanwhile
    months_per_s = [
        (m1 - m0) / (t1 - started)
        for (m1, t1), m0 in zip(shown, start_months, strict=True)
        if m1 >= 0 and m0 >= 0
    ] or [float("nan")]
    unanswered = sum(m1 < 0 for m1, _t in shown)
    # months the server played from the clicks to the last read, each page at its own rate
    # (a page that did not answer is counted at the median rate)
    unanswered_rate = (len(pages) - len(months_per_s)) * statistics.median(months_per_s)
    played_months = (ended - started) * (sum(months_per_s) + unanswered_rate)
    for page in pages:
        page.get_by_test_id("play").dispatch_event("click")
    for page in pages:
        page.context.close()
    latencies.sort()
    return {
        "sessions": sessions,
        "cpu_ms_per_student_step": 1000 * step_cpu_s / max(1, student_steps),
        "latency_median_s": statistics.median(latencies) if latencies else float("nan"),
        "latency_p95_s": latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "timed_out": timed_out,
        "play_months_per_s_min": min(months_per_s),
        "play_months_per_s_median": statistics.median(months_per_s),
        "play_cpu_ms_per_month": 1000 * play_cpu_s / max(1.0, played_months),
        "rss_during_mb": during_mb,
        "unanswered_on_play": unanswered,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--steps", type=int, default=10, help="Step clicks per page")
    parser.add_argument("--play-s", type=float, default=10.0, help="seconds on Play")
    parser.add_argument("--idle-s", type=float, default=10.0, help="seconds of idle CPU")
    parser.add_argument("--after-s", type=float, default=60.0, help="wait after closing")
    parser.add_argument("--timeout-s", type=float, default=60.0)
    parser.add_argument(
        "--no-charts",
        action="store_true",
        help="pages do not load ECharts (month and panel only): measures what the server "
        "sustains when the browsers are on other machines, as in a classroom",
    )
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"needs chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    session_timeout_s = 10
    load_before = os.getloadavg()
    server, url = start_server(session_timeout_s)
    try:
        time.sleep(2.0)
        cold_mb = rss_mb(server.pid)
        results = []
        with sync_playwright() as playwright:
            # playwright gives the browser a fresh temporary --user-data-dir of its own
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            warm = browser.new_page()  # imports and first render, not counted
            warm.goto(url)
            warm.get_by_test_id("month").wait_for(timeout=args.timeout_s * 1000)
            warm.context.close()
            time.sleep(session_timeout_s + 10)  # culled, and Solara's collection after it
            start_mb, start_threads = rss_mb(server.pid), threads(server.pid)
            for sessions in args.sessions:
                results.append(measure(browser, url, server.pid, sessions, args))
                print(results[-1], flush=True)
            browser.close()
        time.sleep(args.after_s)
        after_mb, after_threads = rss_mb(server.pid), threads(server.pid)
        cpu_before = cpu_s(server.pid)
        time.sleep(args.idle_s)
        idle_percent = 100 * (cpu_s(server.pid) - cpu_before) / args.idle_s
    finally:
        server.terminate()
        server.wait(timeout=30)
    load = os.getloadavg()
    print(
        f"\nclassroom app load, {os.cpu_count()} cores, load average (1, 5, 15 min) "
        f"{', '.join(f'{x:.1f}' for x in load_before)} before, "
        f"{', '.join(f'{x:.1f}' for x in load)} at the end"
    )
    print(
        "| sessions | server CPU ms per student-step | step latency median (p95) s | "
        "timed out | Play months/s per page, min (median) | server CPU ms per played month | "
        "pages not answering on Play |"
    )
    print("|---:|---:|---|---:|---|---:|---:|")
    for r in results:
        print(
            f"| {r['sessions']} | {r['cpu_ms_per_student_step']:.1f} | "
            f"{r['latency_median_s']:.2f} ({r['latency_p95_s']:.2f}) | {r['timed_out']} | "
            f"{r['play_months_per_s_min']:.1f} ({r['play_months_per_s_median']:.1f}) | "
            f"{r['play_cpu_ms_per_month']:.1f} | {r['unanswered_on_play']} |"
        )
    peak = max(r["rss_during_mb"] for r in results)
    print(
        f"\nserver memory: {cold_mb:.0f} MB at a cold start, {start_mb:.0f} MB at a warm start "
        f"(one page opened, closed and culled), {peak:.0f} MB with sessions open, "
        f"{after_mb:.0f} MB {args.after_s:.0f} s after all closed "
        f"({100 * (after_mb - start_mb) / start_mb:+.1f} % over the warm start; sessions culled "
        f"after {session_timeout_s} s); threads {start_threads} at the warm start, "
        f"{after_threads} after"
    )
    print(f"server CPU with no session connected: {idle_percent:.2f} % of a core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
