"""Writing results so that a crash or a user's mistake never leaves half-written files."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scenarios.errors import InputError


def check_output_dir(target: str | Path) -> Path:
    """Check that ``target`` can become a results folder, without creating anything.

    Raises:
        InputError: If ``target`` (or one of its parents) exists and is not a folder.
    """
    target = Path(target)
    for path in (target, *target.parents):
        if path.exists():
            if not path.is_dir():
                raise InputError(
                    f"{target}: cannot write results there: {path} is a file, not a folder"
                )
            break
    return target


def _existing_ancestor(target: Path) -> Path:
    for path in target.absolute().parents:
        if path.is_dir():
            return path
    return Path.cwd()


@contextmanager
def atomic_output_dir(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder; on success move its files into ``target``, else discard it.

    The temporary folder is made next to the nearest existing parent of ``target``, so nothing
    at all (not even ``target`` or its missing parents) is created until the block finishes.
    Each file then lands in ``target`` with an atomic rename, so readers see either the old file
    or the complete new one.

    Raises:
        InputError: If ``target`` is a file, or the folder cannot be written (permissions).
    """
    target = check_output_dir(target)
    anchor = target.parent.absolute() if target.parent.is_dir() else _existing_ancestor(target)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name or 'results'}.", dir=anchor))
    except OSError as error:
        raise InputError(f"{target}: cannot write results there: {error.strerror}") from None
    try:
        yield staging
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(staging.rglob("*")):
            if path.is_dir():
                continue
            destination = target / path.relative_to(staging)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
