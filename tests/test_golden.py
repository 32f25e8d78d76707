"""Regression: ``symbiosis run`` (seeds 1-5, every built-in park) and a small ``compare`` give
the outputs recorded in tests/golden/hashes.json, column by column.

A change that must alter numbers re-records them (``python tests/golden/record.py``) and says in
its commit which numbers changed and why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).with_name("golden")))

import record  # noqa: E402


def test_outputs_equal_the_recorded_golden_hashes():
    expected = json.loads(record.GOLDEN_FILE.read_text())
    actual = record.compute()
    assert sorted(actual) == sorted(expected)
    changed = []
    for command, files in expected.items():
        for name, columns in files.items():
            for column, digest in columns.items():
                got = actual[command].get(name, {}).get(column)
                if got != digest:
                    changed.append(f"{command}: {name} {column}")
    assert not changed, f"{len(changed)} outputs changed, first: {changed[:5]}"


def test_hashes_ignore_the_last_bits_of_a_float_but_not_a_real_change():
    # The two values one run gave on CPUs with and without AVX-512 (NumPy's SIMD kernels).
    assert record._canonical("4207.410327179568") == record._canonical("4207.410327179554")
    assert record._canonical("4207.410327179568") != record._canonical("4207.410337179568")
    assert record._canonical("energy 12") == "energy 12"
    assert record._canonical("-1") == "-1"
    assert record._rounded([0.1 + 0.2, 2]) == [0.3, 2]
