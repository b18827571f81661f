"""One window per database: the lock file refuses a second holder, names the first, and dies with its process;
a database on a network drive is warned about, not refused."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path, PureWindowsPath

import pytest

from adultschool import cli
from adultschool.db import lock as db_lock
from adultschool.db.lock import DatabaseInUse, DatabaseLock
from adultschool.services import maintenance

pytestmark = pytest.mark.sqlite_only(reason="the lock file sits beside the SQLite file; a server database needs none")
HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from adultschool.db.lock import DatabaseLock
    lock = DatabaseLock.acquire(Path(sys.argv[1]), program="adultschool gui")
    print("locked", flush=True)
    time.sleep(120)
""")


@pytest.fixture
def holder_process(db_path):
    """Another program (a window on another desk) holding the lock of db_path until it is killed."""
    process = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "locked"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stdout.close()


def test_the_lock_file_says_who_holds_it_and_a_second_holder_is_refused_even_in_the_same_process(db_path):
    first = DatabaseLock.acquire(db_path, program="adultschool gui")
    try:
        # flock belongs to the open file description: a second open of the file conflicts even in this process.
        with pytest.raises(DatabaseInUse) as refused:
            DatabaseLock.acquire(db_path)
        holder = refused.value.holder
        assert holder.pid == os.getpid() and holder.host and holder.since is not None
        assert f"进程号 {os.getpid()}" in refused.value.message and "请先关闭" in refused.value.message
        assert db_lock.holder(db_path) == holder
        assert db_lock.held_by_this_process(db_path) is first
    finally:
        first.release()
    assert db_lock.holder(db_path) is None and db_lock.held_by_this_process(db_path) is None
    assert db_lock.lock_path(db_path).read_text() == ""  # released: the file stays, empty
    with DatabaseLock.acquire(db_path):
        pass


def test_another_program_holding_the_lock_is_named_and_restore_is_refused(school_db, db_path, tmp_path, holder_process):
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester")
    with pytest.raises(DatabaseInUse) as refused:
        DatabaseLock.acquire(db_path)
    assert refused.value.holder.pid == holder_process.pid
    assert refused.value.holder.program == "adultschool gui"
    with pytest.raises(DatabaseInUse, match="不能同时恢复"):
        maintenance.restore_backup(db_path, made.path, actor="tester")
    assert not list((tmp_path / "userdata" / "backups").glob("*before-restore*"))  # nothing was touched


def test_plain_commands_still_run_while_a_window_holds_the_lock(school_db, db_path, holder_process, capsys):
    school_db.close()
    assert cli.main(["township", "add", "霞浦街道", "--db", str(db_path)]) == 0
    assert capsys.readouterr().out.strip().endswith("added township 霞浦街道")


def test_the_cli_restore_names_the_window_that_holds_the_database(school_db, db_path, tmp_path, holder_process, capsys):
    made = maintenance.back_up_now(school_db.path, tmp_path / "usb", actor="tester")
    school_db.close()
    assert cli.main(["restore", str(made.path), "--db", str(db_path), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "正在使用" in err and f"进程号 {holder_process.pid}" in err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_the_lock_dies_with_a_killed_program(db_path, holder_process):
    assert db_lock.holder(db_path) is not None
    os.kill(holder_process.pid, signal.SIGKILL)
    holder_process.wait(timeout=10)
    assert db_lock.holder(db_path) is None  # no stale lock, though its text is still in the file
    with DatabaseLock.acquire(db_path, program="adultschool gui") as lock:
        assert lock.held


# --- network drives -----------------------------------------------------------------------------------------------

MOUNTS = textwrap.dedent("""\
    /dev/sda2 / ext4 rw,relatime 0 0
    proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
    //fileserver/教务 /mnt/share cifs rw,relatime,vers=3.1.1 0 0
    nas:/export/school /srv/nas nfs4 rw,relatime 0 0
    /dev/sdb1 /srv/nas/local-cache ext4 rw 0 0
    //server/my\\040docs /mnt/my\\040docs smb3 rw 0 0
    /dev/sdc1 /media/U盘 vfat rw 0 0
""")


@pytest.mark.parametrize("path, kind", [
    ("/mnt/share/adultschool.sqlite3", "cifs"),
    ("/srv/nas/school/adultschool.sqlite3", "nfs4"),
    ("/srv/nas/local-cache/adultschool.sqlite3", None),  # a local disk mounted inside the network share
    ("/mnt/my docs/adultschool.sqlite3", "smb3"),  # /proc/mounts writes the space as \040
    ("/mnt/shared/adultschool.sqlite3", None),  # not under /mnt/share
    ("/home/clerk/adultschool.sqlite3", None),
    ("/media/U盘/adultschool.sqlite3", None),
])
def test_network_drives_are_recognised_from_the_mount_table(path, kind):
    assert db_lock.network_filesystem(Path(path), MOUNTS) == kind


def test_a_unc_path_is_a_network_drive():
    assert db_lock._windows_network_drive(PureWindowsPath(r"\\server\share\adultschool.sqlite3")) == "UNC"  # type: ignore[arg-type]


def test_the_cli_warns_about_a_database_on_a_network_drive_but_runs(school_db, db_path, monkeypatch, capsys):
    school_db.close()
    monkeypatch.setattr(db_lock, "network_drive", lambda _path: "cifs")
    assert cli.main(["township", "list", "--db", str(db_path)]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("提醒：") and "网络驱动器上（cifs）" in captured.err
    assert "大碶街道" in captured.out
