# Shared by scripts/run and scripts/test (sourced, not run): system packages Qt needs, then .venv with the project.
# ADULTSCHOOL_NO_APT=1 skips the system packages (for machines where you installed them another way).

QT_SYSTEM_PACKAGES=(libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libglib2.0-0 libfontconfig1 libfreetype6
  libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-render-util0 libxcb-image0
  fonts-wqy-microhei)
# Only for the tests: LibreOffice writes the real .xls and .ods files the readers are tested on (tests skip without it).
TEST_SYSTEM_PACKAGES=(libreoffice-calc-nogui)

say() { printf '%s\n' "$*" >&2; }

ensure_system_packages() {
  [ "${ADULTSCHOOL_NO_APT:-0}" = "1" ] && return 0
  command -v dpkg-query >/dev/null 2>&1 || return 0   # not Debian/Ubuntu: nothing we know how to install
  local missing=() pkg
  for pkg in "${QT_SYSTEM_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n)
    else
      say "These system packages are missing and this account cannot install them: ${missing[*]}"
      say "Install them (sudo apt-get install ${missing[*]}) or set ADULTSCHOOL_NO_APT=1 to go on without."
      return 1
    fi
  fi
  say "Installing system packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
  local candidate
  for candidate in "${ADULTSCHOOL_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  say "Python 3.11 or newer is needed (Debian 12 / Ubuntu 24.04: apt-get install python3 python3-venv)."
  return 1
}

# ensure_venv: creates or refreshes .venv from requirements.lock (every pinned package with its hashes: the program's,
# the test tools, psycopg, uv) and installs the project itself (editable, no dependencies) when the lock changed.
# Stops when pyproject.toml's requirements changed since the lock was made (scripts/relock re-makes it);
# ADULTSCHOOL_LOCK_STALE_OK=1 installs the old lock anyway (scripts/relock does, to get uv).
ensure_venv() {
  local python stamp
  python=$(find_python) || return 1
  if [ "${ADULTSCHOOL_LOCK_STALE_OK:-0}" != "1" ]; then
    "$python" scripts/lock.py check || return 1
  fi
  if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv .venv 2>/dev/null; then
      rm -rf .venv
      ensure_system_packages python3-venv || return 1
      "$python" -m venv .venv
    fi
  fi
  stamp="$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)"
  if [ "$(cat .venv/.adultschool-installed 2>/dev/null)" != "$stamp" ]; then
    say "Installing requirements.lock and adultschool into .venv"
    .venv/bin/python -m pip install -q --require-hashes -r requirements.lock
    .venv/bin/python -m pip install -q --no-deps -e .
    echo "$stamp" > .venv/.adultschool-installed
  fi
}
