"""Atomic directory publishing and umask reading."""

import os

import pytest

from keras_style.utils import files


def test_current_umask_matches_os(tmp_path):
    previous = os.umask(0o027)
    try:
        assert files.current_umask() == 0o027
    finally:
        os.umask(previous)


def test_publish_directory_sets_mode_and_replaces(tmp_path):
    previous = os.umask(0o022)
    try:
        for content in ("first", "second"):
            built = tmp_path / f".build-{content}"
            built.mkdir(mode=0o700)
            (built / "f.txt").write_text(content)
            files.publish_directory(built, tmp_path / "preset")
    finally:
        os.umask(previous)
    dest = tmp_path / "preset"
    assert (dest / "f.txt").read_text() == "second"
    assert dest.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preset"]  # no leftovers


def test_write_text_atomic_replaces_whole_files_only(tmp_path):
    write_text_atomic = files.write_text_atomic

    path = tmp_path / "settings.json"
    write_text_atomic(path, "old")
    write_text_atomic(path, "new")
    assert path.read_text() == "new"
    with pytest.raises(TypeError):
        write_text_atomic(path, b"not text")  # fails mid-write
    assert path.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]
