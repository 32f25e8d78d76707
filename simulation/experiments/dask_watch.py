"""A Dask worker plugin that ends the worker when the main process is gone (kill -9 included).

Imported only when a local Dask cluster is started (it needs the ``[cluster]`` extra).
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from simulation.experiments.engine import watch_main_process


class MainProcessWatch(WorkerPlugin):
    """Each worker watches the main process and exits as soon as it is gone.

    Registered only on a local cluster the main process started: a cluster given by address
    has workers of its own that outlive any one client.
    """

    idempotent = True

    def __init__(self, main_pid: int) -> None:
        """Watch process ``main_pid``."""
        self.main_pid = main_pid

    def setup(self, worker: Any) -> None:
        """Called by Dask in each worker as it starts (a restarted worker included)."""
        watch_main_process(self.main_pid)
