"""The operating system as the About box and the log name it: Windows as it reports itself (Windows 11 included, whose
ProductName still says 10), Wine when Wine stands in; the process's age from the system's own clock."""
from __future__ import annotations

import platform
import subprocess
import sys

from adultschool import system
from adultschool.system import WindowsVersion, describe_windows


def test_windows_10_names_edition_release_and_build_with_its_update():
    version = WindowsVersion(product="Windows 10 Pro", release="22H2", major=10, minor=0, build=19045, revision=3803)
    assert describe_windows(version) == "Windows 10 Pro 22H2（版本 10.0.19045.3803）"


def test_windows_11_is_called_windows_11_although_its_product_name_says_10():
    version = WindowsVersion(product="Windows 10 Home China", release="23H2", major=10, minor=0, build=22631,
                             revision=4460)
    assert describe_windows(version) == "Windows 11 Home China 23H2（版本 10.0.22631.4460）"


def test_the_oldest_windows_the_installer_accepts_names_its_release_id():
    version = WindowsVersion(product="Windows 10 Enterprise LTSC 2019", release="1809", major=10, minor=0, build=17763)
    assert describe_windows(version) == "Windows 10 Enterprise LTSC 2019 1809（版本 10.0.17763）"


def test_under_wine_it_shows_what_the_windows_wine_plays_reports_and_says_it_is_wine():
    version = WindowsVersion(product="Microsoft Windows 10", release="", major=10, minor=0, build=18362, wine="8.0")
    assert describe_windows(version) == "Microsoft Windows 10（版本 10.0.18362），在 Wine 8.0 中运行"


def test_a_windows_without_a_product_name_is_named_by_its_version():
    assert describe_windows(WindowsVersion("", "", 10, 0, 19041)) == "Windows 10（版本 10.0.19041）"


def test_other_systems_are_described_as_python_sees_them():
    if sys.platform != "win32":
        assert system.windows_version() is None
        assert system.os_description() == platform.platform()


def test_a_new_process_knows_it_started_a_moment_ago():
    probe = "from adultschool import system; print(system.seconds_since_start())"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    age = float(result.stdout)
    assert 0.0 <= age < 60.0
