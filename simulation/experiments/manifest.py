"""Provenance of an experiment folder: what was run, with what, when."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"


def dependency_versions() -> dict[str, str]:
    """Versions of Python and of the libraries results depend on."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in (
        "symbiosis",
        "mesa",
        "numpy",
        "pandas",
        "scipy",
        "networkx",
        "SALib",
        "matplotlib",
    ):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _git(*arguments: str) -> str | None:
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", *arguments], cwd=root, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_commit() -> str | None:
    """The git commit of the source tree, if it is a git checkout."""
    head = _git("rev-parse", "HEAD")
    return head.strip() or None if head else None


def git_dirty() -> bool | None:
    """Whether tracked source files differ from the commit (None outside a git checkout)."""
    status = _git("status", "--porcelain", "--untracked-files=no")
    return None if status is None else bool(status.strip())


def base_manifest(**fields: Any) -> dict[str, Any]:
    """Provenance common to every experiment, plus ``fields`` (which win).

    Has the command line (``command``; callers may pass a canonical one), versions of Python
    and of the libraries results depend on, the git commit and whether the tree was modified.
    """
    import shlex

    versions = dependency_versions()
    return {
        "command": shlex.join(["symbiosis", *sys.argv[1:]]) if sys.argv else "",
        "versions": versions,
        "package_version": versions["symbiosis"],
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
        "platform": platform.platform(),
        **fields,
    }


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` atomically (temporary file, then rename)."""
    path = folder / MANIFEST_NAME
    temporary = folder / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    os.replace(temporary, path)
    return path


def read_manifest(folder: Path) -> dict[str, Any]:
    """Read ``manifest.json`` (empty dict if there is none)."""
    path = folder / MANIFEST_NAME
    return json.loads(path.read_text()) if path.is_file() else {}
