"""The data directory's lock: servers share it, a rebuild needs it alone, nobody waits."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketing.data_dir_lock import DataDirInUse, held_exclusively, held_while_serving


def test_two_servers_share_one_data_directory(tmp_path: Path) -> None:
    with held_while_serving(tmp_path), held_while_serving(tmp_path):
        pass


def test_a_rebuild_is_refused_at_once_while_a_server_holds_the_directory(tmp_path: Path) -> None:
    lock = tmp_path / "ticketing.lock"
    with (
        held_while_serving(tmp_path),
        pytest.raises(DataDirInUse, match=str(lock)),
        held_exclusively(tmp_path),
    ):
        pass
    with held_exclusively(tmp_path):  # the server gone, the rebuild may run
        pass


def test_a_server_is_refused_while_a_rebuild_runs_and_so_is_a_second_rebuild(
    tmp_path: Path,
) -> None:
    with held_exclusively(tmp_path):
        with pytest.raises(DataDirInUse), held_while_serving(tmp_path):
            pass
        with pytest.raises(DataDirInUse), held_exclusively(tmp_path):
            pass


def test_the_lock_creates_a_missing_data_directory(tmp_path: Path) -> None:
    with held_exclusively(tmp_path / "داده" / "var") as lock:
        assert lock.parent.is_dir()
