# Shared by installer/build and installer/check (sourced, not run): Debian packages and the host Python.
# ADULTSCHOOL_NO_APT=1 skips apt (the scripts then say what is missing and stop if it is needed).

say() { printf '%s\n' "$*" >&2; }

# ensure_debian_packages PKG...: installs the ones that are missing (root, or password-less sudo); else names them.
ensure_debian_packages() {
  command -v dpkg-query >/dev/null 2>&1 || { say "Not a Debian/Ubuntu system: install by hand: $*"; return 0; }
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "${ADULTSCHOOL_NO_APT:-0}" = "1" ]; then
    say "Missing Debian packages (ADULTSCHOOL_NO_APT=1, not installing): ${missing[*]}"; return 0
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n)
    else
      say "Missing Debian packages, and this account cannot install them: ${missing[*]}"
      say "Install them with: sudo apt-get install --no-install-recommends ${missing[*]}"
      return 0   # the command that needs one fails later with its own message
    fi
  fi
  say "Installing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_architecture ARCH: lets dpkg install ARCH's packages too (wine32:i386 needs i386); ensure_debian_packages
# then updates the package lists, since a package is missing.
ensure_architecture() {
  command -v dpkg >/dev/null 2>&1 || return 0
  dpkg --print-foreign-architectures | grep -qx "$1" && return 0
  if [ "${ADULTSCHOOL_NO_APT:-0}" = "1" ]; then say "dpkg has no $1 architecture (ADULTSCHOOL_NO_APT=1)"; return 0; fi
  if [ "$(id -u)" -eq 0 ]; then dpkg --add-architecture "$1"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n dpkg --add-architecture "$1"
  else say "dpkg has no $1 architecture, and this account cannot add it: sudo dpkg --add-architecture $1"
  fi
}

# need_command CMD PACKAGE: stops with a clear message when CMD is still not there.
need_command() {
  command -v "$1" >/dev/null 2>&1 && return 0
  say "$1 is needed (Debian package $2) and is not installed."
  exit 2
}

# host_python: the project's .venv (made by scripts/setup-env.sh when missing), which has pip and the project.
# ensure_venv re-installs when pyproject.toml changed (a new dependency), and does nothing in well under a second when not.
host_python() {
  # shellcheck source=../scripts/setup-env.sh
  source scripts/setup-env.sh
  ensure_venv >&2
  echo "$PWD/.venv/bin/python"
}
