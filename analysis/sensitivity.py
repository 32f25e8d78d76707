"""Global sensitivity analysis with SALib: designs, indices, seed noise and convergence.

The same core analyses the model (through the experiment engine, see ``analyse_model``) and any
Python function of named parameters (``analyse_function``), so the pipeline is checked on analytic
test functions with known indices (Ishigami, Sobol G).
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scenarios.errors import InputError
from simulation.experiments.seeds import replication_seeds

METHODS: tuple[str, ...] = ("sobol", "morris", "fast", "pawn")
METHOD_NAMES = {
    "sobol": "Sobol (Saltelli/Jansen estimators, Sobol-sequence design)",
    "morris": "Morris elementary effects",
    "fast": "extended FAST (eFAST)",
    "pawn": "PAWN (moment-independent, Kolmogorov-Smirnov)",
}
# The index each method is usually read by (the one plotted and ranked by default).
MAIN_INDEX = {"sobol": "ST", "morris": "mu_star", "fast": "ST", "pawn": "pawn_median"}
INDEX_COLUMNS = ("output", "method", "parameter", "index", "value", "conf")
CONVERGENCE_COLUMNS = ("output", "method", "parameter", "index", "samples", "runs", "value", "conf")
NOISE_COLUMNS = (
    "output",
    "points",
    "replications",
    "mean",
    "var_point_means",
    "mean_within_var",
    "common_seed_var",
    "residual_noise_var",
    "noise_var_of_means",
    "noise_share_of_means",
    "noise_share_independent",
    "parametric_var",
    "raw_noise_share",
    "nan_replaced",
    "note",
)
NOISE_WARNING_SHARE = 0.2  # above this share of noise in the point means, the notes warn
CONF_LEVEL = 0.95  # confidence intervals are 95% half-widths throughout
NUM_RESAMPLES = 100  # bootstrap resamples for confidence intervals (SALib's default)
INTERACTION = ":"  # second-order Sobol terms are named "a:b", as interactions in R formulas

# Options each method accepts (``--second-order`` etc. in the CLI), with their defaults.
METHOD_OPTIONS: dict[str, dict[str, Any]] = {
    "sobol": {"second_order": False, "num_resamples": NUM_RESAMPLES},
    "morris": {"levels": 4, "optimal_trajectories": None, "num_resamples": NUM_RESAMPLES},
    "fast": {"harmonics": 4, "num_resamples": NUM_RESAMPLES, "convergence": False},
    "pawn": {"slides": 10, "num_resamples": NUM_RESAMPLES},
}
PAWN_MIN_POINTS_PER_SLIDE = 10  # fewer points per conditioning slide make the KS test too coarse


class SensitivityError(InputError):
    """A sensitivity analysis that cannot run as asked (method, sample size, ranges, outputs)."""


# --- The problem: which parameters vary over which ranges ---------------------------------------


@dataclass(frozen=True)
class Problem:
    """Parameters varied in an analysis, their ranges, and which take whole-number values.

    Integer parameters are sampled on ``[low - 0.5, high + 0.5]`` and rounded half up, then
    clipped to ``[low, high]``, so that each whole value has the same weight (Morris samples
    them on ``[low, high]`` so that the grid ends on the bounds).

    Attributes:
        names: Parameter names, in design-column order.
        bounds: ``(low, high)`` of each parameter, in its unit.
        integer: Whether each parameter takes whole-number values (samples rounded).
    """

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    integer: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if not self.integer:
            object.__setattr__(self, "integer", tuple(False for _ in self.names))
        if not self.names:
            raise SensitivityError("a sensitivity analysis needs at least one parameter")
        if len(set(self.names)) != len(self.names):
            raise SensitivityError(f"parameters named twice in {list(self.names)}")
        if not len(self.names) == len(self.bounds) == len(self.integer):
            raise SensitivityError("names, bounds and integer flags differ in length")
        for name, (low, high) in zip(self.names, self.bounds, strict=True):
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise SensitivityError(f"{name}: range [{low:g}, {high:g}] must have low < high")

    @classmethod
    def from_bounds(
        cls, bounds: Mapping[str, tuple[float, float]], integer: Iterable[str] = ()
    ) -> Problem:
        """A problem from ``{name: (low, high)}``; ``integer`` names whole-number parameters."""
        whole = set(integer)
        unknown = whole - set(bounds)
        if unknown:
            raise SensitivityError(f"integer parameters {sorted(unknown)} have no range")
        return cls(
            tuple(bounds),
            tuple((float(lo), float(hi)) for lo, hi in bounds.values()),
            tuple(name in whole for name in bounds),
        )

    def salib(self, method: str) -> dict[str, Any]:
        """The SALib problem dict (integer ranges widened by half a unit except for Morris)."""
        widen = 0.0 if method == "morris" else 0.5
        bounds = [
            [low - widen, high + widen] if whole else [low, high]
            for (low, high), whole in zip(self.bounds, self.integer, strict=True)
        ]
        return {"num_vars": len(self.names), "names": list(self.names), "bounds": bounds}

    def values(self, design: np.ndarray) -> np.ndarray:
        """The parameter values actually run: integer columns rounded half up and clipped."""
        values = np.array(design, dtype=float, copy=True)
        for column, ((low, high), whole) in enumerate(zip(self.bounds, self.integer, strict=True)):
            if whole:
                values[:, column] = np.clip(np.floor(values[:, column] + 0.5), low, high)
        return values


# --- Designs: the sample points each method needs ------------------------------------------------


@dataclass(frozen=True)
class Design:
    """The sample points of one analysis.

    Attributes:
        method: One of ``METHODS``.
        problem: What varies.
        samples: The method's sample-size setting (Sobol base N, Morris trajectories, eFAST
            points per search curve, PAWN points).
        options: Method options, defaults filled in.
        seed: Seed of the sampler and of the bootstrap confidence intervals.
        design: Points as SALib laid them out, shape ``(points, parameters)``. eFAST with the
            ``convergence`` option stacks the search curves of N, N/2 and N/4 points, in that
            order (``rows_of`` finds each).
        values: Points as run (integer parameters rounded), same shape.
    """

    method: str
    problem: Problem
    samples: int
    options: dict[str, Any]
    seed: int
    design: np.ndarray
    values: np.ndarray

    @property
    def points(self) -> int:
        """Number of sample points (model evaluations per replication)."""
        return int(self.design.shape[0])

    def rows_per_sample(self) -> int:
        """Design rows per unit of ``samples`` (rows come in blocks of this size)."""
        d = len(self.problem.names)
        if self.method == "sobol":
            return 2 * d + 2 if self.options["second_order"] else d + 2
        if self.method == "morris":
            return d + 1
        if self.method == "fast":
            return d  # one search curve of ``samples`` points per parameter (not a prefix)
        return 1

    def subsets(self) -> list[int]:
        """Sample sizes (N/4, N/2, N) on which convergence is checked.

        Each is a prefix of the design that is itself a valid design of that size. An eFAST
        design cannot be cut (a shorter search curve needs other frequencies), so eFAST has
        them only with the ``convergence`` option, which adds separate smaller curves.
        """
        if self.method == "fast":
            return sorted(self.curve_sizes()) if len(self.curve_sizes()) > 1 else []
        full = self.used_samples()
        sizes = sorted({full // 4, full // 2, full})
        return [
            n
            for n in sizes
            if _minimum_samples(self.method, n, len(self.problem.names), self.options) is None
        ]

    def used_samples(self) -> int:
        """Sample-size units actually in the design (Morris with optimal trajectories: fewer)."""
        if self.method in ("sobol", "morris"):
            return self.points // self.rows_per_sample()
        return self.samples

    def curve_sizes(self) -> list[int]:
        """eFAST: points per search curve of each stacked design, the main one (N) first."""
        if self.method != "fast":
            return []
        return [self.samples, *fast_convergence_sizes(self.samples, self.options)]

    def rows_of(self, n_samples: int | None = None) -> slice:
        """Design rows of the (sub)design of ``n_samples`` units (default: the whole analysis).

        Raises:
            SensitivityError: If an eFAST design has no search curve of that size.
        """
        n_samples = self.used_samples() if n_samples is None else int(n_samples)
        if self.method != "fast":
            return slice(0, n_samples * self.rows_per_sample())
        start = 0
        for size in self.curve_sizes():
            if size == n_samples:
                return slice(start, start + size * self.rows_per_sample())
            start += size * self.rows_per_sample()
        raise SensitivityError(
            f"this eFAST design has no search curve of {n_samples} points "
            f"(it has {', '.join(map(str, self.curve_sizes()))})"
        )


def fast_convergence_sizes(samples: int, options: Mapping[str, Any]) -> list[int]:
    """Smaller eFAST curves run for the convergence check: N/2 and N/4 where > 4 M^2."""
    if not options.get("convergence"):
        return []
    limit = 4 * options["harmonics"] ** 2
    return [n for n in (samples // 2, samples // 4) if n > limit]


def method_options(method: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The method's options with defaults filled in.

    Raises:
        SensitivityError: On an unknown method or an option the method does not take.
    """
    if method not in METHODS:
        raise SensitivityError(f"unknown method {method!r} (methods: {', '.join(METHODS)})")
    allowed = METHOD_OPTIONS[method]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise SensitivityError(
            f"{method} takes no option {unknown[0]!r} (options: {', '.join(allowed)})"
        )
    return {**allowed, **{k: v for k, v in options.items() if v is not None}}


