# Shared helpers for scripts/run and scripts/test. Each `ensure_*` step is
# idempotent: silent when its tool is already there, one line when it acts, and
# a message saying what to do when it cannot succeed.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# wasm-opt for release builds, from the `binaryen` npm package (a registry
# package, so it installs offline-safe). Debian's binaryen 108 is too old for
# wasm-bindgen 0.2.130's output: its result throws at load and never hydrates.
BINARYEN_VERSION="132.0.0"
TOOLS="$ROOT/.tools"
SQLX_CLI_VERSION="0.8.6"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
export PATH="$TOOLS/binaryen/node_modules/.bin:$HOME/.cargo/bin:$PATH"

source "$ROOT/scripts/site.sh"

step() { printf '\033[1m==>\033[0m %s\n' "$*"; }
fail() {
  printf '\033[31merror:\033[0m %s\n' "$*" >&2
  exit 1
}
is_root() { [ "$(id -u)" = 0 ]; }
# Run a command quietly; on failure show its output and the hint.
quietly() {
  local hint="$1"; shift
  local log
  log="$(mktemp)"
  if ! "$@" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    fail "$hint"
  fi
  rm -f "$log"
}

# Like `quietly`, for steps that take minutes: every 15 seconds it prints the
# elapsed time and the last line the command wrote (cargo's "Compiling x"), so
# a long first start is never silent.
with_progress() {
  local hint="$1"; shift
  local log pid start line
  log="$(mktemp)"
  start=$SECONDS
  "$@" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
      kill -0 "$pid" 2>/dev/null || break
      sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then
      line="$(tail -n 1 "$log" | tr -d '\r' | cut -c1-70)"
      printf '    %dm%02ds  %s\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) "$line"
    fi
  done
  if ! wait "$pid"; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    fail "$hint"
  fi
  printf '    done in %dm%02ds\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60))
  rm -f "$log"
}

ensure_rust() {
  command -v cargo >/dev/null || fail "cargo not found: install Rust from https://rustup.rs and run this again"
}

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown Rust target"
    quietly "could not add the wasm target; run \`rustup target add wasm32-unknown-unknown\`" \
      rustup target add wasm32-unknown-unknown
  fi
}

ensure_wasm_bindgen_cli() {
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)"
  [ -n "$want" ] || fail "Cargo.lock names no wasm-bindgen version"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    step "installing wasm-bindgen-cli $want (matches Cargo.lock; first time only, ~2 min)"
    # Not --locked: its lock file names a crate version the registry no longer
    # serves. --force: reinstall when cargo remembers an install whose binary
    # is gone or of another version.
    with_progress "could not install wasm-bindgen-cli $want; check access to crates.io and run this again" \
      cargo install --force wasm-bindgen-cli --version "$want"
  fi
}

ensure_sqlx_cli() {
  if [ "$(cargo sqlx --version 2>/dev/null | awk '{print $2}')" != "$SQLX_CLI_VERSION" ]; then
    step "installing sqlx-cli $SQLX_CLI_VERSION (first time only, a few minutes)"
    with_progress "could not install sqlx-cli; check access to crates.io and run this again" \
      cargo install --force sqlx-cli --version "$SQLX_CLI_VERSION" --no-default-features --features postgres,rustls --locked
  fi
}

ensure_chromium() {
  [ -x "$CHROMIUM" ] && return 0
  apt_install chromium "Chromium" "for the end-to-end tests" ||
    fail "Chromium not found at $CHROMIUM: install it (Debian/Ubuntu: \`sudo apt-get install chromium\`) or set CHROMIUM_PATH"
}

# Installs a Debian package with apt when we are root on a Debian-like system;
# fails (returns 1) without trying otherwise, for the caller to say what to do.
apt_install() {
  local package="$1" name="$2" why="$3"
  is_root && command -v apt-get >/dev/null || return 1
  step "installing $name from Debian packages ($why)"
  with_progress "could not install $name; run \`apt-get update && apt-get install -y $package\`" \
    bash -c "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $package"
}

# nginx, for the local cluster (scripts/cluster), the proxy end-to-end tests
# and the rolling-restart benchmark. nginx-light is enough: the proxy module,
# no extras. The package's own service is not started (there is no init here;
# on a full system, `systemctl disable --now nginx` if you do not want it).
ensure_nginx() {
  command -v nginx >/dev/null && return 0
  [ -x /usr/sbin/nginx ] && return 0
  apt_install nginx-light "nginx" "the reverse proxy in front of several instances" ||
    fail "nginx not found: install it (Debian/Ubuntu: \`sudo apt-get install nginx-light\`)"
}

