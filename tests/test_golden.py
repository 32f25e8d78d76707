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
