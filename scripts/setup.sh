#!/usr/bin/env bash
# Prepares a Debian machine to build pipeline_exporter and builds it.
#
#   scripts/setup.sh
#
# Idempotent: installs only the Debian packages that are missing (apt-get
# update runs only then; sudo only when not root), then configures and builds
# into build/ (RelWithDebInfo). Environment:
#   BUILD_JOBS   parallel build jobs (default: nproc)
set -euo pipefail

PACKAGES=(
  g++ cmake make pkg-config git python3
  prometheus-cpp-dev civetweb libcivetweb-dev
  libsqlitecpp-dev libsqlite3-dev sqlite3
  libzip-dev zipcmp zipmerge ziptool
  libyaml-cpp-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  zlib1g-dev libcurl4-openssl-dev libssl-dev curl
  prometheus prometheus-alertmanager wrk clang-format python3-aiosmtpd chromium
  zip unzip python3-yaml systemd
  clang libclang-rt-14-dev stunnel4 faketime victoria-metrics
)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${REPO_ROOT}/build"
BUILD_TYPE="RelWithDebInfo"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'setup.sh: error: %s\n' "$*" >&2; exit 1; }

# Prints the packages of PACKAGES that dpkg does not report as installed.
missing_packages() {
  local pkg status
  for pkg in "${PACKAGES[@]}"; do
    # shellcheck disable=SC2016  # ${db:Status-Status} is dpkg-query's syntax
    status="$(dpkg-query -W -f='${db:Status-Status}' "${pkg}" 2>/dev/null || true)"
    if [[ "${status}" != "installed" ]]; then
      printf '%s\n' "${pkg}"
    fi
  done
}

install_packages() {
  step "Checking Debian packages"
  if ! command -v dpkg-query >/dev/null 2>&1; then
    printf 'dpkg-query not found: not a Debian system, skipping package installation.\n'
    printf 'Make sure these are installed: %s\n' "${PACKAGES[*]}"
    return 0
  fi
  local missing
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    printf 'All %d packages are installed.\n' "${#PACKAGES[@]}"
    return 0
  fi
  printf 'Missing: %s\n' "${missing[*]}"

  local -a sudo=()
  if [[ "$(id -u)" != "0" ]]; then
    command -v sudo >/dev/null 2>&1 || fail "not root and sudo is not available; install: ${missing[*]}"
    sudo=(sudo)
  fi
  step "Installing ${#missing[@]} package(s) with apt-get"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"

  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} != 0)); then
    fail "still missing after apt-get install: ${missing[*]}"
  fi
}

build() {
  local jobs="${BUILD_JOBS:-$(nproc)}"
  step "Configuring ${BUILD_DIR} (${BUILD_TYPE})"
  cmake -S "${REPO_ROOT}" -B "${BUILD_DIR}" -DCMAKE_BUILD_TYPE="${BUILD_TYPE}"
  step "Building with ${jobs} job(s)"
  cmake --build "${BUILD_DIR}" -j "${jobs}"
  step "Build complete: ${BUILD_DIR}/exporter/pipeline_exporter"
}

install_packages
build
