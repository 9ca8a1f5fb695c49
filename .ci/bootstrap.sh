#!/usr/bin/env bash
# .ci/bootstrap.sh - install everything framecast needs to build and test, idempotently.
#
# Called by every Makefile target before anything else. When everything is already present it only runs
# cheap presence checks (command -v, dpkg-query, --version) and finishes in well under 10 s.
# Installs come only from the package registries (Debian apt, crates.io via cargo, npm via npm ci);
# nothing is downloaded with curl/wget. Facts behind the choices: shared/TOOLCHAIN.md.
# Node tools (wasm-opt, Deno, workerd, Playwright, players) come from tests/package-lock.json.
#
# Output: target/toolchain.env (make syntax, `include`d by the Makefile) records how to build for
# wasm32-unknown-unknown:
#   WASM_MODE             rustup | debian
#   WASM_CARGO/WASM_RUSTC cargo and rustc to use for the wasm build
#   WASM_BUILD_STD_ARGS   empty (rustup) or -Zbuild-std=std,panic_abort (debian: std is built from source)
#   WASM_ENV              env assignments to prefix the wasm cargo/wasm-pack commands with (debian only)
#   WASM_PACK_MODE        wasm-pack mode for `wasm-pack build` (debian: --mode force, its target check fails)
#   WASM_PACK_TEST_MODE   wasm-pack mode for `wasm-pack test`  (debian: --mode no-install)
#   CARGO_BIN_DIR         where cargo-installed tools (wasm-bindgen, wasm-pack) live; put it on PATH
#   NODE_BIN_DIR          tests/node_modules/.bin (wasm-opt from npm binaryen); put it FIRST on PATH
# Debian mode usage (see TOOLCHAIN.md): build args go after `--` for `wasm-pack build ... . -- $(WASM_BUILD_STD_ARGS)`
# and without `--` for `wasm-pack test ... . $(WASM_BUILD_STD_ARGS)`.
set -euo pipefail

t0=$(date +%s%N)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Pinned versions.
WASM_BINDGEN_VERSION=0.2.130       # must equal the `wasm-bindgen = "=0.2.130"` pin in Cargo.toml
WASM_TARGET=wasm32-unknown-unknown

export DEBIAN_FRONTEND=noninteractive
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1   # never let anything fetch a browser build
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

