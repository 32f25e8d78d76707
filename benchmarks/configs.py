"""Benchmark configurations, small and large, in the style of Mesa's benchmarks/configurations.py.

Each configuration is one ``run_model(params, steps, seed)`` call repeated over ``replications``
seeds after a warm-up run, timed in-process (imports excluded); ``params`` are overrides on top of
the optional built-in ``scenario``. ``target_s`` is the issue-8 target for the median run, or
None for configurations measured for information only.
"""

from __future__ import annotations

from typing import Any

# The World Bank (2021) mix of all three recommendations (scenario world_bank_mix) with firms
# leaving and entering: every mechanism of the model (platform matching, workshops, brokering,
# contracts, grants, shared infrastructure, exits) is exercised.
_CHURN = {"exit_rate_per_year": 0.05}

CONFIGS: dict[str, dict[str, Any]] = {
    "default": {
        "label": "default park (synthetic)",
        "size": "small",
        "params": {},
        "steps": 120,
        "replications": 21,
        "target_s": 0.1,
    },
    "default_all_mechanisms": {
        "label": "default park, all mechanisms",
        "size": "small",
        "scenario": "world_bank_mix",
        "params": _CHURN,
        "steps": 120,
        "replications": 11,
        "target_s": None,
    },
    "regional_1k": {
        "label": "regional park",
        "size": "large",
        "params": {"park": "regional", "n_firms": 1_000},
        "steps": 120,
        "replications": 5,
        "target_s": 3.0,
    },
    "regional_10k": {
        "label": "regional park",
        "size": "large",
        "params": {"park": "regional", "n_firms": 10_000},
        "steps": 120,
        "replications": 3,
        "target_s": 60.0,
    },
    "regional_10k_all_mechanisms": {
        "label": "regional park, all mechanisms",
        "size": "large",
        "scenario": "world_bank_mix",
        "params": {"park": "regional", "n_firms": 10_000, **_CHURN},
        "steps": 120,
        "replications": 1,
        "target_s": 60.0,
    },
}

# Time per step may grow no faster than n ** MAX_EXPONENT between these two configurations.
SCALING = {"small": "regional_1k", "large": "regional_10k", "max_exponent": 1.3}

HELP_TARGET_S = 1.0  # `symbiosis --help`
HELP_REPLICATIONS = 7

# Fewer replications with --quick (a smoke test of the benchmark itself).
QUICK_REPLICATIONS = {
    "default": 7,
    "default_all_mechanisms": 3,
    "regional_1k": 2,
    "regional_10k": 1,
    "regional_10k_all_mechanisms": 1,
}
