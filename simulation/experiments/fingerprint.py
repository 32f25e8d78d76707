"""The model fingerprint: a hash of the code and data that decide a run's numbers.

A stored run is reused only when its fingerprint matches the running model's, so an edit to the
model (a constant in ``simulation/model.py``, a row of ``scenarios/catalogue/streams.toml``)
makes every earlier run stale instead of silently mixing old numbers with new ones.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

# Packages whose code decides a run's numbers: what is simulated, who decides, how a run happens.
MODEL_PACKAGES = ("scenarios", "agents", "simulation")
# Inside them, code that stores and schedules runs but computes none of their numbers (so
# editing the store does not invalidate every stored run).
NOT_MODEL = ("simulation/experiments",)
# Data files the model reads (catalogues, parks, built-in scenarios), besides the ``.py`` files.
DATA_SUFFIXES = (".toml", ".csv", ".json")


def model_files() -> list[tuple[str, Path]]:
    """``(relative name, path)`` of every file in the fingerprint, in a fixed order."""
    import importlib

    files: list[tuple[str, Path]] = []
    for package in MODEL_PACKAGES:
        module = importlib.import_module(package)
        root = Path(module.__file__ or "").resolve().parent
        for path in sorted(root.rglob("*")):
            relative = f"{package}/{path.relative_to(root).as_posix()}"
            if (
                not path.is_file()
                or "__pycache__" in path.parts
                or any(relative.startswith(f"{part}/") for part in NOT_MODEL)
            ):
                continue
            if path.suffix == ".py" or (package == "scenarios" and path.suffix in DATA_SUFFIXES):
                files.append((relative, path))
    return files


@functools.cache
def model_fingerprint() -> str:
    """Hash (24 hex digits) of the model's code and data files, computed once per process."""
    digest = hashlib.sha256()
    for relative, path in model_files():
        content = path.read_bytes()
        digest.update(f"{relative}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()[:24]
