"""The build's cache files are written whole or not at all, and a write that fails leaves the
previous file as it was and no temporary file behind."""

from __future__ import annotations

import errno
import os
import pickle

import pytest

from icc_graph.cache_files import keep


def test_a_file_is_written_whole_and_replaces_the_old_one(tmp_path):
    path = tmp_path / ".cache" / "rows.pickle"
    assert keep(path, lambda f: pickle.dump({"a": 1}, f))
    assert keep(path, lambda f: pickle.dump({"b": 2}, f))
    assert pickle.loads(path.read_bytes()) == {"b": 2}
    assert sorted(p.name for p in path.parent.iterdir()) == ["rows.pickle"]


def test_a_write_that_fails_midway_keeps_the_old_file_and_leaves_nothing(tmp_path):
    path = tmp_path / "verdicts.json"
    keep(path, lambda f: f.write(b'{"old": true}'))

    def full_disk(f):
        f.write(b'{"new": ')
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    assert keep(path, full_disk) is False
    assert path.read_bytes() == b'{"old": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["verdicts.json"]


def test_without_its_folder_nothing_is_written_unless_asked(tmp_path):
    path = tmp_path / "out" / ".cache" / "records.pickle"
    assert keep(path, lambda f: f.write(b"x"), parents=False) is False
    assert not (tmp_path / "out").exists()
    assert keep(path, lambda f: f.write(b"x")) and path.read_bytes() == b"x"


def test_a_write_that_raises_something_else_leaves_nothing_and_says_so(tmp_path):
    path = tmp_path / "dumps.json"

    def unwritable(f):
        f.write(b"{")
        raise TypeError("Object of type set is not JSON serializable")

    with pytest.raises(TypeError):
        keep(path, unwritable)
    assert list(tmp_path.iterdir()) == []
