"""Run the benchmarks of ``benchmarks/configs.py`` and report them against the issue-8 targets.

Usage (also ``make bench``):
    .venv/bin/python benchmarks/run.py                  # everything, writes benchmarks/RESULTS.md
    .venv/bin/python benchmarks/run.py --quick          # fewer replications, quick experiments
    .venv/bin/python benchmarks/run.py --only default regional_1k --no-experiments --no-write

Each configuration runs in a fresh subprocess: imports and a warm-up run first, then
``run_model(params, steps, seed)`` once per replication, timed in-process with wall-clock time
(``time.perf_counter``) and CPU time of the process (``time.process_time``). The table gives the
median wall time against the target; the CPU-time median is shown beside it because the machine
may be shared (the load average before and after is recorded). Also measured: the scaling exponent
of the time per step between 1,000 and 10,000 firms, the time of ``symbiosis --help`` in a new
process, and, when ``benchmarks/bench_experiments.py`` exists, its throughput and memory numbers.
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import configs  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
EXPERIMENTS_BENCH = Path(__file__).resolve().parent / "bench_experiments.py"


# --- measuring one configuration (in a subprocess) ----------------------------------------------


def measure(name: str, replications: int) -> dict:
    """Time ``replications`` runs of configuration ``name`` after a warm-up run."""
    from simulation.runner import run_model

    config = configs.CONFIGS[name]
    params = dict(config["params"])
    if config.get("scenario"):
        from scenarios.loader import load_scenario

        params = load_scenario(config["scenario"]).overrides | params
    run_model(params, 3, 10_000)  # warm-up: caches, lazy imports
    wall, cpu = [], []
    result = None
    for seed in range(replications):
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        result = run_model(params, config["steps"], seed)
        wall.append(time.perf_counter() - started_wall)
        cpu.append(time.process_time() - started_cpu)
    return {
        "name": name,
        "firms": result.summary["n_firms"],
        "steps": config["steps"],
        "replications": replications,
        "wall_s": wall,
        "cpu_s": cpu,
        "exchanges_last_run": len(result.exchanges),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_in_subprocess(name: str, replications: int) -> dict:
    """Run ``measure`` in a fresh interpreter, so runs do not share caches or memory peaks."""
    command = [sys.executable, __file__, "_measure", name, str(replications)]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def help_seconds(replications: int) -> list[float]:
    """Wall time of ``symbiosis --help`` in a new process, ``replications`` times."""
    script = Path(sys.executable).parent / "symbiosis"
    command = (
        [str(script), "--help"]
        if script.exists()
        else [
            sys.executable,
            "-c",
            "import sys; from interfaces.cli import main; sys.exit(main())",
            "--help",
        ]
    )
    times = []
    for _ in range(replications):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return times


def experiments_benchmark(quick: bool) -> dict | None:
    """Run the experiments helper's benchmark if it exists; keep its output and headline numbers."""
    if not EXPERIMENTS_BENCH.exists():
        return None
    command = [sys.executable, str(EXPERIMENTS_BENCH)]
    if quick:
        command += ["--runs", "16", "--steps", "60", "--small", "100", "--large", "1000"]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    text = out.stdout + out.stderr
    speedup = re.search(r"speed-up with 2 workers:\s*([0-9.]+)x", text)
    growth = re.search(r"main-process peak grows by\s*(-?[0-9.]+)\s*MB.*?:\s*(flat|NOT FLAT)", text)
    return {
        "command": " ".join(["benchmarks/bench_experiments.py", *command[2:]]),
        "returncode": out.returncode,
        "output": text.strip(),
        "speedup": float(speedup.group(1)) if speedup else None,
        "memory_growth_mb": float(growth.group(1)) if growth else None,
        "memory_flat": growth.group(2) == "flat" if growth else None,
    }


# --- reporting ----------------------------------------------------------------------------------


