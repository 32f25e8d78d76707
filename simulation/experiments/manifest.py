"""Provenance of an experiment folder: what was run, with what, when.

``manifest.json`` describes the latest invocation at its top level and keeps, under
``invocations``, one entry per command that ever touched the folder, oldest first. The entries
live in the store's ``invocations`` table (append-only: an invocation only ever updates its own
entry), so two processes resuming one folder at once both keep theirs.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.experiments.store import ResultStore

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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Invocation:
    """One command's entry in a folder's ``invocations`` log (schema in ``as_entry``).

    Several ``run_specs`` calls of one command (``compare --target-ci`` adds replications in
    batches) share one invocation and so one entry.
    """

    command: str = ""
    started_utc: str = field(default_factory=_now)
    finished_utc: str | None = None
    package_version: str = ""
    fingerprint: str = ""
    runs_added: int = 0
    runs_reused: int = 0
    runs_failed: int = 0
    entry_ids: dict[str, int] = field(default_factory=dict)

    def as_entry(self) -> dict[str, Any]:
        """The manifest entry: command, times, version, fingerprint and run counts."""
        return {
            "command": self.command,
            "started_utc": self.started_utc,
            "finished_utc": self.finished_utc,
            "package_version": self.package_version,
            "fingerprint": self.fingerprint,
            "runs_added": self.runs_added,
            "runs_reused": self.runs_reused,
            "runs_failed": self.runs_failed,
        }

    def attach(self, store: ResultStore, fingerprint: str, package_version: str) -> None:
        """Append this invocation's entry to ``store`` (once per folder)."""
        self.fingerprint, self.package_version = fingerprint, package_version
        folder = str(store.folder.resolve())
        if folder not in self.entry_ids:
            self.entry_ids[folder] = store.add_invocation(self.as_entry())

    def reused(self, runs_done_already: int) -> None:
        """Note how many of a call's runs were already stored (those it added excluded)."""
        self.runs_reused = max(self.runs_reused, runs_done_already - self.runs_added)

    def count(self, done: bool) -> None:
        """Count one run computed by this invocation."""
        if done:
            self.runs_added += 1
        else:
            self.runs_failed += 1

    def save(self, store: ResultStore) -> None:
        """Write the current counts into this invocation's own entry."""
        folder = str(store.folder.resolve())
        if folder in self.entry_ids:
            store.update_invocation(self.entry_ids[folder], self.as_entry())

    def finish(self, store: ResultStore) -> None:
        """Stamp the end time and save."""
        self.finished_utc = _now()
        self.save(store)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` atomically (temporary file, then rename), as strict JSON.

    Its ``invocations`` are always the store's log (never taken from ``manifest``), so no
    writer can drop an earlier entry.
    """
    from simulation.experiments.store import STORE_NAME, ResultStore, strict_json

    manifest = {key: value for key, value in manifest.items() if key != "invocations"}
    if (folder / STORE_NAME).is_file():
        with ResultStore(folder, create=False) as store:
            manifest["invocations"] = store.invocations()
    path = folder / MANIFEST_NAME
    _remove_stale_temporaries(folder)
    temporary = folder / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    temporary.write_text(strict_json(manifest, indent=2) + "\n")
    os.replace(temporary, path)
    return path


def _remove_stale_temporaries(folder: Path) -> None:
    """Remove manifest temporaries that killed processes left (``.manifest.json.PID.tmp``)."""
    for temporary in folder.glob(f".{MANIFEST_NAME}.*.tmp"):
        pid = temporary.name[len(MANIFEST_NAME) + 2 : -len(".tmp")]
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                temporary.unlink(missing_ok=True)
            except OSError:
                pass


def read_manifest(folder: Path) -> dict[str, Any]:
    """Read ``manifest.json`` (empty dict if there is none).

    Raises:
        StoreError: If the file is not a JSON object.
    """
    from simulation.experiments.store import StoreError

    path = folder / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise StoreError(f"{path}: unreadable manifest ({error})") from None
    if not isinstance(manifest, dict):
        raise StoreError(f"{path}: the manifest is not a JSON object")
    return manifest