def _is_power_of_two(n: int) -> bool:
    return n >= 1 and n & (n - 1) == 0


def _minimum_samples(
    method: str, samples: int, n_params: int, options: Mapping[str, Any]
) -> str | None:
    """Why ``samples`` does not suit the method, or None if it does."""
    if method == "sobol":
        if not _is_power_of_two(samples) or samples < 4:
            lower = 2 ** max(2, math.floor(math.log2(max(samples, 1))))
            return (
                f"Sobol needs a power of two of at least 4 base samples, got {samples} "
                f"(try {lower} or {2 * lower}; the Sobol sequence is balanced only at "
                "powers of two)"
            )
    elif method == "morris":
        if samples < 2:
            return f"Morris needs at least 2 trajectories, got {samples}"
    elif method == "fast":
        harmonics = options["harmonics"]
        if samples <= 4 * harmonics**2:
            return (
                f"eFAST needs more than 4*M^2 = {4 * harmonics**2} points per search "
                f"curve with M = {harmonics} harmonics, got {samples}"
            )
    elif method == "pawn":
        needed = PAWN_MIN_POINTS_PER_SLIDE * options["slides"]
        if samples < needed:
            return (
                f"PAWN needs at least {PAWN_MIN_POINTS_PER_SLIDE} points per conditioning "
                f"slide, so {needed} points with {options['slides']} slides, got {samples}"
            )
    return None