def machine() -> dict:
    """CPU model, cores, Python and library versions, date and commit of this measurement."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import mesa
    import numpy

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit or "unknown",
    }


def row(measured: dict) -> dict:
    """One line of the table for a measured configuration."""
    config = configs.CONFIGS[measured["name"]]
    median_s = statistics.median(measured["wall_s"])
    target = config["target_s"]
    return {
        "config": measured["name"],
        "what": config["label"],
        "firms": measured["firms"],
        "steps": measured["steps"],
        "runs": measured["replications"],
        "median_s": median_s,
        "cpu_s": statistics.median(measured["cpu_s"]),
        "per_step_ms": 1000 * median_s / measured["steps"],
        "peak_mb": measured["peak_rss_mb"],
        "target": f"< {target:g} s" if target is not None else "-",
        "ok": None if target is None else median_s < target,
    }


def verdict(ok: bool | None) -> str:
    """Pass/fail cell."""
    return "-" if ok is None else ("pass" if ok else "FAIL")


def scaling(rows: dict[str, dict]) -> dict | None:
    """Exponent of time per step between the small and the large scaling configuration."""
    small, large = rows.get(configs.SCALING["small"]), rows.get(configs.SCALING["large"])
    if small is None or large is None:
        return None
    firms_ratio = math.log(large["firms"] / small["firms"])
    exponent = math.log(large["per_step_ms"] / small["per_step_ms"]) / firms_ratio
    cpu_exponent = (
        math.log((large["cpu_s"] / large["steps"]) / (small["cpu_s"] / small["steps"]))
        / firms_ratio
    )
    return {
        "between": f"{small['firms']:,} and {large['firms']:,} firms",
        "exponent": exponent,
        "cpu_exponent": cpu_exponent,
        "target": f"<= {configs.SCALING['max_exponent']}",
        "ok": exponent <= configs.SCALING["max_exponent"],
    }


def render(
    info: dict,
    rows: list[dict],
    scale: dict | None,
    help_times: list[float] | None,
    experiments: dict | None,
    load: tuple[tuple[float, ...], tuple[float, ...]],
) -> str:
    """The results as Markdown (printed, and written to RESULTS.md)."""
    lines = [
        "# Benchmark results",
        "",
        "Measured by `benchmarks/run.py` (`make bench`); configurations in "
        "`benchmarks/configs.py`.",
        "",
        f"- Machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, "
        f"NumPy {info['numpy']}, Mesa {info['mesa']}",
        f"- Date: {info['date']}, commit {info['commit']}",
        f"- Load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load[0])}; "
        f"after: {', '.join(f'{x:.2f}' for x in load[1])}. Other processes may share the CPU: "
        "the median wall time is what the targets are checked on, the median CPU time of the "
        "process is given beside it.",
        "",
        "| config | what | firms | steps | runs | median s | CPU s | per step ms | peak MB "
        "| target | result |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['config']} | {r['what']} | {r['firms']:,} | {r['steps']} | "
            f"{r['runs']} | {r['median_s']:.3f} | {r['cpu_s']:.3f} | "
            f"{r['per_step_ms']:.2f} | {r['peak_mb']:.0f} | {r['target']} | "
            f"{verdict(r['ok'])} |"
        )
    if help_times:
        median_help = statistics.median(help_times)
        lines.append(
            f"| help | `symbiosis --help`, new process | - | - | {len(help_times)} | "
            f"{median_help:.3f} | - | - | - | < {configs.HELP_TARGET_S:g} s | "
            f"{verdict(median_help < configs.HELP_TARGET_S)} |"
        )
    if experiments is not None and experiments["speedup"] is not None:
        lines.append(
            f"| experiments | runs/s with 2 local workers vs 1 | - | - | - | "
            f"{experiments['speedup']:.2f}x | - | - | - | >= 1.7x | "
            f"{verdict(experiments['speedup'] >= 1.7)} |"
        )
    if experiments is not None and experiments["memory_growth_mb"] is not None:
        lines.append(
            f"| sweep memory | main-process peak, 10x more runs | - | - | - | "
            f"{experiments['memory_growth_mb']:+.1f} MB | - | - | - | flat | "
            f"{verdict(experiments['memory_flat'])} |"
        )
    lines.append("")
    if scale:
        lines.append(
            f"Scaling of the time per step between {scale['between']}: "
            f"n^{scale['exponent']:.2f} (CPU time: n^{scale['cpu_exponent']:.2f}), "
            f"target {scale['target']}: {verdict(scale['ok'])}."
        )
        lines.append("")
    if experiments is not None:
        lines += [
            "## Experiments (benchmarks/bench_experiments.py)",
            "",
            f"Output of `{experiments['command']}` (exit status {experiments['returncode']}):",
            "",
            "```",
            experiments["output"],
            "```",
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    """Run the chosen benchmarks, print the table, write RESULTS.md; 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=sorted(configs.CONFIGS),
        metavar="CONFIG",
        help="configurations to run (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer replications")
    parser.add_argument(
        "--no-experiments", action="store_true", help="skip benchmarks/bench_experiments.py"
    )
    parser.add_argument("--no-help", action="store_true", help="skip timing `symbiosis --help`")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    if len(sys.argv) == 4 and sys.argv[1] == "_measure":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))
        return 0
    args = parser.parse_args()

    load_before = os.getloadavg()
    rows = []
    for name in args.only or list(configs.CONFIGS):
        replications = (
            configs.QUICK_REPLICATIONS[name]
            if args.quick
            else configs.CONFIGS[name]["replications"]
        )
        print(f"{name}: {replications} run(s) ...", file=sys.stderr, flush=True)
        rows.append(row(measure_in_subprocess(name, replications)))
    help_times = None if args.no_help else help_seconds(configs.HELP_REPLICATIONS)
    experiments = None
    if not args.no_experiments:
        print("experiments benchmark ...", file=sys.stderr, flush=True)
        experiments = experiments_benchmark(args.quick)
    load_after = os.getloadavg()

    scale = scaling({r["config"]: r for r in rows})
    text = render(machine(), rows, scale, help_times, experiments, (load_before, load_after))
    print(text)
    if not args.no_write:
        RESULTS.write_text(text + "\n")
        print(f"written {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    checks = [r["ok"] for r in rows if r["ok"] is not None]
    if help_times:
        checks.append(statistics.median(help_times) < configs.HELP_TARGET_S)
    if scale:
        checks.append(scale["ok"])
    if experiments and experiments["speedup"] is not None:
        checks.append(experiments["speedup"] >= 1.7)
    if experiments and experiments["memory_flat"] is not None:
        checks.append(experiments["memory_flat"])
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
