"""Golden outputs: per-column hashes of ``symbiosis run`` and a small ``compare`` on every park.

Recorded once before a change that must not alter numbers (``python tests/golden/record.py``);
``tests/test_golden.py`` reruns the same commands and compares. Hashes are kept per column (and
per summary key) so that added columns and keys do not break the comparison; a changed or
missing one does. Columns that hold times or run keys are left out: they are not model outputs.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pandas as pd

GOLDEN_FILE = Path(__file__).with_name("hashes.json")
CHECKOUT = Path(__file__).resolve().parents[2]
PARKS = ("synthetic", "kemi_tornio", "kokkola", "kalundborg", "regional")
SEEDS = (1, 2, 3, 4, 5)
COMPARE_STEPS = 36
VOLATILE_COLUMNS = {"run_key", "elapsed_s", "finished_utc", "fingerprint"}
VOLATILE_KEYS = {"package_version", "fingerprint"}


# Significant digits a float keeps before hashing. NumPy picks its SIMD kernels by CPU (AVX-512
# or not), and they round the last bits differently: on two machines the same run's firm
# benefits differed by 3e-15 relatively (4207.410327179568 against ...554). Ten digits keep
# every real change of a number and none of that noise.
FLOAT_DIGITS = 10


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _canonical(text: str) -> str:
    """A CSV cell as hashed: a float to ``FLOAT_DIGITS`` significant digits, anything else as is."""
    looks_like_float = ("." in text or "e" in text.lower()) and any(c.isdigit() for c in text)
    if not looks_like_float:
        return text
    try:
        return f"{float(text):.{FLOAT_DIGITS}g}"
    except ValueError:
        return text


def _rounded(value: Any) -> Any:
    """A JSON value with its floats to ``FLOAT_DIGITS`` significant digits."""
    if isinstance(value, float):
        return float(f"{value:.{FLOAT_DIGITS}g}")
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def _table_hashes(path: Path) -> dict[str, str]:
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {
        column: _digest("\n".join(_canonical(cell) for cell in table[column]))
        for column in table.columns
        if column not in VOLATILE_COLUMNS
    }


def _flatten(value: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        flat: dict[str, str] = {}
        for key, item in value.items():
            if key not in VOLATILE_KEYS:
                flat.update(_flatten(item, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): _digest(json.dumps(_rounded(_portable(value)), sort_keys=True))}


def _portable(value: Any) -> Any:
    """A path inside the checkout as seen from its root (``scenarios/baseline.toml``).

    summary.json records where its scenario file was; hashed as it is, the golden outputs would
    hold only in the folder they were recorded in, and fail on every other clone.
    """
    if isinstance(value, str) and Path(value).is_absolute():
        path = Path(value).resolve()
        if path.is_relative_to(CHECKOUT):
            return path.relative_to(CHECKOUT).as_posix()
    return value


def _folder_hashes(folder: Path, names: tuple[str, ...]) -> dict[str, dict[str, str]]:
    hashes = {}
    for name in names:
        path = folder / name
        if name.endswith(".csv"):
            hashes[name] = _table_hashes(path)
        else:
            hashes[name] = _flatten(json.loads(path.read_text()))
    return hashes


def _cli(argv: list[str]) -> None:
    from interfaces.cli import main

    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        status = main(argv)
    if status:
        raise RuntimeError(f"symbiosis {' '.join(argv)} exited {status}")


def compute() -> dict[str, dict[str, dict[str, str]]]:
    """Run every golden command into a temporary folder and hash its outputs."""
    golden: dict[str, dict[str, dict[str, str]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for park in PARKS:
            for seed in SEEDS:
                out = Path(tmp) / f"run-{park}-{seed}"
                _cli(
                    [
                        "run",
                        "baseline",
                        "--park",
                        park,
                        "--seed",
                        str(seed),
                        "--no-figure",
                        "--out",
                        str(out),
                    ]
                )
                golden[f"run {park} seed {seed}"] = _folder_hashes(
                    out, ("timeseries.csv", "exchanges.csv", "firms.csv", "summary.json")
                )
            out = Path(tmp) / f"compare-{park}"
            _cli(
                [
                    "compare",
                    "baseline",
                    "landfill_tax",
                    "--park",
                    park,
                    "--replications",
                    "2",
                    "--steps",
                    str(COMPARE_STEPS),
                    "--seed",
                    "1",
                    "--workers",
                    "1",
                    "--quiet",
                    "--out",
                    str(out),
                ]
            )
            golden[f"compare {park}"] = _folder_hashes(out, ("runs.csv", "comparison.csv"))
    return golden


if __name__ == "__main__":
    GOLDEN_FILE.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN_FILE}", file=sys.stderr)