def check_sample_size(method: str, samples: int, n_params: int, **options: Any) -> dict[str, Any]:
    """Check that the sample size and options suit the method; return the full options.

    Raises:
        SensitivityError: With a one-line reason when they do not.
    """
    full = method_options(method, options)
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer):
        raise SensitivityError(f"samples must be a whole number, got {samples!r}")
    reason = _minimum_samples(method, int(samples), n_params, full)
    if reason:
        raise SensitivityError(reason)
    if method == "morris":
        levels = full["levels"]
        if not isinstance(levels, int) or levels < 2 or levels % 2:
            raise SensitivityError(f"Morris needs an even number of levels >= 2, got {levels!r}")
        optimal = full["optimal_trajectories"]
        if optimal is not None and not (isinstance(optimal, int) and 2 <= optimal < samples):
            raise SensitivityError(
                f"Morris optimal_trajectories must be a whole number from 2 "
                f"to {samples - 1} (chosen among {samples}), got {optimal!r}"
            )
    if method == "fast" and (not isinstance(full["harmonics"], int) or full["harmonics"] < 1):
        raise SensitivityError(
            f"eFAST harmonics M must be a whole number >= 1, got {full['harmonics']!r}"
        )
    if method == "fast" and not isinstance(full["convergence"], bool):
        raise SensitivityError(
            f"eFAST convergence must be true or false, got {full['convergence']!r}"
        )
    if method == "fast" and full["convergence"] and not fast_convergence_sizes(samples, full):
        limit = 4 * full["harmonics"] ** 2
        raise SensitivityError(
            f"eFAST convergence needs a second search curve of N/2 > 4*M^2 "
            f"= {limit} points, so at least {2 * limit + 2} points, "
            f"got {samples}"
        )
    if method == "pawn" and (not isinstance(full["slides"], int) or full["slides"] < 2):
        raise SensitivityError(f"PAWN needs at least 2 slides, got {full['slides']!r}")
    if "num_resamples" in full and (
        not isinstance(full["num_resamples"], int) or full["num_resamples"] < 2
    ):
        raise SensitivityError(
            f"num_resamples must be a whole number >= 2, got {full['num_resamples']!r}"
        )
    return full


def derived_seed(root_seed: int, purpose: str) -> int:
    """A positive 32-bit seed for one purpose ("design", "bootstrap"), spawned from the root.

    Every byte of ``purpose`` enters the entropy, so purposes sharing a prefix ("design",
    "design-300") get unrelated seeds.
    """
    entropy = [int(root_seed) % (2**63), *purpose.encode()]
    state = np.random.SeedSequence(entropy).generate_state(1)[0]
    return int(state) % (2**31 - 2) + 1  # SALib treats seed 0 as "unseeded"


def make_design(
    problem: Problem, method: str, samples: int, *, seed: int, **options: Any
) -> Design:
    """Sample the points the method needs (SALib's current samplers).

    Args:
        problem: What varies.
        method: One of ``METHODS``.
        samples: Sobol base N (power of two), Morris trajectories, eFAST points per search curve
            (> 4 M^2), or PAWN points (Latin hypercube).
        seed: Root seed; the sampler's seed is spawned from it.
        **options: Method options (see ``METHOD_OPTIONS``).

    Raises:
        SensitivityError: If the sample size or an option does not suit the method.
    """
    full = check_sample_size(method, samples, len(problem.names), **options)
    salib_problem = problem.salib(method)
    sampler_seed = derived_seed(seed, "design")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=FutureWarning)
        if method == "sobol":
            from SALib.sample import sobol as sampler

            design = sampler.sample(
                salib_problem,
                samples,
                calc_second_order=full["second_order"],
                scramble=True,
                seed=sampler_seed,
            )
        elif method == "morris":
            from SALib.sample import morris as sampler

            design = sampler.sample(
                salib_problem,
                samples,
                num_levels=full["levels"],
                optimal_trajectories=full["optimal_trajectories"],
                seed=sampler_seed,
            )
        elif method == "fast":
            from SALib.sample import fast_sampler as sampler

            curves = [
                sampler.sample(salib_problem, samples, M=full["harmonics"], seed=sampler_seed)
            ]
            for size in fast_convergence_sizes(samples, full):
                curves.append(
                    sampler.sample(
                        salib_problem,
                        size,
                        M=full["harmonics"],
                        seed=derived_seed(seed, f"design-{size}"),
                    )
                )
            design = np.concatenate(curves)
        else:
            from SALib.sample import latin as sampler

            design = sampler.sample(salib_problem, samples, seed=sampler_seed)
    design = np.asarray(design, dtype=float)
    return Design(method, problem, int(samples), full, int(seed), design, problem.values(design))


# --- Analysis of responses -----------------------------------------------------------------------


def _rows(
    output: str,
    method: str,
    names: Iterable[str],
    index: str,
    values: Iterable[float],
    confs: Iterable[float] | None,
) -> list[dict[str, Any]]:
    values = list(values)
    confs = list(confs) if confs is not None else [math.nan] * len(values)
    return [
        {
            "output": output,
            "method": method,
            "parameter": name,
            "index": index,
            "value": float(value),
            "conf": float(conf),
        }
        for name, value, conf in zip(names, values, confs, strict=True)
    ]


