#!/usr/bin/env bash
# Helpers for scripts/test.sh (sourced): install and start what the tests run against.
# Everything started here is stopped by an EXIT trap.

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT_UPDATED=""

apt_install() {
  if [ -z "$APT_UPDATED" ]; then
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# rust-toolchain.toml pins the toolchain; RUSTUP_AUTO_INSTALL may be 0, so install explicitly.
ensure_toolchain() {
  local channel
  channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
  rustup toolchain install "$channel" --profile minimal --component rustfmt,clippy >/dev/null
  rustup target add --toolchain "$channel" wasm32-wasip2 wasm32-unknown-unknown >/dev/null
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

CLEANUPS=()
cleanup() {
  local i
  for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[$i]}" || true; done
}
trap cleanup EXIT

# A PostgreSQL cluster of our own in a temp dir (fsync off: test data only).
# Exports CORRAL_TEST_POSTGRES_URL.
start_postgres() {
  if [ -n "${CORRAL_TEST_POSTGRES_URL:-}" ]; then
    echo "using PostgreSQL at CORRAL_TEST_POSTGRES_URL"
    return
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "installing PostgreSQL from Debian"
    apt_install postgresql
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  id postgres >/dev/null 2>&1 || $SUDO useradd --system --home-dir /var/lib/postgresql postgres
  local dir port
  dir=$(mktemp -d /tmp/corral-pg.XXXXXX)
  chmod 755 "$dir"
  $SUDO chown postgres "$dir"
  port=$(free_port)
  as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else $SUDO runuser -u postgres -- "$@"; fi; }
  as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >/dev/null
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
    "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
    start >/dev/null
  CLEANUPS+=("as_postgres '$bin/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null; rm -rf '$dir'")
  export CORRAL_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on port $port"
}

# Python tools the tests drive (the aiosmtpd SMTP sink, schemathesis) in a venv of their own.
# Exports CORRAL_TEST_PYTHON.
ensure_test_python() {
  local venv=.venv-test
  # aiosmtpd: the SMTP sink; schemathesis: the OpenAPI document's check (tests/tests/openapi.rs).
  if ! "$venv/bin/python" -c 'import aiosmtpd, schemathesis' 2>/dev/null \
    || [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version 4.32.5" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "aiosmtpd==1.4.6" "schemathesis==4.32.5"
  fi
  CORRAL_TEST_PYTHON="$(pwd)/$venv/bin/python"
  export CORRAL_TEST_PYTHON
}

# Debian's Chromium, playwright-core and otpauth (pinned in tests/browser/package-lock.json) for
# the portal's and the console's browser walk-throughs (otpauth computes the console's TOTP codes). Node.js and npm come from Debian when missing.
ensure_browser() {
  command -v chromium >/dev/null || apt_install chromium fonts-liberation
  command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/otpauth ]; then
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

# An OpenLDAP server of our own (Debian's slapd) in a temp dir on a free port, loaded with
# tests/fixtures/ldap/seed.ldif. Exports CORRAL_TEST_LDAP_URL (and the base and service
# account the tests configure).
start_slapd() {
  if [ -n "${CORRAL_TEST_LDAP_URL:-}" ]; then
    echo "using LDAP at CORRAL_TEST_LDAP_URL"
    return
  fi
  if [ ! -x /usr/sbin/slapd ] || ! command -v slapadd >/dev/null; then
    echo "installing OpenLDAP (slapd) from Debian"
    apt_install slapd ldap-utils
  fi
  local dir port
  dir=$(mktemp -d /tmp/corral-ldap.XXXXXX)
  mkdir -p "$dir/db"
  cat >"$dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $dir/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 104857600
suffix "dc=corral,dc=test"
rootdn "cn=admin,dc=corral,dc=test"
rootpw "admin password"
directory $dir/db
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
CONF
  /usr/sbin/slapadd -f "$dir/slapd.conf" -l tests/fixtures/ldap/seed.ldif -q
  port=$(free_port)
  /usr/sbin/slapd -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/"
  CLEANUPS+=("kill \$(cat '$dir/slapd.pid' 2>/dev/null) 2>/dev/null; rm -rf '$dir'")
  local i
  for i in $(seq 50); do
    ldapwhoami -x -H "ldap://127.0.0.1:$port/" -D "cn=corral-reader,ou=services,dc=corral,dc=test" \
      -w "reader password" >/dev/null 2>&1 && break
    sleep 0.1
  done
  export CORRAL_TEST_LDAP_URL="ldap://127.0.0.1:$port"
  echo "OpenLDAP $(/usr/sbin/slapd -VV 2>&1 | sed -n 's/.*slapd \([0-9.]*\).*/\1/p' | head -n 1) on port $port"
}
