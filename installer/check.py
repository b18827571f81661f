"""Proves the Windows installer (run through `installer/check`, with the project's .venv Python).

1. Its contents (7-Zip reads NSIS installers): the app, its migrations and resources, Python, PySide6's
   Windows binaries, the launchers; and no test-only stand-in DLL.
2. Under Wine 8 (Debian's wine64, a fresh prefix in a temporary folder, HOME pointed there too so nothing
   lands in the real home): a silent install (`/S`), the shortcuts and the uninstall entry, then the installed
   command line: `--version`, `init`, `roster import` of a small roster, `learners list --format json`, and
   `sync export` to a district key made on this Linux side, whose district then imports the package (so the
   package made on "Windows" is verified and decrypted for real). Last a silent uninstall, which must leave the
   user's data folder alone.
Wine 8 lacks bcryptprimitives.dll (cryptography needs ProcessPrng): installer/test/bcryptprimitives.c is built
with mingw-w64 into the throwaway prefix only. Qt needs icuuc.dll, which Wine 8 lacks: the GUI is a manual
check on real Windows (installer/README.md).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WINE = Path(os.environ.get("ADULTSCHOOL_WINE", "/usr/lib/wine/wine64"))
WINESERVER = WINE.with_name("wineserver")
MINGW_GCC = "x86_64-w64-mingw32-gcc-win32"
SCHOOL = ("330206-01", "测试学校")
PASSPHRASE = "installer-check-passphrase-1"
TITLE = "成人“双证制”学历提升教务"
NATIVE_PROBE = r"""
import zxingcpp, _rl_accel, PIL._imaging, psycopg, pypdfium2, python_calamine, msoffcrypto
from adultschool import paths
print("resources", paths.resources_dir(), "synonyms", (paths.resources_dir() / "synonyms.json").is_file())
from adultschool.xlsx import read_workbook  # python-calamine's Rust extension reads a real workbook
print("calamine rows", len(read_workbook(r"C:\adtest\roster.xlsx")[0].rows))
print("psycopg", psycopg.pq.__impl__, "libpq", psycopg.pq.version())
document = pypdfium2.PdfDocument(r"C:\adtest\forms.pdf")
print("pdfium pages", len(document))
document.close()
"""

REQUIRED_ENTRIES = (
    "adultschool.cmd",
    "adultschool-shell.cmd",
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
    stand_ins = [e for e in entries if e.lower().endswith("bcryptprimitives.dll")]
    expect(not stand_ins, "no test-only bcryptprimitives.dll stand-in in the installer", str(stand_ins))
    check_signature_guard()
    print(f"[check] contents: {time.monotonic() - started:.1f} s", flush=True)


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

class Wine:
    def __init__(self, folder: Path):
        self.folder = folder
        self.prefix = folder / "prefix"
        self.home = folder / "home"
        self.home.mkdir()
        self.env = {**os.environ, "WINEPREFIX": str(self.prefix), "WINEARCH": "win64", "WINEDEBUG": "-all",
                    "HOME": str(self.home), "XDG_CONFIG_HOME": str(self.home / ".config"),
                    "XDG_DATA_HOME": str(self.home / ".local/share"), "XDG_DESKTOP_DIR": str(self.home / "Desktop"),
                    # no Mono/Gecko install prompts, no menu entries or desktop files on this host
                    "WINEDLLOVERRIDES": "mscoree,mshtml=;winemenubuilder.exe=d"}
        for name in ("DISPLAY", "WAYLAND_DISPLAY", "PYTHONPATH", "PYTHONHOME"):
            self.env.pop(name, None)

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

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        # Pipes, not files: Wine 8 hands a Windows program a regular Unix file as a standard handle that
        # Python cannot open ("init_sys_streams: Invalid handle"). On Windows any redirection works.
        return subprocess.run([str(WINE), *args], env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout)

    def run_quiet(self, *args: str, timeout: float = 600) -> int:
        return subprocess.run([str(WINE), *args], env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=timeout).returncode

    def c_drive(self) -> Path:
        return self.prefix / "drive_c"

    def user_folder(self) -> Path:
        users = [p for p in (self.c_drive() / "users").iterdir() if p.name not in ("Public", "Default")]
        if len(users) != 1:
            raise CheckFailed(f"expected one Wine user, found {users}")
        return users[0]


def text(result: subprocess.CompletedProcess) -> tuple[str, str]:
    return result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")


def make_roster(path: Path) -> list[str]:
    """A small R13 roster as a township sends it (title, unit line, header, three learners)."""
    import openpyxl
    from stdnum.cn import ric

    def make_id(birth: date, serial: int, male: bool) -> str:
        body = f"330206{birth:%Y%m%d}{(serial * 2 + (1 if male else 0)) % 1000:03d}"
        return body + ric.calc_check_digit(body + "0")

    learners = [("陈堃", "男", make_id(date(1990, 1, 5), 1, True), "高中"),
                ("林喆", "女", make_id(date(1985, 6, 5), 2, False), "初中"),
                ("王赟", "男", make_id(date(1979, 11, 23), 3, True), "高中")]
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


def check_under_wine(setup: Path, version: str, keep: bool) -> None:
    for tool in (WINE, WINESERVER):
        if not tool.exists():
            raise CheckFailed(f"{tool} is missing (Debian package wine64)")
    if not shutil.which(MINGW_GCC):
        raise CheckFailed(f"{MINGW_GCC} is missing (Debian package gcc-mingw-w64-x86-64-win32)")
    folder = Path(tempfile.mkdtemp(prefix="adultschool-wine-"))
    wine = Wine(folder)
    try:
        started = step("a fresh Wine prefix (Windows 10) with the test-only bcryptprimitives.dll stand-in")
        wine.start()
        version_text = text(wine.run("cmd", "/c", "ver"))[0].strip()
        expect("10.0" in version_text, f"Wine says {version_text}")
        stand_in = folder / "bcryptprimitives.dll"
        subprocess.run([MINGW_GCC, "-shared", "-O2", "-s", "-o", str(stand_in), str(HERE / "test" / "bcryptprimitives.c"),
                        "-ladvapi32"], check=True)
        shutil.copy2(stand_in, wine.c_drive() / "windows" / "system32" / "bcryptprimitives.dll")
        print(f"[check] prefix: {time.monotonic() - started:.1f} s", flush=True)

        started = step(f"silent install: {setup.name} /S")
        status = wine.run_quiet(str(setup), "/S")
        expect(status == 0, "the silent install exits 0", f"exit {status}")
        user = wine.user_folder()
        install = user / "AppData" / "Local" / "Programs" / "adultschool"
        for name in ("adultschool.cmd", "uninstall.exe", "python/python.exe", "python/pythonw.exe",
                     "adultschool.ico",
    "python/Lib/site-packages/adultschool/__init__.py",
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
        print(f"[check] install: {time.monotonic() - started:.1f} s", flush=True)

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
        launcher = "C:\\users\\" + user.name + "\\AppData\\Local\\Programs\\adultschool\\adultschool.cmd"
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
               "`learners list --format json` gives back the Chinese names (UTF-8 end to end)")
        exported = output = "".join(cli("sync", "export", "--to", r"C:\adtest\district.pub", "--out", r"C:\adtest\p.aspkg",
                                        "--db", db))
        expect((work / "p.aspkg").is_file() and "exported package 1" in output,
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
               "the native wheels load under Wine (zxing-cpp, rl_accel, Pillow, pypdfium2, psycopg's libpq, python-calamine)")
        data_dir = user / "AppData" / "Local" / "adultschool"
        expect((data_dir / "keys").is_dir(), "the school's signing key lives in %LOCALAPPDATA%\\adultschool (platformdirs)")
        print(f"[check] command line: {time.monotonic() - started:.1f} s", flush=True)

        # The district takes packages only from schools on its roster, signed by the key read out on the phone.
        fingerprint = next((line.split("：", 1)[1].strip() for line in exported.splitlines()
                            if line.startswith("本校签名密钥指纹：")), None)
        expect(fingerprint is not None, "`sync export` names the school's key fingerprint", exported)
        enlisted = host_adultschool("sync", "schools", "add", SCHOOL[0], "--name", SCHOOL[1], "--fingerprint", fingerprint,
                                    "--db", str(host / "d.sqlite3"), env=host_env)
        expect(enlisted.returncode == 0, "the district puts the school on its roster with its key's fingerprint",
               enlisted.stdout + enlisted.stderr)
        imported = host_adultschool("sync", "import", str(work / "p.aspkg"), "--db", str(host / "d.sqlite3"),
                                    env=host_env)
        expect(imported.returncode == 0, "the district (Linux) verifies, decrypts and merges the package made under Wine",
               imported.stdout)

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
        expect((data_dir / "keys").is_dir() and any((data_dir / "keys").iterdir()) and (work / "t.sqlite3").exists(),
               "the user's data (keys, logs, database) are still there")
        print(f"[check] uninstall: {time.monotonic() - started:.1f} s", flush=True)
    finally:
        wine.stop()
        if keep:
            print(f"[check] kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


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
    print(f"[check] installer OK: {len(checks)} checks in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
