"""Writing results so that a crash or a user's mistake never leaves half-written files.

Results are written into a hidden temporary folder next to their target (``.NAME._PID_XXXX``)
and moved into place when complete. A process killed before that leaves its temporary folder
behind; the next writer next to the same target removes every such folder whose process is gone.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scenarios.errors import InputError


def check_output_dir(target: str | Path, flag: str = "--out") -> Path:
    """Check that ``target`` can become a results folder, without creating anything.

    Raises:
        InputError: If ``target`` is empty, or it (or one of its parents) exists and is not a
            folder.
    """
    if not str(target).strip():
        raise InputError(f"{flag} is empty: name the folder to write results into")
    target = Path(target)
    for path in (target, *target.parents):
        if path.exists():
            if not path.is_dir():
                raise InputError(
                    f"{target}: cannot write results there: {path} is a file, not a folder"
                )
            break
    return target


def refuse_earlier_results(target: Path, overwrite: bool, what: str = "results") -> None:
    """Refuse to write into a folder that already holds something, unless ``overwrite``.

    Raises:
        InputError: If ``target`` is a non-empty folder and ``overwrite`` is False.
    """
    if not overwrite and target.is_dir() and any(target.iterdir()):
        raise InputError(
            f"{target}: holds earlier {what}; choose another --out, or give --overwrite "
            "to replace the whole folder"
        )


def _existing_ancestor(target: Path) -> Path:
    for path in target.absolute().parents:
        if path.is_dir():
            return path
    return Path.cwd()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _temporary_prefix(target: Path) -> str:
    return f".{target.name or 'results'}._"


def remove_stale_temporaries(target: str | Path) -> list[Path]:
    """Remove the temporary folders of ``target`` that killed processes left behind.

    Returns:
        The folders removed (those of processes still running are kept).
    """
    target = Path(target)
    anchor = target.parent.absolute() if target.parent.is_dir() else _existing_ancestor(target)
    removed: list[Path] = []
    prefix = _temporary_prefix(target)
    try:
        candidates = [path for path in anchor.iterdir() if path.name.startswith(prefix)]
    except OSError:
        return removed
    for path in candidates:
        pid_text = path.name[len(prefix) :].partition("_")[0]
        if path.is_dir() and pid_text.isdigit() and not _process_alive(int(pid_text)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def make_staging_dir(target: str | Path) -> Path:
    """A new hidden temporary folder next to ``target`` (its nearest existing parent).

    Raises:
        InputError: If the folder cannot be written (permissions).
    """
    target = check_output_dir(target)
    anchor = target.parent.absolute() if target.parent.is_dir() else _existing_ancestor(target)
    remove_stale_temporaries(target)
    try:
        return Path(
            tempfile.mkdtemp(prefix=f"{_temporary_prefix(target)}{os.getpid()}_", dir=anchor)
        )
    except OSError as error:
        raise InputError(f"{target}: cannot write results there: {error.strerror}") from None


def replace_dir(staging: Path, target: Path) -> None:
    """Put the complete folder ``staging`` in the place of ``target`` (which may exist).

    Two renames: the old folder is moved aside first, so ``target`` is never a mixture of old
    and new files, then deleted.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = Path(
            tempfile.mkdtemp(
                prefix=f"{_temporary_prefix(target)}{os.getpid()}_old_", dir=staging.parent
            )
        )
        os.replace(target, old / "previous")
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_output_dir(target: str | Path, replace: bool = False) -> Iterator[Path]:
    """Yield a temporary folder; on success move its files into ``target``, else discard it.

    The temporary folder is made next to the nearest existing parent of ``target``, so nothing
    at all (not even ``target`` or its missing parents) is created until the block finishes.
    Each file then lands in ``target`` with an atomic rename, so readers see either the old file
    or the complete new one.

    Args:
        target: The results folder.
        replace: Replace the whole folder (no earlier file stays), instead of adding and
            replacing files in it.

    Raises:
        InputError: If ``target`` is a file, or the folder cannot be written (permissions).
    """
    target = check_output_dir(target)
    staging = make_staging_dir(target)
    try:
        yield staging
        if replace:
            replace_dir(staging, target)
            return
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(staging.rglob("*")):
            if path.is_dir():
                continue
            destination = target / path.relative_to(staging)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def strict_json(value: Any, **options: Any) -> str:
    """JSON text with every non-finite float written as ``null`` (never NaN or Infinity).

    Args:
        value: Dicts, lists, strings, numbers, booleans, None and NumPy scalars.
        **options: Passed to ``json.dumps`` (``indent``, ``sort_keys``...).
    """
    return json.dumps(_finite(value), allow_nan=False, default=_plain, **options)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    if hasattr(value, "item") and hasattr(value, "dtype"):  # a NumPy scalar
        return _finite(value.item())
    return value


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)