def _nan_rows(output: str, design: Design) -> list[dict[str, Any]]:
    """Rows of NaN for every index the method reports (output constant or undefined)."""
    names = design.problem.names
    rows = []
    for index in _index_names(design):
        if INTERACTION in index:
            continue
        rows += _rows(output, design.method, names, index, [math.nan] * len(names), None)
    if design.method == "sobol" and design.options["second_order"]:
        pairs = [f"{a}{INTERACTION}{b}" for i, a in enumerate(names) for b in names[i + 1 :]]
        rows += _rows(output, "sobol", pairs, "S2", [math.nan] * len(pairs), None)
    return rows


def _index_names(design: Design) -> tuple[str, ...]:
    return {
        "sobol": ("S1", "ST"),
        "morris": ("mu_star", "sigma", "mu"),
        "fast": ("S1", "ST"),
        "pawn": ("pawn_median", "pawn_mean", "pawn_max"),
    }[design.method]


def indices_of(
    design: Design, response: np.ndarray, output: str, n_samples: int | None = None
) -> list[dict[str, Any]]:
    """Sensitivity indices of one output from its responses at the design points.

    Args:
        design: The design the responses belong to.
        response: One value per design point (replication means), in design order.
        output: Output name written in the ``output`` column.
        n_samples: Use only the first ``n_samples`` units of the design (a nested prefix, for
            convergence); default all.

    Returns:
        Rows with the ``INDEX_COLUMNS``. Where the output does not vary over the points (or has
        NaN), the variance-based indices are undefined and reported as NaN.
    """
    rows = design.rows_of(n_samples)
    y = np.asarray(response, dtype=float)[rows]
    x = design.design[rows]
    names = design.problem.names
    problem = design.problem.salib(design.method)
    options = design.options
    boot_seed = derived_seed(design.seed, "bootstrap")
    if not np.all(np.isfinite(y)) or np.ptp(y) == 0.0:
        return _nan_rows(output, design)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="FAST confidence intervals")
        if design.method == "sobol":
            from SALib.analyze import sobol

            si = sobol.analyze(
                problem,
                y,
                calc_second_order=options["second_order"],
                num_resamples=options["num_resamples"],
                conf_level=CONF_LEVEL,
                seed=boot_seed,
            )
            found = _rows(output, "sobol", names, "S1", si["S1"], si["S1_conf"]) + _rows(
                output, "sobol", names, "ST", si["ST"], si["ST_conf"]
            )
            if options["second_order"]:
                pairs, values, confs = [], [], []
                for i, a in enumerate(names):
                    for j in range(i + 1, len(names)):
                        pairs.append(f"{a}{INTERACTION}{names[j]}")
                        values.append(si["S2"][i, j])
                        confs.append(si["S2_conf"][i, j])
                found += _rows(output, "sobol", pairs, "S2", values, confs)
            return found
        if design.method == "morris":
            from SALib.analyze import morris

            si = morris.analyze(
                problem,
                x,
                y,
                num_resamples=options["num_resamples"],
                conf_level=CONF_LEVEL,
                num_levels=options["levels"],
                seed=boot_seed,
            )
            return (
                _rows(output, "morris", names, "mu_star", si["mu_star"], si["mu_star_conf"])
                + _rows(output, "morris", names, "sigma", si["sigma"], None)
                + _rows(output, "morris", names, "mu", si["mu"], None)
            )
        if design.method == "fast":
            from SALib.analyze import fast

            # SALib's eFAST bootstrap draws from NumPy's global generator; keep it untouched.
            state = np.random.get_state()
            try:
                si = fast.analyze(
                    problem,
                    y,
                    M=options["harmonics"],
                    num_resamples=options["num_resamples"],
                    conf_level=CONF_LEVEL,
                    seed=boot_seed,
                )
            finally:
                np.random.set_state(state)
            return _rows(output, "fast", names, "S1", si["S1"], si["S1_conf"]) + _rows(
                output, "fast", names, "ST", si["ST"], si["ST_conf"]
            )
        from SALib.analyze import pawn

        si = pawn.analyze(problem, x, y, S=options["slides"])
        conf = pawn_confidence(x, y, options["slides"], options["num_resamples"], boot_seed)
        return (
            _rows(output, "pawn", names, "pawn_median", si["median"], conf["median"])
            + _rows(output, "pawn", names, "pawn_mean", si["mean"], conf["mean"])
            + _rows(output, "pawn", names, "pawn_max", si["maximum"], conf["maximum"])
        )


