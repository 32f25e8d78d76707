"""The model fingerprint: a hash of the code and data that decide a run's numbers.

A stored run is reused only when its fingerprint matches the running model's, so an edit to the
model (a constant in ``simulation/model.py``, a row of ``scenarios/catalogue/streams.toml``)
makes every earlier run stale instead of silently mixing old numbers with new ones.

A park file of one's own (``--park PATH``, outside ``scenarios/``) is not in the fingerprint;
its contents go into the run key instead (``park_file_digest``), so editing it recomputes the
runs that use it and no others.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


def park_file_digest(params: Mapping[str, Any]) -> str:
    """Hash (24 hex digits) of the park file a run reads by path; ``""`` for a built-in park.

    A built-in park is named by its stem and is covered by ``model_fingerprint``; a park file
    of one's own is named by its absolute path (``interfaces.commands.common``), so its bytes
    decide the run as much as its parameters do.
    """
    park = params.get("park")
    if not isinstance(park, str) or not Path(park).is_absolute():
        return ""
    path = Path(park)
    if not path.is_file():
        return ""
    stat = path.stat()
    return _file_digest(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    """Hash of a file's bytes, read once per (path, modification time, size)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:24]