ensure_node_modules() {
  command -v npm >/dev/null || fail "npm not found: install Node.js 20 or newer (Debian: \`apt-get install nodejs npm\`)"
  if [ ! -f end2end/node_modules/.package-lock.json ] ||
    [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    step "installing the end-to-end test packages (npm ci)"
    # Playwright must not download its own browser: we use the system Chromium.
    quietly "npm ci failed in end2end/; check access to the npm registry and run this again" \
      env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix end2end --no-audit --no-fund
  fi
}

ensure_app_tools() {
  ensure_rust
  ensure_wasm_target
  ensure_wasm_bindgen_cli
}

# A project-local wasm-opt for release bundles (Debian's is too old, see above).
ensure_wasm_opt() {
  command -v npm >/dev/null || fail "npm not found: install Node.js 20 or newer (Debian: \`apt-get install nodejs npm\`)"
  if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != "${BINARYEN_VERSION%%.*}" ]; then
    step "installing wasm-opt (binaryen $BINARYEN_VERSION from npm, project-local)"
    with_progress "could not install binaryen; check access to the npm registry and run this again" \
      npm install --prefix "$TOOLS/binaryen" --no-audit --no-fund --no-save "binaryen@$BINARYEN_VERSION"
  fi
}

# A project-local Python environment with schemathesis (the OpenAPI fuzzer),
# aiosmtpd (the real SMTP server the email tests send to) and standardwebhooks
# (the reference library the webhook tests' receiver verifies deliveries with).
ensure_python_tools() {
  if [ ! -x .tools/venv/bin/schemathesis ] || [ ! -x .tools/venv/bin/aiosmtpd ] ||
    ! .tools/venv/bin/python -c 'import standardwebhooks' 2>/dev/null; then
    step "installing schemathesis, aiosmtpd and standardwebhooks into .tools/venv (PyPI, once)"
    python3 -m venv .tools/venv || fail "python3 -m venv failed: install python3-venv (apt) and run again"
    .tools/venv/bin/pip install --quiet 'schemathesis>=4.32,<5' 'aiosmtpd>=1.4,<2' 'standardwebhooks>=1.3,<2' ||
      fail "could not install schemathesis, aiosmtpd and standardwebhooks from PyPI"
  fi
}

# The server binaries the build writes (scripts/site.sh).
DEBUG_SERVER=target/debug/server
RELEASE_SERVER=target/release/server

# The server the scripts run for database chores (start the embedded cluster,
# make a scratch database, seed it): the debug build, or the release one
# where only that was built.
chores_server() {
  if [ -x "$DEBUG_SERVER" ]; then
    printf '%s\n' "$DEBUG_SERVER"
  elif [ -x "$RELEASE_SERVER" ]; then
    printf '%s\n' "$RELEASE_SERVER"
  else
    fail "no server is built yet: run scripts/build first"
  fi
}

# Prints the URL of the database to use: DATABASE_URL, or the embedded cluster.
database_url() {
  if [ -n "${DATABASE_URL:-}" ]; then
    printf '%s\n' "$DATABASE_URL"
  else
    "$(chores_server)" embedded-postgres start
  fi
}

# fresh_db DB_URL NAME: drops, recreates and migrates the database NAME next
# to DB_URL, and prints its URL.
fresh_db() {
  DATABASE_URL="$1" "$(chores_server)" fresh-database --name "$2"
}

# fresh_seeded_db DB_URL NAME: the same, with the demo data loaded.
fresh_seeded_db() {
  local url
  url="$(fresh_db "$1" "$2")"
  DATABASE_URL="$url" "$(chores_server)" seed-demo >/dev/null
  printf '%s\n' "$url"
}

# free_ports N: the first of N consecutive free loopback ports.
free_ports() {
  node -e '
    const net = require("net");
    const n = Number(process.argv[1]);
    const probe = (p) => new Promise((ok) => { const s = net.createServer().once("error", () => ok(false)).listen(p, "127.0.0.1", () => s.close(() => ok(true))); });
    (async () => { for (let p = 20000 + Math.floor(Math.random() * 20000); ; p += n) { let free = true; for (let i = 0; i < n && free; i++) free = await probe(p + i); if (free) { console.log(p); return; } } })();
  ' "$1"
}

# Runs the Playwright suite against a fresh, seeded database next to $1 and a
# server on free ports (the suite starts a second one on E2E_PORT + 1; with
# E2E_PROXY=1, nginx is on E2E_PORT and three instances on the next three). More
# arguments go to Playwright (a file, `-g name`).
run_end_to_end() {
  local db_url="$1"; shift
  local e2e_url port
  e2e_url="$(fresh_seeded_db "$db_url" shipwatch_e2e)"
  port="$(free_ports 4)"
  # On the embedded cluster (DATABASE_URL unset) the outage test may stop and
  # start it; an external database is never touched.
  local embedded=0
  [ -z "${DATABASE_URL:-}" ] && embedded=1
  (cd end2end && E2E_DATABASE_URL="$e2e_url" E2E_PORT="$port" E2E_EMBEDDED_POSTGRES="$embedded" \
    npx playwright test "$@")
}