def pawn_slide_distances(x: np.ndarray, y: np.ndarray, slides: int) -> np.ndarray:
    """Kolmogorov-Smirnov distance between each conditional sample and the whole sample.

    The conditioning slides of each input lie between its quantiles, exactly as in SALib's
    ``pawn.analyze`` (so that the bootstrap below resamples the statistic SALib reports); this
    vectorised version exists only because calling SALib once per bootstrap resample is slow
    (it also computes p-values that PAWN does not use).

    Args:
        x: Inputs, shape ``(points, parameters)``.
        y: Output, shape ``(points,)``.
        slides: Number of conditioning slides S.

    Returns:
        Array of shape ``(slides, parameters)``; NaN where a slide holds no point.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    grid = np.sort(y)
    whole = np.searchsorted(grid, grid, side="right") / grid.size
    step = 1 / slides
    distances = np.full((slides, x.shape[1]), np.nan)
    for column in range(x.shape[1]):
        inputs = x[:, column]
        edges = np.nanquantile(inputs, np.arange(0, 1 + step, step))  # SALib's slide edges
        for s in range(slides):
            chosen = np.sort(y[(inputs >= edges[s]) & (inputs < edges[s + 1])])
            if chosen.size:
                conditional = np.searchsorted(chosen, grid, side="right") / chosen.size
                distances[s, column] = np.max(np.abs(conditional - whole))
    return distances


def pawn_confidence(
    x: np.ndarray, y: np.ndarray, slides: int, resamples: int, seed: int
) -> dict[str, np.ndarray]:
    """95% half-widths of the PAWN median, mean and maximum by bootstrap over the points.

    Points are resampled with replacement and the statistics recomputed, as Pianosi & Wagener
    (2018, Environ. Model. Softw. 108:197-207) do; the half-width is z * bootstrap standard
    deviation, like SALib's other confidence bounds.
    """
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    n = len(y)
    draws: dict[str, list[np.ndarray]] = {"median": [], "mean": [], "maximum": []}
    for _ in range(resamples):
        rows = rng.integers(0, n, n)
        distances = pawn_slide_distances(np.asarray(x)[rows], np.asarray(y)[rows], slides)
        draws["median"].append(np.nanmedian(distances, axis=0))
        draws["mean"].append(np.nanmean(distances, axis=0))
        draws["maximum"].append(np.nanmax(distances, axis=0))
    z = float(norm.ppf(0.5 + CONF_LEVEL / 2))
    return {key: z * np.std(np.array(values), axis=0, ddof=1) for key, values in draws.items()}


def noise_of(responses: np.ndarray, output: str, nan_replaced: int = 0) -> dict[str, Any]:
    """How much of an output's variance is seed noise rather than parametric influence.

    ``Y[j, k]`` is the response at point j in replication k; replication k uses the same seed at
    every point (common random numbers, CRN). The indices explain the point means ``m_j``. A
    two-way decomposition ``Y[j, k] = mu + a_j + b_k + e_jk`` separates the parametric effect
    ``a_j``, a seed effect ``b_k`` common to every point (it shifts all point means alike, so it
    does not bias the indices: that is what CRN buys) and the point-specific noise ``e_jk``:

    * ``mean_within_var``: mean variance over seeds at one point, the raw seed noise of a run;
    * ``common_seed_var`` and ``residual_noise_var``: its common and point-specific parts;
    * ``noise_var_of_means`` = residual_noise_var / R: the noise left in the point means;
    * ``noise_share_of_means`` = noise_var_of_means / var_point_means: the share of the variance
      the indices explain that is noise (near 0: the indices reflect the parameters; above ~0.2:
      add replications or widen the ranges);
    * ``noise_share_independent`` = (mean_within_var / R) / var_point_means: the same share
      without the CRN credit (what independent seeds would give; an upper bound);
    * ``raw_noise_share`` = mean_within_var / (mean_within_var + parametric_var), with
      ``parametric_var = max(0, var_point_means - noise_var_of_means)``: the share of the
      variance of a single run that is seed noise.

    Args:
        responses: Array of shape ``(points, replications)``.
        output: Output name.
        nan_replaced: How many NaN responses were replaced before the analysis (reported).
    """
    y = np.asarray(responses, dtype=float)
    points, reps = y.shape
    means = y.mean(axis=1)
    row: dict[str, Any] = {name: math.nan for name in NOISE_COLUMNS}
    row.update(
        output=output,
        points=points,
        replications=reps,
        mean=float(np.mean(means)) if points else math.nan,
        var_point_means=float(np.var(means, ddof=1)) if points > 1 else math.nan,
        nan_replaced=int(nan_replaced),
        note="",
    )
    if not np.all(np.isfinite(y)):
        row["note"] = "output has NaN: indices undefined"
        return row
    if reps < 2 or points < 2:
        row["note"] = "one replication: seed noise cannot be separated from parametric variance"
        return row
    within = float(np.mean(np.var(y, axis=1, ddof=1)))
    seed_means = y.mean(axis=0)
    residuals = y - means[:, None] - seed_means[None, :] + y.mean()
    residual_var = float(np.sum(residuals**2) / ((points - 1) * (reps - 1)))
    common = max(0.0, float(np.var(seed_means, ddof=1)) - residual_var / points)
    noise_var = residual_var / reps
    between = row["var_point_means"]
    parametric = max(0.0, between - noise_var)
    row.update(
        mean_within_var=within,
        common_seed_var=common,
        residual_noise_var=residual_var,
        noise_var_of_means=noise_var,
        parametric_var=parametric,
    )
    if between > 0:
        row["noise_share_of_means"] = min(1.0, noise_var / between)
        row["noise_share_independent"] = min(1.0, within / reps / between)
    if within + parametric > 0:
        row["raw_noise_share"] = within / (within + parametric)
    if between == 0 and within == 0:
        row["note"] = "output constant at every point and seed"
    elif row["noise_share_of_means"] > NOISE_WARNING_SHARE:
        row["note"] = "much seed noise: add replications or widen the ranges"
    return row


@dataclass
class SensitivityResult:
    """Everything one analysis produced, as tidy frames.

    Attributes:
        design: The sample points.
        indices: One row per (output, method, parameter, index): ``INDEX_COLUMNS``.
        noise: One row per output: ``NOISE_COLUMNS``.
        convergence: Indices on nested subsets of the design: ``CONVERGENCE_COLUMNS``.
        samples: One row per point: ``point``, the parameter values run, and each output's
            replication mean.
        notes: Plain-language notes on how the outputs were treated (rounding, NaN).
    """

    design: Design
    indices: pd.DataFrame
    noise: pd.DataFrame
    convergence: pd.DataFrame
    samples: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def analyse_responses(
    design: Design, responses: Mapping[str, np.ndarray], nan_fill: Mapping[str, float] | None = None
) -> SensitivityResult:
    """Indices, seed noise and convergence of each output from its responses.

    Args:
        design: The design the responses belong to.
        responses: ``{output: array of shape (points, replications)}``; replication k must use
            the same seed at every point (common random numbers).
        nan_fill: ``{output: value}`` that replaces NaN responses before the analysis (e.g. a
            time-to-event that never happened becomes the horizon + 1); the count is reported.
    """
    nan_fill = dict(nan_fill or {})
    notes: list[str] = []
    index_rows: list[dict[str, Any]] = []
    noise_rows: list[dict[str, Any]] = []
    convergence_rows: list[dict[str, Any]] = []
    samples = pd.DataFrame(design.values, columns=list(design.problem.names))
    for column, whole in zip(design.problem.names, design.problem.integer, strict=True):
        if whole:
            samples[column] = samples[column].astype(int)
    samples.insert(0, "point", np.arange(design.points))
    if design.method == "fast":
        sizes = np.concatenate(
            [np.full(n * design.rows_per_sample(), n) for n in design.curve_sizes()]
        )
        samples.insert(1, "curve_samples", sizes)
    analysed = design.rows_of()  # the points the reported indices (and noise) rest on
    for output, raw in responses.items():
        y = np.array(raw, dtype=float, copy=True)
        if y.ndim == 1:
            y = y[:, None]
        if y.shape[0] != design.points:
            raise ValueError(f"{output}: {y.shape[0]} responses for {design.points} points")
        missing = ~np.isfinite(y)
        replaced = 0
        if missing.any() and output in nan_fill:
            replaced = int(missing.sum())
            y[missing] = nan_fill[output]
            notes.append(
                f"{output}: {replaced} of {y.size} runs had no value (NaN) and count "
                f"as {nan_fill[output]:g}"
            )
        elif missing.any():
            notes.append(
                f"{output}: {int(missing.sum())} of {y.size} runs are NaN; "
                "its indices are undefined (NaN)"
            )
        means = y.mean(axis=1)
        samples[output] = means
        noise_rows.append(noise_of(y[analysed], output, replaced))
        main = indices_of(design, means, output)
        index_rows += main
        for n in design.subsets():
            subset = (
                main
                if n == design.used_samples()
                else indices_of(design, means, output, n_samples=n)
            )
            for row in subset:
                convergence_rows.append(
                    {**row, "samples": n, "runs": n * design.rows_per_sample() * y.shape[1]}
                )
    integer = [
        n for n, whole in zip(design.problem.names, design.problem.integer, strict=True) if whole
    ]
    if integer:
        notes.append(
            f"whole-number parameters {', '.join(integer)}: samples rounded half up "
            "to the nearest whole value (samples.csv lists the values run)"
        )
    if design.method == "fast":
        if design.subsets():
            notes.append(
                "eFAST convergence: separate search curves of "
                f"{', '.join(map(str, design.curve_sizes()[1:]))} points were run "
                "besides the main one (an eFAST design cannot be cut into smaller "
                "ones); samples.csv says which curve each point is on"
            )
        else:
            notes.append(
                "eFAST: no convergence check (a shorter search curve needs other "
                "frequencies, so the design cannot be cut; the convergence option "
                "runs separate curves of N/2 and N/4 points, about 75% more runs)"
            )
        notes.append(
            "eFAST confidence bounds come from SALib's bootstrap of the search curve, "
            "which SALib flags as indicative only"
        )
    return SensitivityResult(
        design=design,
        indices=pd.DataFrame(index_rows, columns=list(INDEX_COLUMNS)),
        noise=pd.DataFrame(noise_rows, columns=list(NOISE_COLUMNS)),
        convergence=pd.DataFrame(convergence_rows, columns=list(CONVERGENCE_COLUMNS)),
        samples=samples,
        notes=notes,
    )


# --- Generic entry point: any Python function of named parameters --------------------------------


def analyse_function_full(
    func: Callable[..., float | Mapping[str, float]],
    bounds: Mapping[str, tuple[float, float]],
    method: str,
    samples: int,
    *,
    seed: int,
    outputs: Iterable[str] | None = None,
    replications: int = 1,
    integer: Iterable[str] = (),
    nan_fill: Mapping[str, float] | None = None,
    **method_options: Any,
) -> SensitivityResult:
    """Like ``analyse_function`` but return everything (indices, noise, convergence, samples).

    Args:
        func: Called as ``func(**params)`` or, with ``replications > 1``, as
            ``func(**params, seed=s)``; returns a float (output ``"y"``) or a dict of floats.
        bounds: ``{name: (low, high)}`` of the parameters varied.
        method: One of ``METHODS``.
        samples: Sample size in the method's unit (see ``make_design``).
        seed: Root seed of the design, bootstrap and replication seeds.
        outputs: Which of the returned outputs to analyse (default all).
        replications: Runs per point; replication k gets the same seed at every point.
        integer: Names of whole-number parameters (samples rounded).
        nan_fill: ``{output: value}`` replacing NaN responses (see ``analyse_responses``).
        **method_options: Method options (``second_order``, ``levels``, ``harmonics``...).
    """
    if replications < 1:
        raise SensitivityError(f"replications must be at least 1, got {replications}")
    if replications > 1 and "seed" not in inspect.signature(func).parameters:
        raise SensitivityError("replications > 1 needs a function that takes a seed keyword")
    problem = Problem.from_bounds(bounds, integer)
    design = make_design(problem, method, samples, seed=seed, **method_options)
    seeds = replication_seeds(seed, replications) if replications > 1 else [None]
    collected: dict[str, np.ndarray] = {}
    for point, row in enumerate(design.values):
        params = {
            name: (int(v) if whole else float(v))
            for name, v, whole in zip(problem.names, row, problem.integer, strict=True)
        }
        for k, rep_seed in enumerate(seeds):
            value = func(**params) if rep_seed is None else func(**params, seed=rep_seed)
            values = value if isinstance(value, Mapping) else {"y": value}
            for name, number in values.items():
                if name not in collected:
                    collected[name] = np.full((design.points, len(seeds)), np.nan)
                collected[name][point, k] = float(number)
    chosen = list(outputs) if outputs is not None else list(collected)
    unknown = [name for name in chosen if name not in collected]
    if unknown:
        raise SensitivityError(
            f"the function returns no output {unknown[0]!r} (it returns {', '.join(collected)})"
        )
    return analyse_responses(design, {name: collected[name] for name in chosen}, nan_fill)


def analyse_function(
    func: Callable[..., float | Mapping[str, float]],
    bounds: Mapping[str, tuple[float, float]],
    method: str,
    samples: int,
    *,
    seed: int,
    outputs: Iterable[str] | None = None,
    **method_options: Any,
) -> pd.DataFrame:
    """Sensitivity indices of any Python function of named parameters.

    Example: ``analyse_function(ishigami, {"x1": (-pi, pi), ...}, "sobol", 1024, seed=1)``.

    Args:
        func: ``func(**params) -> float | dict[str, float]``.
        bounds: ``{name: (low, high)}`` of the parameters varied.
        method: ``sobol``, ``morris``, ``fast`` or ``pawn``.
        samples: Sobol base N (a power of two), Morris trajectories, eFAST points per search
            curve (> 4 M^2) or PAWN points.
        seed: Root seed; the same seed gives identical indices.
        outputs: Which outputs of a dict-returning function to analyse (default all).
        **method_options: ``second_order`` (Sobol), ``levels``/``optimal_trajectories``
            (Morris), ``harmonics`` and ``convergence`` (eFAST: also run curves of N/2 and
            N/4 points for the convergence check), ``slides`` (PAWN), ``num_resamples``,
            ``replications``, ``integer``, ``nan_fill`` (see ``analyse_function_full``).

    Returns:
        The indices frame (``INDEX_COLUMNS``; ``conf`` is the 95% half-width, NaN where the
        method has none).
    """
    return analyse_function_full(
        func, bounds, method, samples, seed=seed, outputs=outputs, **method_options
    ).indices


# --- Honest reading: when the indices cannot be ranked ------------------------------------------

# Sample sizes below which an index is too rough to rank parameters by. No published minimum holds
# for every model: these are declared judgements (uncertainty: a factor of two either way), each
# with its reasoning, and every warning states the number it applies.
SENSIBLE_MINIMUM_SAMPLES = {
    # Sobol base samples N: the bootstrap half-widths of ST shrink as 1/sqrt(N); for a model with
    # seed noise they are typically about a tenth of the index range only from a few hundred on.
    "sobol": 256,
    # Morris trajectories r: mu* is a mean of r elementary effects per parameter; with fewer than
    # ten its interval is commonly as large as the differences between parameters.
    "morris": 10,
    # eFAST points per search curve: the hard limit 4 M^2 + 1 (65 with M = 4) already makes the
    # spectrum resolvable, so nothing is added to it.
    "fast": 65,
    # PAWN points: 20 points per conditioning slide (10 slides) before the KS distances settle.
    "pawn": 200,
}
# Indices that lie in [0, 1] by definition (variance shares and Kolmogorov-Smirnov distances).
BOUNDED_INDICES = frozenset({"S1", "ST", "S2", "pawn_median", "pawn_mean", "pawn_max"})
SAMPLE_UNITS = {
    "sobol": "base samples",
    "morris": "trajectories",
    "fast": "points per search curve",
    "pawn": "points",
}


@dataclass(frozen=True)
class IndexWarning:
    """Why the indices of one output (by one method) must not be read as a ranking.

    Attributes:
        output: The output analysed.
        method: The method.
        reason: ``"outside"`` (indices outside [0, 1] by more than their interval), ``"wide"``
            (intervals wider than the index range) or ``"samples"`` (sample below the method's
            sensible minimum).
        text: One sentence saying what and how much, numbers included.
    """

    output: str
    method: str
    reason: str
    text: str


def used_samples(manifest: Mapping[str, Any]) -> int | None:
    """Sample-size units an analysis rests on, from its manifest (Morris: kept trajectories)."""
    samples = manifest.get("samples")
    if samples is None:
        return None
    optimal = (manifest.get("options") or {}).get("optimal_trajectories")
    if manifest.get("method") == "morris" and optimal:
        return int(optimal)
    return int(samples)


def index_warnings(indices: pd.DataFrame, samples: int | None = None) -> list[IndexWarning]:
    """Every reason not to rank parameters by the main index, per output and method.

    Three checks, on the method's main index (``MAIN_INDEX``): a bounded index outside [0, 1]
    by more than its 95% half-width; a 95% interval wider than the range the index can take
    ([0, 1], or for Morris mu* the range its values span over the parameters); and a sample
    below ``SENSIBLE_MINIMUM_SAMPLES``.

    Args:
        indices: The ``indices.csv`` frame.
        samples: The analysis's sample size in its method's unit (``used_samples``); without
            it the sample check is skipped.

    Returns:
        The warnings, in output order; empty when the indices can be ranked.
    """
    from analysis.style import format_number

    found: list[IndexWarning] = []
    for (output, method), rows in indices.groupby(["output", "method"], sort=False):
        index = MAIN_INDEX.get(str(method), str(rows["index"].iloc[0]))
        main = rows[(rows["index"] == index) & rows["value"].notna()]
        conf = main["conf"].fillna(0.0).abs()
        if index in BOUNDED_INDICES:
            outside = main[(main["value"] < -conf) | (main["value"] > 1 + conf)]
            if len(outside):
                listed = ", ".join(
                    f"{name} {format_number(float(value))}"
                    + (f" ± {format_number(abs(float(half)))}" if half == half else "")
                    for name, value, half in zip(
                        outside["parameter"].head(3),
                        outside["value"].head(3),
                        outside["conf"].head(3),
                        strict=True,
                    )
                )
                found.append(
                    IndexWarning(
                        str(output),
                        str(method),
                        "outside",
                        f"{index} of {len(outside)} parameter(s) lies outside 0 to 1 by more "
                        f"than its 95% interval ({listed}): the estimate has not converged",
                    )
                )
            span = 1.0
        else:
            span = float(main["value"].max() - main["value"].min()) if len(main) else 0.0
        wide = main[2 * conf > span]
        if len(wide) and span >= 0:
            where = "0 to 1" if index in BOUNDED_INDICES else "the spread of its values"
            found.append(
                IndexWarning(
                    str(output),
                    str(method),
                    "wide",
                    f"the 95% interval of {index} is wider than {where} for "
                    f"{len(wide)} of {len(main)} parameter(s) (widest "
                    f"± {format_number(float(conf.max()))}): the ranking is not resolved",
                )
            )
        minimum = SENSIBLE_MINIMUM_SAMPLES.get(str(method))
        if samples is not None and minimum is not None and samples < minimum:
            found.append(
                IndexWarning(
                    str(output),
                    str(method),
                    "samples",
                    f"{samples} {SAMPLE_UNITS[str(method)]} is below the sensible minimum of "
                    f"{minimum} for {method}",
                )
            )
    return found


def warned_outputs(warnings_found: Iterable[IndexWarning]) -> set[tuple[str, str]]:
    """The ``(output, method)`` pairs whose parameters must not be called most influential."""
    return {(w.output, w.method) for w in warnings_found}


def convergence_table(convergence: pd.DataFrame, output: str, method: str) -> pd.DataFrame:
    """The main index of each parameter at each sample size: parameters x sample sizes.

    Args:
        convergence: The ``convergence.csv`` frame.
        output: Which output.
        method: Which method.

    Returns:
        One row per parameter, one column per sample size (ascending); empty when the analysis
        has no convergence check.
    """
    index = MAIN_INDEX.get(method)
    rows = convergence[
        (convergence["output"] == output)
        & (convergence["method"] == method)
        & (convergence["index"] == index)
    ]
    if rows.empty:
        return pd.DataFrame()
    table = rows.pivot_table(index="parameter", columns="samples", values="value", sort=False)
    return table[sorted(table.columns)]


# --- Analytic test functions with known indices (as SALib ships them) ---------------------------

ISHIGAMI_BOUNDS = {"x1": (-math.pi, math.pi), "x2": (-math.pi, math.pi), "x3": (-math.pi, math.pi)}
# Ishigami & Homma (1990) with a = 7, b = 0.1; indices from Saltelli et al. (2008), Global
# Sensitivity Analysis: The Primer, p. 179 (and SALib's tests).
ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


def ishigami(x1: float, x2: float, x3: float, a: float = 7.0, b: float = 0.1) -> float:
    """The Ishigami function ``sin x1 + a sin^2 x2 + b x3^4 sin x1`` on [-pi, pi]^3."""
    return math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)


def sobol_g(a: Iterable[float]) -> Callable[..., float]:
    """Sobol's G function ``prod (|4 x_i - 2| + a_i) / (1 + a_i)`` on [0, 1]^d, as ``f(x1..xd)``.

    Small ``a_i`` make ``x_i`` important; its indices are analytic (``sobol_g_indices``).
    """
    coefficients = tuple(float(v) for v in a)

    def g(**x: float) -> float:
        values = [x[f"x{i + 1}"] for i in range(len(coefficients))]
        return float(
            np.prod(
                [(abs(4 * v - 2) + c) / (1 + c) for v, c in zip(values, coefficients, strict=True)]
            )
        )

    return g


def sobol_g_indices(a: Iterable[float]) -> tuple[dict[str, float], dict[str, float]]:
    """Analytic first and total-order indices of Sobol's G function (Saltelli et al. 2010).

    With ``V_i = 1 / (3 (1 + a_i)^2)`` and ``V = prod (1 + V_i) - 1``: ``S1_i = V_i / V`` and
    ``ST_i = V_i prod_{j != i} (1 + V_j) / V``.
    """
    partial = [1.0 / (3.0 * (1.0 + float(c)) ** 2) for c in a]
    total = float(np.prod([1 + v for v in partial]) - 1)
    first = {f"x{i + 1}": v / total for i, v in enumerate(partial)}
    total_order = {
        f"x{i + 1}": v * float(np.prod([1 + w for j, w in enumerate(partial) if j != i])) / total
        for i, v in enumerate(partial)
    }
    return first, total_order
