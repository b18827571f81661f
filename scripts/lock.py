"""requirements.lock: the one lock of every third-party package, for the .venv (Linux, Windows developers) and the
Windows installer's wheels.

    python scripts/lock.py check     exit 1, saying so, when pyproject.toml's requirements changed since the lock
    python scripts/lock.py relock [--upgrade]
                                     re-resolve (uv pip compile --universal --generate-hashes) and write the lock,
                                     keeping the locked versions that still fit (--upgrade: the newest that fit)

The lock is resolved once for every platform (markers say which packages only some need) from pyproject.toml's
[project] dependencies and the extras in EXTRAS, each package pinned to one version with the hashes of all its files.
Its second line records a digest of those requirements, so a stale lock is noticed before anything installs from it.
Standard library only: it runs before the .venv exists, under installer/build's Python too.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
EXTRAS = ("test", "postgres", "dev")
# The oldest Python the project supports: the resolution must hold for it (the installer embeds 3.11 too).
PYTHON = "3.11"
DIGEST_LINE = re.compile(r"^# requirements-sha256: ([0-9a-f]{64})$", re.MULTILINE)


def requirements_digest() -> str:
    """A digest of what the lock is made from: the dependencies and the locked extras, spaces ignored."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    optional = project.get("optional-dependencies", {})
    wanted = {"dependencies": sorted(d.replace(" ", "") for d in project["dependencies"]),
              **{f"extra {name}": sorted(d.replace(" ", "") for d in optional.get(name, ())) for name in EXTRAS}}
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


def recorded_digest() -> str | None:
    if not LOCK.exists():
        return None
    found = DIGEST_LINE.search(LOCK.read_text(encoding="utf-8"))
    return found.group(1) if found else None


def stale_message() -> str | None:
    if not LOCK.exists():
        return f"{LOCK.name} is missing: run scripts/relock"
    if recorded_digest() != requirements_digest():
        return (f"pyproject.toml's requirements changed since {LOCK.name} was made: run scripts/relock "
                f"and commit {LOCK.name}")
    return None


def find_uv() -> str:
    for candidate in (ROOT / ".venv" / "bin" / "uv", ROOT / ".venv" / "Scripts" / "uv.exe"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("uv")
    if found:
        return found
    raise SystemExit("uv is needed to relock (it is in the lock's dev extra: scripts/setup-env.sh installs it "
                     "into .venv; or pip install uv)")


def relock(upgrade: bool = False) -> None:
    digest = requirements_digest()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / LOCK.name
        command = [find_uv(), "pip", "compile", "pyproject.toml", *(f"--extra={name}" for name in EXTRAS),
                   "--universal", "--generate-hashes", f"--python-version={PYTHON}", "--no-progress", "--quiet",
                   "--custom-compile-command", "scripts/relock", "-o", str(out)]
        if upgrade:
            command.append("--upgrade")
        if LOCK.exists() and not upgrade:
            shutil.copy2(LOCK, out)  # uv keeps the versions already locked
        subprocess.run(command, cwd=ROOT, check=True, env={**os.environ, "UV_NO_CONFIG": "1"})
        lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
        header = [f"# requirements-sha256: {digest}\n",
                  "# The one lock: the .venv installs it with pip install --require-hashes -r requirements.lock,\n",
                  "# installer/build takes the Windows wheels the app needs from it. Only scripts/relock writes it.\n"]
        LOCK.write_text("".join(lines[:2] + header + lines[2:]), encoding="utf-8")
    pins = sum(1 for line in LOCK.read_text(encoding="utf-8").splitlines() if re.match(r"^[a-z0-9]", line))
    print(f"wrote {LOCK.name}: {pins} packages", file=sys.stderr)


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"]:
        message = stale_message()
        if message:
            print(message, file=sys.stderr)
            return 1
        return 0
    if argv[:1] == ["relock"]:
        relock(upgrade="--upgrade" in argv)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
