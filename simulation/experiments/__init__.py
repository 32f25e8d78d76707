"""Experiments: seeded replications, common random numbers, executors and a resumable store."""

from simulation.experiments.engine import RunSpec, SpecGrid, make_executor, run_specs
from simulation.experiments.experiment import Experiment, load_experiment
from simulation.experiments.seeds import replication_seeds

__all__ = [
    "Experiment",
    "RunSpec",
    "SpecGrid",
    "load_experiment",
    "make_executor",
    "replication_seeds",
    "run_specs",
]