log() { echo "bootstrap: $*"; }
# retry CMD...: registry downloads fail now and then (a reset connection, a
# proxy hiccup); try three times, 5 s then 20 s apart, before giving up.
retry() {
  local n=1
  until "$@"; do
    [ $n -ge 3 ] && return 1
    log "attempt $n of '$*' failed; retrying"
    sleep $((n == 1 ? 5 : 20)); n=$((n + 1))
  done
}
die() { echo "bootstrap: ERROR: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 && SUDO="sudo -n" || die "not root and no sudo: cannot install packages"
fi

# cargo-installed tools live here; make them visible to this script (the Makefile adds it to PATH too).
CARGO_BIN_DIR="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in *":$CARGO_BIN_DIR:"*) ;; *) PATH="$CARGO_BIN_DIR:$PATH" ;; esac
export PATH

# ---------------------------------------------------------------------------------------------- apt
APT_UPDATED=0
apt_install() {  # apt_install PKG... : `apt-get update` once per run, only when something is installed
  log "installing apt packages: $*"
  if [ "$APT_UPDATED" = 0 ]; then
    retry $SUDO apt-get update -q
    APT_UPDATED=1
  fi
  retry $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}
apt_missing() {  # prints the given packages that are not installed (one dpkg-query call)
  local p st
  for p in "$@"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || echo "$p"
  done
}

# clang/lld 22 + wasi-libc + wasm32 libc++ headers: compile OpenH264 / fdk-aac C/C++ for wasm.
# chromium(+driver): browser tests. ffmpeg: test clips and referee. nasm: native codec builds.
APT_PKGS=(clang-22 lld-22 wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32
          chromium chromium-driver ffmpeg nasm procps ca-certificates)
# node/npm may come from another source (e.g. /usr/bin/node 20 from nodesource, which bundles npm);
# only ask Debian for them when the commands are absent.
command -v node >/dev/null 2>&1 || APT_PKGS+=(nodejs)
command -v npm  >/dev/null 2>&1 || APT_PKGS+=(npm)
mapfile -t MISSING < <(apt_missing "${APT_PKGS[@]}")
[ "${#MISSING[@]}" = 0 ] || apt_install "${MISSING[@]}"

# ------------------------------------------------------------------------------- Rust wasm target
# Preferred: rustup's stable with the prebuilt wasm32 std. `rustup target add` can hang here, so it
# gets a timeout; on failure (or without rustup) use Debian's rustc-web 1.96 and build std from source.
WASM_MODE=""
if command -v rustup >/dev/null 2>&1; then
  if rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"; then
    WASM_MODE=rustup
  else
    log "installing rust target $WASM_TARGET (rustup)"
    if timeout 300 rustup target add "$WASM_TARGET" </dev/null; then
      WASM_MODE=rustup
    else
      log "rustup target add failed or timed out; falling back to Debian rustc-web + -Zbuild-std"
    fi
  fi
fi
if [ "$WASM_MODE" = rustup ]; then
  WASM_CARGO=$(command -v cargo)
  WASM_RUSTC=$(command -v rustc)
  WASM_BUILD_STD_ARGS=""
  WASM_ENV=""
  WASM_PACK_MODE=""
  WASM_PACK_TEST_MODE=""
else
  WASM_MODE=debian
  mapfile -t MISSING < <(apt_missing rustc-web cargo-web rust-web-src lld-22 clang-22)
  [ "${#MISSING[@]}" = 0 ] || apt_install "${MISSING[@]}"
  [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] || die "Debian rustc/cargo missing after install"
  WASM_CARGO=/usr/bin/cargo
  WASM_RUSTC=/usr/bin/rustc
  WASM_BUILD_STD_ARGS="-Zbuild-std=std,panic_abort"
  WASM_ENV="RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=rust-lld"
  WASM_PACK_MODE="--mode force"
  WASM_PACK_TEST_MODE="--mode no-install"
fi
command -v cargo >/dev/null 2>&1 || die "no cargo on PATH"
# The lint gates (make test-lint) need rustfmt and clippy; rustup's default profile has both.
if ! { cargo fmt --version && cargo clippy --version; } >/dev/null 2>&1; then
  command -v rustup >/dev/null 2>&1 || die "cargo fmt / cargo clippy missing and no rustup to add them"
  log "installing rustfmt and clippy (rustup)"
  retry timeout 300 rustup component add rustfmt clippy </dev/null || die "rustup component add rustfmt clippy failed"
fi

# ------------------------------------------------------------------------------ cargo-installed tools
wait_other_install() {  # don't race a `cargo install CRATE` already running on this machine
  local crate=$1 n=0
  command -v pgrep >/dev/null 2>&1 || return 0
  while pgrep -f "cargo install $crate" >/dev/null 2>&1; do
    [ $n = 0 ] && log "waiting for a running 'cargo install $crate' to finish"
    n=$((n + 1)); [ $n -gt 240 ] && break   # at most ~20 min
    sleep 5
  done
}

wb_version() { wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true; }
if [ "$(wb_version)" != "$WASM_BINDGEN_VERSION" ]; then
  wait_other_install wasm-bindgen-cli
  if [ "$(wb_version)" != "$WASM_BINDGEN_VERSION" ]; then
    force=""; command -v wasm-bindgen >/dev/null 2>&1 && force="--force"
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (cargo install, ~6 min)"
    # no --locked: the locked dependency set does not resolve on this registry mirror
    retry cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" $force </dev/null
  fi
fi
[ "$(wb_version)" = "$WASM_BINDGEN_VERSION" ] || die "wasm-bindgen $WASM_BINDGEN_VERSION not available after install"

if ! wasm-pack --version >/dev/null 2>&1; then
  wait_other_install wasm-pack
  if ! wasm-pack --version >/dev/null 2>&1; then
    log "installing wasm-pack (cargo install, ~5 min)"
    cargo install wasm-pack --locked </dev/null || cargo install wasm-pack </dev/null
  fi
fi
wasm-pack --version >/dev/null 2>&1 || die "wasm-pack not available after install"

# --------------------------------------------------------------------------------------- node modules
# tests/package-lock.json is committed; `npm ci` only when node_modules does not match its hash.
LOCK=tests/package-lock.json
[ -f "$LOCK" ] || die "$LOCK missing"
lockhash=$(sha256sum "$LOCK" tests/package.json | sha256sum | cut -d' ' -f1)
if [ "$(cat tests/node_modules/.lockhash 2>/dev/null || true)" != "$lockhash" ]; then
  log "installing node modules (npm ci --prefix tests)"
  retry npm ci --prefix tests --no-audit --no-fund </dev/null
  echo "$lockhash" > tests/node_modules/.lockhash
fi

# wasm-opt must be the npm binaryen one (Debian's binaryen 108 corrupts wasm-bindgen 0.2.130 output).
NODE_BIN_DIR="$ROOT/tests/node_modules/.bin"
WASM_OPT_VERSION=$("$NODE_BIN_DIR/wasm-opt" --version 2>/dev/null | awk '{print $3}') \
  || die "tests/node_modules/.bin/wasm-opt does not run"
[ -n "$WASM_OPT_VERSION" ] || die "tests/node_modules/.bin/wasm-opt does not run"
# The edge runtimes of the runtime tests (npm packages deno and workerd, whose binaries come from
# their optional platform dependencies).
DENO_VERSION=$("$NODE_BIN_DIR/deno" --version 2>/dev/null | awk 'NR == 1 {print $2}') || true
[ -n "$DENO_VERSION" ] || die "tests/node_modules/.bin/deno does not run"
WORKERD_VERSION=$("$NODE_BIN_DIR/workerd" --version 2>/dev/null | awk '{print $2}') || true
[ -n "$WORKERD_VERSION" ] || die "tests/node_modules/.bin/workerd does not run"

# ------------------------------------------------------------------------------------------ test data
# The "natural" test clip pans across a real photograph: Path/2560x1600.jpg from Debian's
# plasma-workspace-wallpapers (LGPL-3). Only that file is extracted from the .deb; nothing is installed.
FOREST=target/testdata/forest.jpg
FOREST_SHA256=7477457d7f17b736259f1b021864778ad4ba802cf3214e6728181ff29126bba8
if ! echo "$FOREST_SHA256  $FOREST" | sha256sum -c --status 2>/dev/null; then
  log "fetching the natural test photo (apt-get download plasma-workspace-wallpapers)"
  tmp=$(mktemp -d)
  ( cd "$tmp" && apt-get download -q plasma-workspace-wallpapers >/dev/null 2>&1 ) || {
    [ "$APT_UPDATED" = 1 ] || { $SUDO apt-get update -q >/dev/null; APT_UPDATED=1; }
    ( cd "$tmp" && apt-get download -q plasma-workspace-wallpapers >/dev/null )
  }
  dpkg-deb --fsys-tarfile "$tmp"/plasma-workspace-wallpapers_*.deb \
    | tar -x -C "$tmp" ./usr/share/wallpapers/Path/contents/images/2560x1600.jpg
  mkdir -p target/testdata
  cp "$tmp/usr/share/wallpapers/Path/contents/images/2560x1600.jpg" "$FOREST"
  rm -rf "$tmp"
  echo "$FOREST_SHA256  $FOREST" | sha256sum -c --status || die "$FOREST has an unexpected checksum"
fi

# ------------------------------------------------------------------------------- target/toolchain.env
mkdir -p target
tmp=$(mktemp target/.toolchain.env.XXXXXX); chmod 644 "$tmp"
cat > "$tmp" <<EOF
# Generated by .ci/bootstrap.sh - do not edit. Make syntax: include target/toolchain.env
WASM_MODE=$WASM_MODE
WASM_CARGO=$WASM_CARGO
WASM_RUSTC=$WASM_RUSTC
WASM_BUILD_STD_ARGS=$WASM_BUILD_STD_ARGS
WASM_ENV=$WASM_ENV
WASM_PACK_MODE=$WASM_PACK_MODE
WASM_PACK_TEST_MODE=$WASM_PACK_TEST_MODE
CARGO_BIN_DIR=$CARGO_BIN_DIR
NODE_BIN_DIR=$NODE_BIN_DIR
EOF
# rewrite only on change so make does not see a new mtime on every run
if cmp -s "$tmp" target/toolchain.env; then rm -f "$tmp"; else mv -f "$tmp" target/toolchain.env; fi

# ------------------------------------------------------------------------------------------- summary
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed -E 's/^[0-9]+://; s/[-+~].*//'; }
t1=$(date +%s%N)
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)/1e9}')
echo "bootstrap: ok ($WASM_MODE wasm target, wasm-bindgen $(wb_version), $(wasm-pack --version | tr -d '\n')," \
     "wasm-opt $WASM_OPT_VERSION, deno $DENO_VERSION, workerd $WORKERD_VERSION, chromium $(pkgver chromium | cut -d. -f1), ffmpeg $(pkgver ffmpeg)," \
     "node $(node --version | sed 's/^v//')) in ${elapsed}s"
