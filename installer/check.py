"""Proves the Windows installer (run through `installer/check`, with the project's .venv Python).

1. Its contents (7-Zip reads NSIS installers): the app, its migrations and resources, Python, PySide6's
   Windows binaries, the launchers, idreader32.exe; and none of the test-only stand-in DLLs.
2. Under Wine 8 (Debian's wine64, a fresh prefix in a temporary folder, HOME pointed there too so nothing lands in
   the real home) on a virtual screen (Xvfb 1366×768, openbox for window frames):
   - Windows 10 1803 (build 17134) is refused, silently with exit status 2 and with its Chinese message box
     otherwise; 1809 (build 17763) installs (`/S`): files, shortcuts, the uninstall entry;
   - the ID card reader through stand-ins of the three vendor DLLs built by mingw-w64: as 64-bit DLLs loaded by the
     installed Python, and as 32-bit DLLs (most vendors' SDKs are) read through the installed idreader32.exe (Debian's
     wine32:i386 runs it);
   - the installed command line: `--version`, `init`, `roster import` of a small roster, `learners list --format
     json`, `sync export` to a district key made on this Linux side, whose district then imports the package (so
     the package made on "Windows" is verified and decrypted for real), `print forms`, the native wheels; in Wine's
     console set to code page 936, a command that prints a rare name (褚𬌗堃) exits 0 with the note after committing,
     and `learners list --format csv --out 名单.csv` writes the whole list in UTF-8 with a BOM;
   - the GUI, started as its desktop shortcut says: the first-run wizard, the demo school made through it by
     keyboard, the main window with its title and learner list, the About box with the Windows version; a clean exit
     (the exit backup), a second start on that database (no wizard), an upgrade (the same setup over the installed
     one) and a start on the same data; screenshots go to installer/dist/check/, and the app's log must hold no
     traceback;
   - start-up under Wine, reported (no gate): `python -c pass`, `--version`, `--help`, a read-only command on the
     demo, the GUI's first window;
   - a silent uninstall, which must leave the user's data folder alone.
Wine 8 lacks three things Windows 10 has, which the prefix gets as test-only stand-ins built with mingw-w64 from
installer/test/: bcryptprimitives.dll (cryptography's ProcessPrng), icuuc.dll (Qt6Core.dll imports it) and
mscms.dll (Wine's own aborts when qwindows.dll asks for a colour profile). They never enter the installer, and the
check refuses an installer that holds one.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import select
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ARTEFACTS = HERE / "dist" / "check"  # screenshots and the timings: CI keeps them
WINE = Path(os.environ.get("ADULTSCHOOL_WINE", "/usr/lib/wine/wine64"))
WINESERVER = WINE.with_name("wineserver")
MINGW_GCC = "x86_64-w64-mingw32-gcc-win32"
MINGW32_GCC = "i686-w64-mingw32-gcc-win32"  # the 32-bit stand-in reader DLLs
MINGW_OBJDUMP = "x86_64-w64-mingw32-objdump"
SCHOOL = ("330206-01", "测试学校")
PASSPHRASE = "installer-check-passphrase-1"
TITLE = "成人“双证制”学历提升教务"
RARE_NAME = "褚𬌗堃"  # 𬌗 is not in GBK (code page 936)
SCREEN = "1366x768x24"  # an old office monitor
WINDOWS_VERSION_KEY = r"HKLM\Software\Microsoft\Windows NT\CurrentVersion"
REFUSED_BUILD, OLDEST_BUILD, WINE_WINDOWS_10_BUILD = 17134, 17763, 18362  # 1803, 1809, what Wine's "win10" says
FIRST_WINDOW_SECONDS = 180  # generous: a cold Wine, two cores shared with other work
NATIVE_PROBE = r"""
import zxingcpp, _rl_accel, PIL._imaging, psycopg, pypdfium2, python_calamine, msoffcrypto
from adultschool import paths, system
print("resources", paths.resources_dir(), "synonyms", (paths.resources_dir() / "synonyms.json").is_file())
from adultschool.xlsx import read_workbook  # python-calamine's Rust extension reads a real workbook
print("calamine rows", len(read_workbook(r"C:\adtest\roster.xlsx")[0].rows))
print("psycopg", psycopg.pq.__impl__, "libpq", psycopg.pq.version())
document = pypdfium2.PdfDocument(r"C:\adtest\forms.pdf")
print("pdfium pages", len(document))
document.close()
print("system", system.os_description())
"""
# The stand-ins Wine 8 needs, and which installed file imports each (None: no import table to compare with).
STAND_INS = {
    "bcryptprimitives.dll": None,
    "icuuc.dll": "python/Lib/site-packages/PySide6/Qt6Core.dll",
    "mscms.dll": "python/Lib/site-packages/PySide6/plugins/platforms/qwindows.dll",
}

REQUIRED_ENTRIES = (
    "adultschool.cmd",
    "adultschool-shell.cmd",
    "idreader32.exe",  # reads a 32-bit vendor ID card reader DLL for the 64-bit program
    "python/python.exe",
    "python/pythonw.exe",
    "python/python311.dll",
    "python/python311.zip",
    "python/python311._pth",
    "adultschool.ico",
    "python/Lib/site-packages/adultschool/__init__.py",
    "python/Lib/site-packages/adultschool/cli/__init__.py",
    "python/Lib/site-packages/adultschool/ui/app.py",
    "python/Lib/site-packages/adultschool/db/migrations/env.py",
    "python/Lib/site-packages/adultschool/resources/fonts/LXGWWenKai-Regular.ttf",
    "python/Lib/site-packages/adultschool/resources/templates/certificate-senior.json",
    "python/Lib/site-packages/PySide6/Qt6Core.dll",
    "python/Lib/site-packages/PySide6/Qt6Gui.dll",
    "python/Lib/site-packages/PySide6/Qt6Widgets.dll",
    "python/Lib/site-packages/PySide6/QtWidgets.pyd",
    "python/Lib/site-packages/PySide6/plugins/platforms/qwindows.dll",
    "python/Lib/site-packages/PySide6/translations/qtbase_zh_CN.qm",
    "python/Lib/site-packages/shiboken6/Shiboken.pyd",
    "python/Lib/site-packages/sqlalchemy/__init__.py",
    "python/Lib/site-packages/cryptography/hazmat/bindings/_rust.pyd",
    "uninstall.exe",
)
REQUIRED_PREFIXES = ("python/Lib/site-packages/adultschool/db/migrations/versions/",
                     "python/Lib/site-packages/adultschool-")  # the dist-info: __version__ reads it


class CheckFailed(Exception):
    pass


checks: list[str] = []
timings: list[tuple[str, str]] = []  # (what, figure) measured under Wine, reported at the end


def ok(what: str) -> None:
    checks.append(what)
    print(f"  ok  {what}", flush=True)


def expect(condition: bool, what: str, detail: str = "") -> None:
    if not condition:
        raise CheckFailed(f"{what}{': ' + detail if detail else ''}")
    ok(what)


def step(title: str) -> float:
    print(f"[check] {title}", flush=True)
    return time.monotonic()


def finished(title: str, started: float) -> None:
    print(f"[check] {title}: {time.monotonic() - started:.1f} s", flush=True)


# --- 1. contents ------------------------------------------------------------------------------------------

def list_installer(setup: Path) -> set[str]:
    seven = shutil.which("7zz") or shutil.which("7z")
    if not seven:
        raise CheckFailed("7-Zip (7zz from Debian's 7zip, or 7z) is needed to list the installer")
    output = subprocess.run([seven, "l", "-slt", "-ba", str(setup)], capture_output=True, text=True, check=True).stdout
    return {line[len("Path = "):].replace("\\", "/") for line in output.splitlines() if line.startswith("Path = ")}


def check_contents(setup: Path) -> None:
    started = step(f"contents of {setup.name} ({setup.stat().st_size / 1e6:.1f} MB)")
    entries = list_installer(setup)
    missing = [name for name in REQUIRED_ENTRIES if name not in entries]
    expect(not missing, f"the installer holds the app, Python and PySide6's Windows binaries ({len(entries)} files)",
           f"missing {missing}")
    for prefix in REQUIRED_PREFIXES:
        expect(any(e.startswith(prefix) for e in entries), f"the installer holds {prefix}…")
    stand_ins = [e for e in entries if e.rsplit("/", 1)[-1].lower() in STAND_INS]
    expect(not stand_ins, f"no test-only stand-in ({', '.join(STAND_INS)}) in the installer", str(stand_ins))
    check_signature_guard()
    finished("contents", started)


def check_signature_guard() -> None:
    """The build's guard refuses an embeddable Python whose python311.dll lost the PSF's signature."""
    staged = HERE / "work" / "stage" / "python"
    if not (staged / "python.exe").exists():
        print("  --  signature guard not tried (no installer/work/stage: the installer was reused)")
        return
    sys.path.insert(0, str(HERE))
    import build

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in build.EMBED_REQUIRED:
            shutil.copy2(staged / name, folder / name)
        build.verify_embed(folder)  # the untouched files pass
        dll = folder / f"python{build.PY_TAG}.dll"
        data = bytearray(dll.read_bytes())
        data[len(data) // 2] ^= 0x01
        dll.write_bytes(bytes(data))
        try:
            build.verify_embed(folder)
        except SystemExit as refusal:
            expect("REFUSED" in str(refusal) and dll.name in str(refusal),
                   f"the build refuses an embeddable Python with one byte of {dll.name} changed")
        else:
            raise CheckFailed("the signature guard accepted a changed python311.dll")


# --- 2. under Wine ----------------------------------------------------------------------------------------

class Display:
    """A virtual screen (Xvfb) with a window manager (openbox: frames, focus, Alt+F4), and what is on it (xdotool)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.name = ""
        self.processes: list[subprocess.Popen] = []

    def start(self) -> None:
        for tool, package in (("Xvfb", "xvfb"), ("openbox", "openbox"), ("xdotool", "xdotool"),
                              ("xdpyinfo", "x11-utils")):
            if not shutil.which(tool):
                raise CheckFailed(f"{tool} is missing (Debian package {package})")
        read_end, write_end = os.pipe()
        # -displayfd: Xvfb takes the first free display and says which, so two checks on one machine never collide.
        with open(self.folder / "xvfb.log", "wb") as log:  # Xvfb keeps its own copy of the file
            self.processes.append(subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", SCREEN,
                                                    "-nolisten", "tcp", "-noreset"], pass_fds=(write_end,),
                                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log))
        os.close(write_end)
        number = b""
        deadline = time.monotonic() + 30
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            if select.select([read_end], [], [], 1)[0]:
                chunk = os.read(read_end, 16)
                if not chunk:
                    break
                number += chunk
        os.close(read_end)
        if not number.strip().isdigit():
            raise CheckFailed(f"Xvfb did not start: {(self.folder / 'xvfb.log').read_text(errors='replace')[-400:]}")
        self.name = f":{number.decode().strip()}"
        # Wine must not be started before the X server answers: its windows would stay invisible.
        self._wait(lambda: subprocess.run(["xdpyinfo", "-display", self.name], capture_output=True).returncode == 0,
                   30, "Xvfb answers")
        self.processes.append(subprocess.Popen(["openbox", "--sm-disable"], env=self.env(), stdin=subprocess.DEVNULL,
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self._wait(lambda: b"_NET_SUPPORTING_WM_CHECK(WINDOW)" in subprocess.run(
            ["xprop", "-display", self.name, "-root", "_NET_SUPPORTING_WM_CHECK"], capture_output=True).stdout,
                   30, "openbox manages the screen")

    def env(self) -> dict[str, str]:
        return {**os.environ, "DISPLAY": self.name}

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    @staticmethod
    def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise CheckFailed(f"timed out waiting until {what}")
            time.sleep(0.2)

    def xdotool(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["xdotool", *args], env=self.env(), capture_output=True, text=True, encoding="utf-8",
                              errors="replace", timeout=30)

    def windows(self) -> list[tuple[str, str]]:
        """(id, title) of every visible top-level window."""
        ids = self.xdotool("search", "--onlyvisible", "--name", ".").stdout.split()
        shown = []
        for window in ids:
            title = self.xdotool("getwindowname", window).stdout.rstrip("\n")
            if title:
                shown.append((window, title))
        return shown

    def wait_for(self, wanted: Callable[[str], bool], what: str, *, seconds: float = FIRST_WINDOW_SECONDS,
                 process: subprocess.Popen | None = None, refused: Callable[[str], bool] | None = None,
                 started: float | None = None) -> tuple[str, str, float]:
        """The first visible window whose title is `wanted`: (id, title, seconds since `started` or now)."""
        started = time.monotonic() if started is None else started
        deadline = time.monotonic() + seconds
        while True:
            for window, title in self.windows():
                if refused is not None and refused(title):
                    self.screenshot(f"failed-{time.strftime('%H%M%S')}.png")
                    raise CheckFailed(f"instead of {what}, a window “{title}” appeared")
                if wanted(title):
                    return window, title, time.monotonic() - started
            if process is not None and process.poll() is not None:
                raise CheckFailed(f"the program ended (exit {process.returncode}) before {what} appeared")
            if time.monotonic() > deadline:
                self.screenshot(f"failed-{time.strftime('%H%M%S')}.png")
                raise CheckFailed(f"{what} did not appear within {seconds:.0f} s; on the screen: {self.windows()}")
            time.sleep(0.2)

    def wait_painted(self, window: str, what: str, seconds: float = 60, started: float | None = None) -> float:
        """Waits until the window shows content (a mapped window is black until its program first paints it), and
        returns the seconds since `started`: what a clerk sees as "the window is there"."""
        from PIL import ImageGrab

        deadline = time.monotonic() + seconds
        while True:
            geometry = dict(line.split("=", 1) for line in
                            self.xdotool("getwindowgeometry", "--shell", window).stdout.split() if "=" in line)
            try:
                x, y, width, height = (int(geometry[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
                area = ImageGrab.grab(xdisplay=self.name).crop((x, y, x + width, y + height))
                colours = area.getcolors(maxcolors=32)
            except (KeyError, ValueError):
                colours = []
            if colours is None:  # more than 32 colours: antialiased text, icons (a blank window has one or two)
                return time.monotonic() - (started if started is not None else time.monotonic())
            if time.monotonic() > deadline:
                self.screenshot(f"failed-{time.strftime('%H%M%S')}.png")
                raise CheckFailed(f"{what} stayed blank for {seconds:.0f} s")
            time.sleep(0.2)

    def wait_gone(self, window: str, what: str, seconds: float = 30) -> None:
        self._wait(lambda: window not in {w for w, _t in self.windows()}, seconds, f"{what} closed")

    def keys(self, window: str, *keys: str) -> None:
        """Keys typed into `window` (raised and focused first), as a clerk's keyboard would."""
        self.xdotool("windowactivate", "--sync", window)
        time.sleep(0.3)
        self.xdotool("key", "--clearmodifiers", *keys)

    def screenshot(self, name: str) -> Path:
        from PIL import ImageGrab  # the project's .venv has Pillow (reportlab's), built with XCB

        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTEFACTS / name
        ImageGrab.grab(xdisplay=self.name).save(path)
        return path


class Wine:
    def __init__(self, folder: Path, display: Display):
        self.folder = folder
        self.prefix = folder / "prefix"
        self.home = folder / "home"
        self.home.mkdir(exist_ok=True)
        self.display = display
        self.env = {**os.environ, "WINEPREFIX": str(self.prefix), "WINEARCH": "win64", "WINEDEBUG": "-all",
                    "HOME": str(self.home), "XDG_CONFIG_HOME": str(self.home / ".config"),
                    "XDG_DATA_HOME": str(self.home / ".local/share"), "XDG_DESKTOP_DIR": str(self.home / "Desktop"),
                    # no Mono/Gecko install prompts, no menu entries or desktop files on this host; mscms=n makes
                    # Wine load the test-only stand-in (in system32) instead of its own mscms.dll
                    "WINEDLLOVERRIDES": "mscoree,mshtml=;winemenubuilder.exe=d;mscms=n"}
        for name in ("WAYLAND_DISPLAY", "PYTHONPATH", "PYTHONHOME", "PYTHONIOENCODING", "PYTHONUTF8"):
            self.env.pop(name, None)
        self.env["DISPLAY"] = display.name  # from the start: a wineserver begun without one never shows a window

    def start(self) -> None:
        """A new prefix that says Windows 10, and a wineserver that stays up until stop().

        The services Wine starts (winedevice, plugplay, …) inherit the standard handles of the program that
        started them and outlive it: started here with none, they never hold a later command's output pipe open.
        """
        self.run_quiet("wineboot", "--init")
        subprocess.run([str(WINESERVER), "-w"], env=self.env, timeout=300)
        subprocess.run([str(WINESERVER), "-p"], env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
        self.run_quiet("winecfg", "/v", "win10")

    def stop(self) -> None:
        subprocess.run([str(WINESERVER), "-k"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)

    def run(self, *args: str, timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        # Pipes, not files: Wine 8 hands a Windows program a regular Unix file as a standard handle that
        # Python cannot open ("init_sys_streams: Invalid handle"). On Windows any redirection works.
        return subprocess.run([str(WINE), *args], env={**self.env, **(env or {})}, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)

    def run_quiet(self, *args: str, timeout: float = 600) -> int:
        return subprocess.run([str(WINE), *args], env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=timeout).returncode

    def start_program(self, *args: str, cwd: Path | None = None, log: Path | None = None) -> subprocess.Popen:
        """A program left running; its output goes through a pipe (a plain file as its stdout kills even pythonw.exe
        under Wine) into `log`."""
        process = subprocess.Popen([str(WINE), *args], env=self.env, cwd=cwd, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE if log else subprocess.DEVNULL, stderr=subprocess.STDOUT)
        if log is not None:
            def copy() -> None:
                with open(log, "ab") as sink:
                    for chunk in iter(lambda: process.stdout.read1(4096), b""):  # type: ignore[union-attr]
                        sink.write(chunk)
                        sink.flush()
            threading.Thread(target=copy, daemon=True).start()
        return process

    def set_windows_build(self, build: int) -> None:
        for value in ("CurrentBuildNumber", "CurrentBuild"):
            status = self.run_quiet("reg", "add", WINDOWS_VERSION_KEY, "/v", value, "/d", str(build), "/f")
            if status != 0:
                raise CheckFailed(f"could not set {value} to {build} (exit {status})")

    def c_drive(self) -> Path:
        return self.prefix / "drive_c"

    def unix(self, windows_path: str) -> Path:
        drive, _, rest = windows_path.partition(":\\")
        if drive.upper() != "C":
            raise CheckFailed(f"not on C: {windows_path}")
        return self.c_drive().joinpath(*rest.rstrip("\0").split("\\"))

    def user_folder(self) -> Path:
        users = [p for p in (self.c_drive() / "users").iterdir() if p.name not in ("Public", "Default")]
        if len(users) != 1:
            raise CheckFailed(f"expected one Wine user, found {users}")
        return users[0]


def text(result: subprocess.CompletedProcess) -> tuple[str, str]:
    return result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")


def make_roster(path: Path) -> list[str]:
    """A small R13 roster as a township sends it (title, unit line, header, four learners, one with a rare name)."""
    import openpyxl
    from stdnum.cn import ric

    def make_id(birth: date, serial: int, male: bool) -> str:
        body = f"330206{birth:%Y%m%d}{(serial * 2 + (1 if male else 0)) % 1000:03d}"
        return body + ric.calc_check_digit(body + "0")

    learners = [("陈堃", "男", make_id(date(1990, 1, 5), 1, True), "高中"),
                ("林喆", "女", make_id(date(1985, 6, 5), 2, False), "初中"),
                ("王赟", "男", make_id(date(1979, 11, 23), 3, True), "高中"),
                (RARE_NAME, "男", make_id(date(1988, 6, 1), 4, True), "高中")]
    headers = ["序号", "姓名", "性别", "文化程度", "身份证号码", "工作单位或家庭地址", "联系电话", "学历提升层次（初中/高中）"]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "报名汇总表"
    sheet.append(["成人“双证制”学历提升报名汇总表"])
    sheet.append(["单位：大碶街道成人文化技术学校"])
    sheet.append(headers)
    for number, (name, gender, id_number, level) in enumerate(learners, start=1):
        sheet.append([number, name, gender, "初中", id_number, "宁波市北仑区大碶街道", "13857412345", level])
        sheet.cell(row=sheet.max_row, column=5).number_format = "@"
    workbook.save(path)
    return [name for name, *_ in learners]


def host_adultschool(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "adultschool", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise CheckFailed(f"host `adultschool {' '.join(args)}` failed ({result.returncode}): {result.stderr.strip()}")
    return result


def pe_imported_functions(path: Path, dll: str) -> set[str]:
    """The functions `path` imports from `dll` (mingw-w64's objdump reads the import table)."""
    output = subprocess.run([MINGW_OBJDUMP, "-p", str(path)], capture_output=True, text=True, check=True).stdout
    names: set[str] = set()
    inside = False
    for line in output.splitlines():
        if line.strip().lower() == f"dll name: {dll}":
            inside = True
        elif inside and line.strip().lower().startswith("dll name:"):
            break
        elif inside:
            found = re.match(r"^\s*[0-9a-f]+\s+\d+\s+(\S+)\s*$", line)
            if found:
                names.add(found.group(1))
            elif names and not line.strip():
                break
    return names


def pe_exported_functions(path: Path) -> set[str]:
    output = subprocess.run([MINGW_OBJDUMP, "-p", str(path)], capture_output=True, text=True, check=True).stdout
    table = output.split("[Ordinal/Name Pointer] Table", 1)[-1]
    return set(re.findall(r"^\s*\[\s*\d+\]\s+(\S+)\s*$", table, re.MULTILINE))


def build_stand_ins(folder: Path, system32: Path) -> dict[str, Path]:
    """The test-only DLLs, compiled from installer/test/*.c into the prefix's system32 (and nowhere else)."""
    built = {}
    for name in STAND_INS:
        source, target = HERE / "test" / f"{Path(name).stem}.c", folder / name
        command = [MINGW_GCC, "-shared", "-O2", "-s", "-o", str(target), str(source)]
        if name == "bcryptprimitives.dll":
            command.append("-ladvapi32")
        else:  # no C runtime at all
            command += ["-nostdlib", "-Wl,-e,DllMainCRTStartup"]
        subprocess.run(command, check=True)
        shutil.copy2(target, system32 / name)
        built[name] = target
    return built


def read_shortcut(path: Path) -> tuple[str, str, str]:
    """(target, arguments, working folder) of a .lnk file (MS-SHLLINK: header, ID list, LinkInfo, string data)."""
    data = path.read_bytes()
    if data[:4] != b"\x4c\0\0\0":
        raise CheckFailed(f"{path.name} is not a shortcut")
    flags = struct.unpack_from("<I", data, 20)[0]
    position = 76
    if flags & 0x01:  # HasLinkTargetIDList
        position += 2 + struct.unpack_from("<H", data, position)[0]
    target = ""
    if flags & 0x02:  # HasLinkInfo
        size = struct.unpack_from("<I", data, position)[0]
        info = data[position:position + size]
        header_size, info_flags, _volume, base = struct.unpack_from("<IIII", info, 4)
        if info_flags & 0x01:
            if header_size >= 0x24:
                start = struct.unpack_from("<I", info, 28)[0]
                end = start
                while info[end:end + 2] != b"\0\0":
                    end += 2
                target = info[start:end].decode("utf-16-le")
            else:
                target = info[base:info.index(b"\0", base)].decode("latin-1")
        position += size
    strings = {}
    width = 2 if flags & 0x80 else 1  # IsUnicode
    for bit, name in ((0x04, "name"), (0x08, "relative_path"), (0x10, "working_dir"), (0x20, "arguments"),
                      (0x40, "icon")):
        if flags & bit:
            count = struct.unpack_from("<H", data, position)[0]
            raw = data[position + 2:position + 2 + count * width]
            strings[name] = raw.decode("utf-16-le" if width == 2 else "latin-1").rstrip("\0")
            position += 2 + count * width
    return target, strings.get("arguments", ""), strings.get("working_dir", "")


def check_under_wine(setup: Path, version: str, keep: bool) -> None:
    for tool in (WINE, WINESERVER):
        if not tool.exists():
            raise CheckFailed(f"{tool} is missing (Debian package wine64)")
    for tool in (MINGW_GCC, MINGW_OBJDUMP):
        if not shutil.which(tool):
            raise CheckFailed(f"{tool} is missing (Debian package gcc-mingw-w64-x86-64-win32)")
    if not shutil.which(MINGW32_GCC):
        raise CheckFailed(f"{MINGW32_GCC} is missing (Debian package gcc-mingw-w64-i686-win32)")
    if not WINE.with_name("wine").exists():
        raise CheckFailed(f"{WINE.with_name('wine')} is missing: 32-bit programs need Debian's wine32:i386")
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    ARTEFACTS.mkdir(parents=True)
    folder = Path(tempfile.mkdtemp(prefix="adultschool-wine-"))
    display = Display(folder)
    wine: Wine | None = None
    try:
        started = step("a virtual screen and a fresh Wine prefix (Windows 10) with the test-only stand-in DLLs")
        display.start()
        wine = Wine(folder, display)
        wine.start()
        version_text = text(wine.run("cmd", "/c", "ver"))[0].strip()
        expect("10.0" in version_text, f"Wine says {version_text} (screen {display.name}, {SCREEN})")
        system32 = wine.c_drive() / "windows" / "system32"
        stand_ins = build_stand_ins(folder, system32)
        # Wine's own fonts have no Chinese: the installer's message box borrows the host's CJK font (test-only;
        # Windows has its own Chinese UI fonts).
        for face in ("Tahoma", "MS Shell Dlg", "MS Shell Dlg 2", "Microsoft Sans Serif", "Segoe UI"):
            wine.run_quiet("reg", "add", r"HKCU\Software\Wine\Fonts\Replacements", "/v", face, "/d",
                           "WenQuanYi Micro Hei", "/f")
        finished("prefix", started)

        user = wine.user_folder()
        install = user / "AppData" / "Local" / "Programs" / "adultschool"
        check_refused_windows(wine, display, setup, install)

        started = step(f"silent install on Windows 10 1809 (build {OLDEST_BUILD}): {setup.name} /S")
        status = wine.run_quiet(str(setup), "/S")
        expect(status == 0, f"the silent install exits 0 on build {OLDEST_BUILD}, the oldest it takes", f"exit {status}")
        wine.set_windows_build(WINE_WINDOWS_10_BUILD)  # back to what Wine's "Windows 10" says, for the rest
        for name in ("adultschool.cmd", "uninstall.exe", "python/python.exe", "python/pythonw.exe",
                     "adultschool.ico", "python/Lib/site-packages/adultschool/__init__.py",
                     "python/Lib/site-packages/PySide6/Qt6Core.dll"):
            if not (install / name).exists():
                raise CheckFailed(f"not installed: {install / name}")
        ok(f"installed per user into %LOCALAPPDATA%\\Programs\\adultschool ({sum(1 for _ in install.rglob('*'))} files)")
        start_menu = user / "AppData" / "Roaming" / "Microsoft" / "Windows" / "Start Menu" / "Programs"
        expect((start_menu / f"{TITLE}.lnk").exists() and (start_menu / f"{TITLE} 命令行.lnk").exists(),
               "Start-menu shortcuts (the program and its command line)")
        desktop = user / "Desktop"
        expect((desktop / f"{TITLE}.lnk").exists(), "desktop shortcut")
        key = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\adultschool"
        registry = text(wine.run("reg", "query", key))[0]
        expect("DisplayVersion" in registry and version in registry and "uninstall.exe" in registry,
               f"uninstall entry under {key}, DisplayVersion {version}", registry)
        for name, importer in STAND_INS.items():
            if importer is None:
                continue
            needed = pe_imported_functions(install / importer, name)
            missing = needed - pe_exported_functions(stand_ins[name])
            expect(bool(needed) and not missing,
                   f"the {name} stand-in exports all {len(needed)} functions the installed {Path(importer).name} "
                   "imports", f"missing {sorted(missing)}")
        finished("install", started)

        data_dir = user / "AppData" / "Local" / "adultschool"
        launcher = "C:\\users\\" + user.name + "\\AppData\\Local\\Programs\\adultschool\\adultschool.cmd"
        check_command_line(wine, folder, launcher, data_dir, version)
        check_card_reader(wine, launcher)
        check_card_reader_32(wine, launcher, install)
        check_gbk_console(wine, launcher)

        shortcut = desktop / f"{TITLE}.lnk"
        check_gui(wine, display, shortcut, setup, data_dir)
        measure_start_up(wine, launcher, data_dir)

        started = step("silent uninstall")
        status = wine.run_quiet(str(install / "uninstall.exe"), "/S")
        expect(status == 0, "the silent uninstall exits 0", f"exit {status}")
        deadline = time.monotonic() + 180  # the uninstaller goes on in a copy of itself in %TEMP%
        while time.monotonic() < deadline and (install.exists() or wine.run("reg", "query", key).returncode == 0):
            time.sleep(1)
        expect(not install.exists(), "the program folder is gone",
               str(list(install.rglob("*"))[:5]) if install.exists() else "")
        expect(not (start_menu / f"{TITLE}.lnk").exists() and not (desktop / f"{TITLE}.lnk").exists(),
               "the shortcuts are gone")
        registry = wine.run("reg", "query", key)
        expect(registry.returncode != 0, "the uninstall entry is gone")
        expect((data_dir / "keys").is_dir() and any((data_dir / "keys").iterdir())
               and (wine.c_drive() / "adtest" / "t.sqlite3").exists() and (data_dir / "adultschool.sqlite3").exists(),
               "the user's data (keys, logs, databases) are still there")
        finished("uninstall", started)
    finally:
        if wine is not None:
            wine.stop()
        display.stop()
        if keep:
            print(f"[check] kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
        if timings:
            report_timings()


def check_refused_windows(wine: Wine, display: Display, setup: Path, install: Path) -> None:
    """The installer refuses Windows 10 older than 1809, silently with exit 2 and with a Chinese message otherwise."""
    started = step(f"Windows 10 1803 (build {REFUSED_BUILD}) is refused")
    wine.set_windows_build(REFUSED_BUILD)
    expect(str(REFUSED_BUILD) in text(wine.run("cmd", "/c", "ver"))[0], f"Wine now says build {REFUSED_BUILD}")
    status = wine.run_quiet(str(setup), "/S")
    expect(status == 2 and not install.exists(), "`setup.exe /S` exits 2 and installs nothing", f"exit {status}")
    process = wine.start_program(str(setup))
    try:
        box, title, _seconds = display.wait_for(lambda t: t.startswith(TITLE), "the installer's message box",
                                                seconds=120, process=process)
        display.wait_painted(box, "the installer's message box")
        shot = display.screenshot("1-refused-windows-10-1803.png")
        display.keys(box, "Return")
        status = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    expect(status == 2 and not install.exists(),
           f"without /S it shows “{title}” (the Chinese message: {shot.name}); 确定 ends it with exit 2",
           f"exit {status}")
    wine.set_windows_build(OLDEST_BUILD)
    finished("refusal", started)


def check_command_line(wine: Wine, folder: Path, launcher: str, data_dir: Path, version: str) -> None:
    started = step("the installed command line under Wine")
    work = wine.c_drive() / "adtest"
    work.mkdir()
    names = make_roster(work / "roster.xlsx")
    host = folder / "host"
    host_env = {**os.environ, "ADULTSCHOOL_DATA_DIR": str(host / "data"), "ADULTSCHOOL_PASSPHRASE": PASSPHRASE}
    host.mkdir()
    host_adultschool("init", "--district", "330206", "--db", str(host / "d.sqlite3"), env=host_env)
    host_adultschool("sync", "keygen", "--db", str(host / "d.sqlite3"), "--out", str(host / "keys"), env=host_env)
    shutil.copy2(host / "keys" / "district.pub", work / "district.pub")
    db = r"C:\adtest\t.sqlite3"

    def cli(*args: str, expect_exit: int = 0) -> tuple[str, str]:
        began = time.monotonic()
        result = wine.run(launcher, *args)
        out, err = text(result)
        shown = " ".join(a if " " not in a else f'"{a}"' for a in args)
        print(f"      > adultschool {shown}   ({time.monotonic() - began:.1f} s, exit {result.returncode})")
        for line in (out + err).strip().splitlines():
            print(f"        {line}")
        if result.returncode != expect_exit:
            raise CheckFailed(f"`adultschool {shown}` exited {result.returncode}, expected {expect_exit}")
        return out, err

    output = cli("--version")[0]
    expect(output.strip() == f"adultschool {version}", f"`adultschool --version` says {version}")
    output = "".join(cli("init", "--school-code", SCHOOL[0], "--school-name", SCHOOL[1], "--db", db))
    expect(f"initialised school {SCHOOL[0]} {SCHOOL[1]}" in output, "`init` made the school database")
    expect((work / "t.sqlite3").exists(), "the database file is where --db said")
    output = cli("roster", "import", r"C:\adtest\roster.xlsx", "--db", db)[0]
    expect(output.strip().splitlines()[-1] == f"imported {len(names)}, rejected 0",
           f"`roster import` registered {len(names)} learners")
    listed = json.loads(cli("learners", "list", "--format", "json", "--db", db)[0])
    expect(sorted(row["name"] for row in listed) == sorted(names),
           f"`learners list --format json` gives back the Chinese names, {RARE_NAME} too (UTF-8 through a pipe)")
    exported = "".join(cli("sync", "export", "--to", r"C:\adtest\district.pub", "--out", r"C:\adtest\p.aspkg",
                           "--db", db))
    expect((work / "p.aspkg").is_file() and "exported package 1" in exported,
           "`sync export` wrote an encrypted, signed package (cryptography under Wine)")
    output = "".join(cli("print", "forms", "--kind", "registration", "--out", r"C:\adtest\forms.pdf", "--db", db))
    expect((work / "forms.pdf").is_file() and f"{len(names)} pages" in output,
           "`print forms` wrote the registration forms (reportlab, the font from the installed resources)")
    python = launcher.replace("adultschool.cmd", "python\\python.exe")
    probe = wine.run(python, "-X", "utf8", "-c", NATIVE_PROBE)
    out, err = text(probe)
    print(f"      > python.exe -c <native modules probe>   (exit {probe.returncode})")
    for line in (out + err).strip().splitlines():
        print(f"        {line}")
    expect(probe.returncode == 0 and f"pdfium pages {len(names)}" in out,
           "the native wheels load under Wine (zxing-cpp, rl_accel, Pillow, pypdfium2, psycopg's libpq, "
           "python-calamine)")
    expect(f"10.0.{WINE_WINDOWS_10_BUILD}" in out and "Wine" in out,
           "adultschool.system names the Windows Wine plays, and Wine", out)
    expect((data_dir / "keys").is_dir(), "the school's signing key lives in %LOCALAPPDATA%\\adultschool (platformdirs)")
    finished("command line", started)

    # The district takes packages only from schools on its roster, signed by the key read out on the phone.
    fingerprint = next((line.split("：", 1)[1].strip() for line in exported.splitlines()
                        if line.startswith("本校签名密钥指纹：")), None)
    expect(fingerprint is not None, "`sync export` names the school's key fingerprint", exported)
    enlisted = host_adultschool("sync", "schools", "add", SCHOOL[0], "--name", SCHOOL[1], "--fingerprint", fingerprint,
                                "--db", str(host / "d.sqlite3"), env=host_env)
    expect(enlisted.returncode == 0, "the district puts the school on its roster with its key's fingerprint",
           enlisted.stdout + enlisted.stderr)
    imported = host_adultschool("sync", "import", str(work / "p.aspkg"), "--db", str(host / "d.sqlite3"), env=host_env)
    expect(imported.returncode == 0, "the district (Linux) verifies, decrypts and merges the package made under Wine",
           imported.stdout)


READER_SOURCE = ROOT / "tests" / "standin" / "idreader_standin.c"
READER_FILES = {"sdt": "sdtapi.dll", "cvr": "termb.dll", "syn": "SynIDCardAPI.dll"}  # as the vendors name them
CARD_NAME, CARD_ADDRESS, CARD_ISSUER = "葛晓燕", "浙江省宁波市北仑区大碶街道灵峰路88号", "宁波市公安局北仑分局"


def reader_state(card: str = "present") -> str:
    """The stand-in reader's state file (tests/standinlib.py writes the same fields): a reader on USB port 1002."""
    from stdnum.cn import ric

    body = "33020619910709012"
    number = body + ric.calc_check_digit(body + "0")

    def gbk(text: str) -> str:
        return "hex:" + text.encode("gbk").hex()

    fields = {"reader": "present", "port": "1002", "card": card, "name": CARD_NAME, "sex": "2", "nation": "01",
              "birth": "19910709", "address": CARD_ADDRESS, "id": number, "issuer": CARD_ISSUER, "from": "20200101",
              "to": "20400101", "gbk_name": gbk(CARD_NAME), "gbk_sex": gbk("女"), "gbk_nation": gbk("汉"),
              "gbk_address": gbk(CARD_ADDRESS), "gbk_issuer": gbk(CARD_ISSUER)}
    return "".join(f"{key}={value}\n" for key, value in fields.items())


def reader_cli(wine: Wine, launcher: str, env: dict[str, str]) -> Callable[..., tuple[int, str]]:
    """`cli("card", "read")`: the installed command line with the stand-in's environment, shown as it runs."""

    def cli(*args: str) -> tuple[int, str]:
        began = time.monotonic()
        result = wine.run(launcher, *args, env=env)
        out, err = text(result)
        print(f"      > adultschool {' '.join(args)}   ({time.monotonic() - began:.1f} s, exit {result.returncode})")
        for line in (out + err).strip().splitlines()[:6]:
            print(f"        {line}")
        return result.returncode, out + err

    return cli


def stand_in_readers(wine: Wine, launcher: str, folder: str, compiler: list[str]) -> tuple[Path, Callable[..., tuple[int, str]]]:
    """Each family's stand-in DLL and a WltRS.dll (the SAM family's photo decoder, GetBmp) built by `compiler` into
    C:\\adtest\\`folder`, a card on the reader, and the installed command line that finds them."""
    work = wine.c_drive() / "adtest" / folder
    work.mkdir(parents=True)
    for name in (*READER_FILES.values(), "WltRS.dll"):
        subprocess.run([*compiler, "-o", str(work / name), str(READER_SOURCE)], check=True)
    (work / "state.txt").write_text(reader_state(), encoding="utf-8")
    env = {"IDREADER_STANDIN_STATE": f"C:\\adtest\\{folder}\\state.txt",
           "IDREADER_STANDIN_LOG": f"C:\\adtest\\{folder}\\calls.txt"}
    return work, reader_cli(wine, launcher, env)


def read_every_family(cli: Callable[..., tuple[int, str]], folder: str, *, bits: str, through: str) -> None:
    """`card setup` and `card read` with each family's stand-in in C:\\adtest\\`folder` (the SAM family's with the
    WltRS.dll photo decoder): the card, the port the scan found, and the photo."""
    for family, name in READER_FILES.items():
        extra = ("--photo-decoder", f"C:\\adtest\\{folder}\\WltRS.dll") if family == "sdt" else ()
        status, output = cli("card", "setup", "--library", f"C:\\adtest\\{folder}\\{name}", "--family", family,
                             *extra, "--db", r"C:\adtest\t.sqlite3")
        expect(status == 0, f"`card setup --family {family}` takes the {bits} {name}", output)
        status, output = cli("card", "read", "--format", "json")
        card = json.loads(output.strip().splitlines()[0]) if status == 0 else {}
        expect(card.get("name") == CARD_NAME and card.get("address") == CARD_ADDRESS
               and str(card.get("id_number", "")).startswith("330206********") and card.get("port") == 1002,
               f"{bits} {name} ({family}): the card read {through} — name, address, masked number, the port the scan "
               "found", output)
        if family == "sdt":
            expect(card.get("photo") == "read" and card.get("photo_problem") is None,
                   f"the card's photo decoded by the {bits} WltRS.dll's GetBmp {through} (a temporary .wlt → .bmp, "
                   "ANSI path)", output)


def check_card_reader(wine: Wine, launcher: str) -> None:
    """The ID card reader adapter in the installed (Windows, 64-bit) Python: each vendor family's DLL, a test-only
    stand-in built with mingw-w64 from the tests' C source (never in the installer), found by the port scan."""
    started = step("the ID card reader under Wine (stand-in vendor DLLs)")
    work, cli = stand_in_readers(wine, launcher, "reader", [MINGW_GCC, "-shared", "-O1"])
    read_every_family(cli, "reader", bits="64-bit", through="through ctypes under Windows (loaded directly)")
    calls = (work / "calls.txt").read_text(encoding="ascii", errors="replace").split()
    expect("1001" in calls and "1002" in calls, "the scan tried USB port 1001 before finding the reader on 1002")
    (work / "state.txt").write_text(reader_state(card="absent"), encoding="utf-8")
    status, output = cli("card", "read")
    expect(status == 2 and "请把身份证放在读卡器上" in output, "no card on the reader: the Chinese request to place it",
           output)
    finished("card reader", started)


def check_card_reader_32(wine: Wine, launcher: str, install: Path) -> None:
    """A 32-bit vendor DLL under the 64-bit program: the same stand-in built as 32-bit DLLs (stdcall, undecorated
    exports as the vendors' are), read through the installed idreader32.exe, the photo decoded by a 32-bit WltRS.dll."""
    started = step("the ID card reader with 32-bit vendor DLLs, through idreader32.exe")
    helper = install / "idreader32.exe"
    head = helper.read_bytes()[:4096] if helper.exists() else b""
    machine = 0
    if head[:2] == b"MZ":
        machine = struct.unpack_from("<H", head, struct.unpack_from("<I", head, 0x3C)[0] + 4)[0]
    expect(machine == 0x014C, "idreader32.exe is installed beside python\\ and is a 32-bit (i386) program",
           f"machine {machine:#x}")
    # --kill-at: "SDT_OpenPort", not "SDT_OpenPort@4"; libgcc inside (Wine has no libgcc_s_dw2-1.dll)
    work, cli = stand_in_readers(wine, launcher, "reader32",
                                 [MINGW32_GCC, "-shared", "-O1", "-static-libgcc", "-Wl,--kill-at"])
    read_every_family(cli, "reader32", bits="32-bit", through="through idreader32.exe (no 32-bit Python asked for)")
    calls = (work / "calls.txt").read_text(encoding="ascii", errors="replace").split()
    expect(all(call in calls for call in ("SDT_ReadBaseMsg", "CVR_Read_Content", "Syn_ReadMsg", "GetBmp")),
           "the 32-bit stand-ins were called (each family's read, and GetBmp)")
    finished("card reader, 32-bit", started)


def check_gbk_console(wine: Wine, launcher: str) -> None:
    """In Wine's console set to code page 936 (a Chinese Windows' own), with output redirected to files: a command
    that prints 褚𬌗堃 after committing exits 0, writes GBK with '?' for 𬌗 and the note; --out writes UTF-8 with a BOM.
    PYTHONIOENCODING=utf-8 is set first, as another Python might leave it: the launcher drops it."""
    started = step("Wine's console in code page 936 (GBK), output redirected")
    work = wine.c_drive() / "adtest"
    db = r"C:\adtest\t.sqlite3"
    listed = json.loads(text(wine.run(launcher, "learners", "list", "--format", "json", "--db", db))[0])
    number = next(row["student_number"] for row in listed if row["name"] == RARE_NAME)
    # The Chinese words come through the environment: Wine's cmd reads a batch file in its starting code page (437),
    # not in the one `chcp` sets, so a GBK batch file would garble them; typed at a console they arrive as Unicode.
    script = "\r\n".join([
        "@chcp 936 >nul",
        "@set PYTHONIOENCODING=utf-8",
        f'@call "{launcher}" learners withdraw {number} --reason %ADTEST_REASON% --db {db} '
        r"> C:\adtest\gbk-out.txt 2> C:\adtest\gbk-err.txt",
        "@if errorlevel 1 exit /b %ERRORLEVEL%",
        f'@call "{launcher}" learners list --format csv --out "%ADTEST_CSV%" --db {db} '
        r"> C:\adtest\gbk-csv-out.txt 2>&1",
        "@exit /b %ERRORLEVEL%", ""])
    (work / "gbk.cmd").write_text(script, encoding="ascii", newline="")
    began = time.monotonic()
    result = wine.run("wineconsole", "cmd", "/c", r"C:\adtest\gbk.cmd", timeout=300,
                      env={"ADTEST_REASON": "外出务工", "ADTEST_CSV": r"C:\adtest\名单.csv"})
    out = (work / "gbk-out.txt").read_bytes().decode("gbk", "replace") if (work / "gbk-out.txt").exists() else ""
    err = (work / "gbk-err.txt").read_bytes().decode("gbk", "replace") if (work / "gbk-err.txt").exists() else ""
    print(f"      > (wineconsole, chcp 936) adultschool learners withdraw {number} --reason 外出务工 > gbk-out.txt "
          f"2> gbk-err.txt   ({time.monotonic() - began:.1f} s, exit {result.returncode})")
    for line in (out + err).strip().splitlines():
        print(f"        {line}")
    expect(result.returncode == 0, "the command exits 0 in a GBK console with its output redirected",
           f"exit {result.returncode}")
    expect(f"withdrawn {number}: withdrawn" in out and "褚?堃" in out,
           f"its output is GBK, {RARE_NAME} printed as 褚?堃 (the console's code page, not the inherited UTF-8)", out)
    expect("有 1 个字符" in err and "--out" in err, "the note says a character was replaced and how to get it all", err)
    status = json.loads(text(wine.run(launcher, "learners", "list", "--format", "json", "--status", "withdrawn",
                                      "--db", db))[0])
    expect([row["name"] for row in status] == [RARE_NAME], "the withdrawal was committed (the database says so)")
    raw = (work / "名单.csv").read_bytes() if (work / "名单.csv").exists() else b""
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig", "replace"))))
    said = (work / "gbk-csv-out.txt").read_bytes().decode("gbk", "replace").strip()
    print(f"      > (same console) adultschool learners list --format csv --out 名单.csv   ({said})")
    expect(raw.startswith(b"\xef\xbb\xbf") and rows[0][:2] == ["student_number", "name"]
           and sorted(r[1] for r in rows[1:]) == sorted(row["name"] for row in listed) and "（4 条）" in said,
           f"`learners list --format csv --out 名单.csv` wrote all {len(rows) - 1} learners in UTF-8 with a BOM, "
           f"{RARE_NAME} whole", repr(raw[:200]))
    finished("GBK console", started)


def newest_exit_backup(data_dir: Path) -> float:
    copies = list((data_dir / "backups").glob("adultschool-exit-*.sqlite3"))
    return max((p.stat().st_mtime for p in copies), default=0.0)


def check_gui(wine: Wine, display: Display, shortcut: Path, setup: Path, data_dir: Path) -> None:
    started = step("the GUI, started as its desktop shortcut says")
    target, arguments, working = read_shortcut(shortcut)
    expect(target.lower().endswith("\\python\\pythonw.exe") and arguments == "-X utf8 -m adultschool.ui.app",
           f"the shortcut runs {target} {arguments} in {working}")
    command = [target, *shlex.split(arguments, posix=False)]
    cwd = wine.unix(working)
    main_title = re.compile(r".+ — " + re.escape(TITLE) + "$")
    logs: list[Path] = []

    def start_gui(n: int) -> tuple[subprocess.Popen, float]:
        log = ARTEFACTS / f"gui-output-{n}.txt"
        logs.append(log)
        began = time.monotonic()
        return wine.start_program(*command, cwd=cwd, log=log), began

    def close_cleanly(process: subprocess.Popen, window: str, launched_at: float, what: str) -> None:
        display.keys(window, "alt+F4")
        try:
            status = process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"{what}: the program did not end within 120 s of Alt+F4") from None
        expect(status == 0, f"{what}: Alt+F4 ends the program with exit 0", f"exit {status}")
        expect(newest_exit_backup(data_dir) >= launched_at - 2,
               f"{what}: the exit backup is in %LOCALAPPDATA%\\adultschool\\backups")

    def waited_log_line(pattern: str, seconds: float = 60) -> str:
        log = data_dir / "Logs" / "adultschool.log"
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
            found = [line for line in lines if re.search(pattern, line)]
            if found:
                return found[-1]
            time.sleep(0.5)
        raise CheckFailed(f"the log never said {pattern!r}")

    launched_at = time.time()
    process, began = start_gui(1)
    try:
        wizard, title, _mapped = display.wait_for(lambda t: t.startswith("欢迎使用"), "the first-run wizard",
                                                  process=process, started=began, refused=error_window)
        seconds = display.wait_painted(wizard, "the first-run wizard", started=began)
        timings.append(("GUI, first start: launch → first-run wizard shown", f"{seconds:.1f} s"))
        expect(True, f"the first-run wizard “{title}” appears ({seconds:.1f} s after launch): "
                     f"{display.screenshot('2-first-run-wizard.png').name}")
        display.keys(wizard, "alt+m")  # 创建演示学校(&M)
        main, title, _mapped = display.wait_for(main_title.match, "the main window", process=process,
                                                refused=error_window)
        display.wait_painted(main, "the main window")
        shown = waited_log_line(r"window shown .* 学员：共 \d+ 人")
        expect("学员：共 300 人" in shown,
               f"Alt+M made the demo school; the main window “{title}” lists its learners (log: …{shown[-40:]}): "
               f"{display.screenshot('3-main-window-demo.png').name}")
        display.keys(main, "alt+h")  # 帮助(&H): 使用说明, then 关于
        time.sleep(0.8)
        display.xdotool("key", "--clearmodifiers", "Down")
        time.sleep(0.3)
        display.xdotool("key", "--clearmodifiers", "Return")
        about, _title, _seconds = display.wait_for(lambda t: t == "关于", "the About box", seconds=60, process=process,
                                                   refused=error_window)
        display.wait_painted(about, "the About box")
        started_line = waited_log_line(r"GUI started on ")
        expect(f"10.0.{WINE_WINDOWS_10_BUILD}" in started_line and "Wine" in started_line,
               "关于 names the Windows it runs on as Windows reports it (the log's line too): "
               f"{display.screenshot('4-about.png').name}", started_line)
        display.keys(about, "Escape")
        display.wait_gone(about, "the About box")
        close_cleanly(process, main, launched_at, "first start")
    finally:
        if process.poll() is None:
            process.kill()

    launched_at = time.time()
    process, began = start_gui(2)
    try:
        main, title, _mapped = display.wait_for(main_title.match, "the main window", process=process, started=began,
                                                refused=lambda t: t.startswith("欢迎使用") or error_window(t))
        seconds = display.wait_painted(main, "the main window", started=began)
        timings.append(("GUI, second start: launch → main window shown (demo, 300 learners)", f"{seconds:.1f} s"))
        internal = waited_log_line(r"window shown [\d.]+ s after the program started")
        own = re.search(r"window shown ([\d.]+) s", internal)
        if own:
            timings.append(("GUI, second start: the program's own measure (process start → window shown)",
                            f"{own.group(1)} s"))
        expect(True, f"a second start on that database opens the main window directly ({seconds:.1f} s): "
                     f"{display.screenshot('5-second-start.png').name}")
        close_cleanly(process, main, launched_at, "second start")
    finally:
        if process.poll() is None:
            process.kill()

    status = wine.run_quiet(str(setup), "/S")
    expect(status == 0 and (data_dir / "adultschool.sqlite3").exists(),
           "the same setup installed over the installed one (an upgrade) exits 0 and leaves the data", f"exit {status}")
    launched_at = time.time()
    process, began = start_gui(3)
    try:
        main, title, _mapped = display.wait_for(main_title.match, "the main window", process=process, started=began,
                                                refused=lambda t: t.startswith("欢迎使用") or error_window(t))
        seconds = display.wait_painted(main, "the main window", started=began)
        shown = waited_log_line(r"window shown .* 学员：共 \d+ 人")
        expect("学员：共 300 人" in shown, f"after the upgrade the program opens the same school and learners "
                                          f"({seconds:.1f} s): {display.screenshot('6-after-upgrade.png').name}")
        close_cleanly(process, main, launched_at, "after the upgrade")
    finally:
        if process.poll() is None:
            process.kill()

    log_files = sorted((data_dir / "Logs").glob("adultschool.log*")) + logs
    tracebacks = [f"{path.name}: {line}" for path in log_files
                  for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if "Traceback" in line]
    expect(not tracebacks, f"no traceback in the app's log or output ({', '.join(p.name for p in log_files)})",
           "; ".join(tracebacks[:3]))
    finished("GUI", started)


def error_window(title: str) -> bool:
    """A window that means something went wrong: the program's bug report, Wine's crash dialog, a refusal to open."""
    return title in ("程序出错", "Program Error", "无法打开数据库", "数据库正被占用") or title.startswith("Wine ")


def measure_start_up(wine: Wine, launcher: str, data_dir: Path, repeat: int = 3) -> None:
    """What a clerk waits for under Wine (reported, no gate): each a fresh process, alternated, median of `repeat`."""
    started = step("start-up under Wine")
    python = launcher.replace("adultschool.cmd", "python\\python.exe")
    demo = str(data_dir / "adultschool.sqlite3").replace(str(wine.c_drive()), "C:").replace("/", "\\")
    workloads = {
        "python.exe -c pass (baseline)": [python, "-c", "pass"],
        "adultschool --version": [launcher, "--version"],
        "adultschool --help": [launcher, "--help"],
        "adultschool learners list (the demo, 300)": [launcher, "learners", "list", "--db", demo],
    }
    times: dict[str, list[float]] = {name: [] for name in workloads}
    for _ in range(repeat):
        for name, command in workloads.items():
            began = time.monotonic()
            result = wine.run(*command)
            times[name].append(time.monotonic() - began)
            if result.returncode != 0:
                raise CheckFailed(f"{name} exited {result.returncode}: {text(result)[1][-300:]}")
    bare = statistics.median(times["python.exe -c pass (baseline)"])
    for name, values in times.items():
        median = statistics.median(values)
        figure = f"{median:.1f} s (best {min(values):.1f} s)"
        if not name.startswith("python.exe"):
            figure += f", {median - bare:+.1f} s over bare python.exe"
        timings.append((name, figure))
    finished("start-up", started)


def report_timings() -> None:
    lines = ["| under Wine 8 (no gate) | time |", "| --- | --- |", *[f"| {what} | {figure} |" for what, figure in timings]]
    print("[check] start-up under Wine:")
    for line in lines:
        print(f"      {line}")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "wine-timings.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="installer/check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("setup", type=Path, help="the installer to check")
    parser.add_argument("--version", required=True, help="the version it must report")
    parser.add_argument("--no-wine", action="store_true", help="only list the contents")
    parser.add_argument("--keep", action="store_true", help="keep the Wine prefix (its path is printed)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        check_contents(args.setup)
        if not args.no_wine:
            check_under_wine(args.setup, args.version, args.keep)
    except (CheckFailed, subprocess.CalledProcessError, subprocess.TimeoutExpired) as failure:
        print(f"[check] FAILED: {failure}", file=sys.stderr)
        return 1
    print(f"[check] installer OK: {len(checks)} checks in {time.monotonic() - started:.0f} s "
          f"(screenshots and timings in {ARTEFACTS.relative_to(ROOT)})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
