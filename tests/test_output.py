"""simulation/output.py: a results folder is written whole or not at all, and a bad target is
an InputError naming it before anything is created."""

from __future__ import annotations

import os

import pytest

from scenarios.errors import InputError
from simulation.output import atomic_output_dir, check_output_dir


def tree(root) -> dict[str, str]:
    """Every file under ``root`` (hidden ones included) with its text, by relative path."""
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# --- check_output_dir ----------------------------------------------------------------------------


def test_check_output_dir_accepts_new_and_existing_folders_and_creates_nothing(tmp_path):
    (tmp_path / "existing").mkdir()
    for target in (tmp_path / "existing", tmp_path / "new", tmp_path / "new" / "deeper"):
        assert check_output_dir(target) == target
        assert check_output_dir(str(target)) == target  # a string names the same folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing"]
    assert list((tmp_path / "existing").iterdir()) == []


@pytest.mark.parametrize("below", ["", "sub", "sub/deeper"])
def test_check_output_dir_refuses_a_file_on_the_way_and_names_both(tmp_path, below):
    blocker = tmp_path / "taken.csv"
    blocker.write_text("x")
    target = blocker / below if below else blocker
    with pytest.raises(InputError) as error:
        check_output_dir(target)
    message = str(error.value)
    assert message.startswith(f"{target}: cannot write results there")
    assert f"{blocker} is a file, not a folder" in message
    assert "\n" not in message
    assert tree(tmp_path) == {"taken.csv": "x"}


# --- atomic_output_dir ---------------------------------------------------------------------------


def test_nothing_exists_until_the_block_finishes(tmp_path):
    target = tmp_path / "a" / "b" / "results"
    with atomic_output_dir(target) as staging:
        (staging / "timeseries.csv").write_text("step\n1\n")
        assert not (tmp_path / "a").exists()  # not even the missing parents
        # The staging folder is hidden, beside the nearest folder that exists.
        assert staging.parent == tmp_path and staging.name.startswith(".results.")
    assert tree(tmp_path) == {"a/b/results/timeseries.csv": "step\n1\n"}


def test_a_failing_block_leaves_nothing_and_the_error_passes_through(tmp_path):
    target = tmp_path / "a" / "b" / "results"
    with pytest.raises(RuntimeError, match="crash"), atomic_output_dir(target) as staging:
        (staging / "half.csv").write_text("x")
        raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []


def test_a_failing_block_leaves_an_existing_folder_as_it_was(tmp_path):
    target = tmp_path / "results"
    target.mkdir()
    (target / "summary.json").write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_output_dir(target) as staging:
        (staging / "summary.json").write_text("new, half written")
        raise KeyboardInterrupt  # Ctrl+C in the middle of writing
    assert tree(tmp_path) == {"results/summary.json": "old"}


def test_files_are_replaced_others_kept_and_subfolders_merged(tmp_path):
    target = tmp_path / "results"
    (target / "sub").mkdir(parents=True)
    (target / "old.csv").write_text("old")
    (target / "keep.txt").write_text("keep")
    (target / "sub" / "kept.csv").write_text("kept")
    with atomic_output_dir(target) as staging:
        (staging / "old.csv").write_text("new")
        (staging / "sub").mkdir()
        (staging / "sub" / "more.csv").write_text("more")
        (staging / "empty").mkdir()  # folders are not results: only files move
    assert tree(tmp_path) == {
        "results/keep.txt": "keep",
        "results/old.csv": "new",
        "results/sub/kept.csv": "kept",
        "results/sub/more.csv": "more",
    }
    assert not (target / "empty").exists()


def test_a_file_is_replaced_by_rename_so_an_open_reader_keeps_the_old_one(tmp_path):
    target = tmp_path / "results"
    target.mkdir()
    (target / "runs.csv").write_text("old")
    with open(target / "runs.csv") as reader:
        with atomic_output_dir(target) as staging:
            (staging / "runs.csv").write_text("new")
        assert reader.read() == "old"  # the old file, whole, never a mix
    assert (target / "runs.csv").read_text() == "new"


def test_an_empty_block_creates_the_folder_empty(tmp_path):
    target = tmp_path / "new" / "results"
    with atomic_output_dir(target):
        pass
    assert target.is_dir() and list(target.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new"]  # no staging folder left


def test_a_relative_target_is_written_under_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with atomic_output_dir("results/run") as staging:
        (staging / "a.csv").write_text("a")
    assert tree(tmp_path) == {"results/run/a.csv": "a"}


def test_a_file_as_target_is_refused_before_the_block_runs(tmp_path):
    (tmp_path / "file").write_text("x")
    for target in (tmp_path / "file", tmp_path / "file" / "sub"):
        entered = False
        with (
            pytest.raises(InputError, match="is a file, not a folder"),
            atomic_output_dir(target),
        ):
            entered = True
        assert not entered
    assert tree(tmp_path) == {"file": "x"}


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="needs a user whom folder permissions bind (root writes anywhere)",
)
def test_an_unwritable_place_is_one_input_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InputError) as error, atomic_output_dir(locked / "results"):
            pass
        assert str(error.value).startswith(f"{locked / 'results'}: cannot write results there")
    finally:
        locked.chmod(0o700)


def test_a_folder_the_system_refuses_is_one_input_error_and_nothing_is_left(tmp_path, monkeypatch):
    """The same refusal as above, made by the system call itself, so that it runs as root too."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    target = tmp_path / "results"
    with pytest.raises(InputError) as error, atomic_output_dir(target):
        pass
    assert str(error.value) == f"{target}: cannot write results there: Permission denied"
    assert list(tmp_path.iterdir()) == []
