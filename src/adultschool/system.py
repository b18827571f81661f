"""The operating system in words for a clerk and for support: on Windows its edition, release and build as Windows
itself reports them (the registry and the version API), and Wine's version when the program runs under Wine; how long
ago this process started. Pure: no database, no Qt.
"""
from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class WindowsVersion:
    product: str  # ProductName, e.g. "Windows 10 Pro" (Windows 11 still says "Windows 10" there)
    release: str  # DisplayVersion ("22H2") or, before 20H2, ReleaseId ("1809"); "" when Windows names none
    major: int
    minor: int
    build: int
    revision: int | None = None  # UBR, the monthly update's number
    wine: str | None = None  # the Wine version when Wine stands in for Windows


FIRST_WINDOWS_11_BUILD = 22000


def describe_windows(version: WindowsVersion) -> str:
    """'Windows 11 Pro 23H2（版本 10.0.22631.4460）', 'Microsoft Windows 10（版本 10.0.18362），在 Wine 8.0 中运行'."""
    product = version.product.strip() or f"Windows {version.major}"
    if version.build >= FIRST_WINDOWS_11_BUILD and "Windows 10" in product:
        product = product.replace("Windows 10", "Windows 11")  # Microsoft never changed ProductName for Windows 11
    number = f"{version.major}.{version.minor}.{version.build}"
    if version.revision is not None:
        number += f".{version.revision}"
    text = f"{product} {version.release}".strip() + f"（版本 {number}）"
    if version.wine:
        text += f"，在 Wine {version.wine} 中运行"
    return text


def windows_version() -> WindowsVersion | None:
    """What this Windows reports about itself; None on another system."""
    if sys.platform != "win32":
        return None
    import winreg

    values: dict[str, object] = {}
    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Windows NT\CurrentVersion") as key:
            for name in ("ProductName", "DisplayVersion", "ReleaseId", "UBR"):
                try:
                    values[name] = winreg.QueryValueEx(key, name)[0]
                except OSError:
                    pass
    except OSError:
        pass
    reported = sys.getwindowsversion()  # GetVersionEx: python.exe's manifest declares Windows 10, so not "6.2"
    revision = values.get("UBR")
    return WindowsVersion(product=str(values.get("ProductName") or ""),
                          release=str(values.get("DisplayVersion") or values.get("ReleaseId") or ""),
                          major=reported.major, minor=reported.minor, build=reported.build,
                          revision=revision if isinstance(revision, int) else None, wine=_wine_version())


def _wine_version() -> str | None:
    """Wine's ntdll exports wine_get_version; Windows' does not."""
    if sys.platform != "win32":  # no ntdll to ask (ctypes has no windll)
        return None
    import ctypes

    try:
        get_version = ctypes.windll.ntdll.wine_get_version
    except (AttributeError, OSError):
        return None
    get_version.restype = ctypes.c_char_p
    return get_version().decode("ascii", "replace")


def os_description() -> str:
    """The line 帮助 → 关于 shows and the log starts with."""
    version = windows_version()
    return describe_windows(version) if version is not None else platform.platform()


def seconds_since_start() -> float | None:
    """How long ago the operating system started this process (its own clock, not Python's), None if unknown."""
    try:
        if sys.platform == "win32":
            return _windows_process_age()
        if sys.platform.startswith("linux"):
            with open("/proc/self/stat", encoding="ascii") as stat:
                started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
            with open("/proc/uptime", encoding="ascii") as uptime:
                since_boot = float(uptime.read().split()[0])
            return max(0.0, since_boot - started_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return None


def _windows_process_age() -> float | None:
    if sys.platform != "win32":  # seconds_since_start asks on Windows only (ctypes.WinDLL is Windows')
        return None
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE  # the pseudo-handle -1, all 64 bits of it
    times = ctypes.POINTER(wintypes.FILETIME)
    kernel32.GetProcessTimes.argtypes = [wintypes.HANDLE, times, times, times, times]
    kernel32.GetProcessTimes.restype = wintypes.BOOL
    kernel32.GetSystemTimeAsFileTime.argtypes = [times]
    created, exited, in_kernel, in_user, now = (wintypes.FILETIME() for _ in range(5))
    if not kernel32.GetProcessTimes(kernel32.GetCurrentProcess(), ctypes.byref(created), ctypes.byref(exited),
                                    ctypes.byref(in_kernel), ctypes.byref(in_user)):
        return None
    kernel32.GetSystemTimeAsFileTime(ctypes.byref(now))

    def ticks(value: wintypes.FILETIME) -> int:  # 100 ns since 1601
        return (value.dwHighDateTime << 32) | value.dwLowDateTime

    return max(0.0, (ticks(now) - ticks(created)) / 1e7)
