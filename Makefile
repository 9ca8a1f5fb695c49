# framecast build, test, benchmark and demo entry points.
#
#   make test    every test: native core, wasm in Node and headless Chromium, package checks, edge runtimes
#   make demo    build the wasm package and the stream server, start both, serve the demo page (prints the URL)
#   make bench   encoder benchmark (not part of `make test`); see BENCHMARKS.md
#   make pkg     build the npm package into pkg/
#
# Every target first runs .ci/bootstrap.sh, which installs whatever is missing
# (idempotent, well under 10 s when all is present) and writes
# target/toolchain.env, included below.
#
# Builds are tracked by make: `pkg` and `native` leave a stamp
# (pkg/package.json, target/stamps/native) and run again only when one of
# their inputs is newer, so
# `make demo` right after `make test` rebuilds nothing. Native code for the
# tests and the demo is built in the cargo profile `ci` (release
# optimisation without LTO, see Cargo.toml); the shipped wasm and
# `make bench` use `release`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.PHONY: help bootstrap native pkg wasm-cost test test-features test-lint test-native test-native-core test-native-mp3 test-wasm test-node test-downstream bench demo fuzz clean FORCE

target/toolchain.env: FORCE
	@.ci/bootstrap.sh
# `include` (not -include): on a clean clone the file is missing, make runs
# the rule above, and a failed bootstrap stops make before anything is built.
# `help` and `clean` need no toolchain.
ifneq ($(filter-out help clean,$(or $(MAKECMDGOALS),help)),)
include target/toolchain.env
endif

export PATH := $(NODE_BIN_DIR):$(CARGO_BIN_DIR):$(PATH)
export CARGO_TERM_COLOR ?= never
# Compiled OpenH264 / FDK AAC libraries are cached here (see build.rs).
export FRAMECAST_CODEC_CACHE ?= $(CURDIR)/target/codec-cache

WASM_CARGO_ENV := $(WASM_ENV)
PKG_WEB := target/pkg/web
PKG_NODE := target/pkg/node
STAMPS := target/stamps
# Runs a phase and records its wall and CPU time in target/timings.tsv.
TIMED := $(CURDIR)/.ci/timed
export FRAMECAST_TIMINGS := $(CURDIR)/target/timings.tsv

# The cargo profile of native builds for the tests and the demo.
NATIVE_PROFILE := ci
# Where the Node tests and the demo find the native binaries (examples, framecast-server).
export FRAMECAST_NATIVE_DIR := $(CURDIR)/target/$(NATIVE_PROFILE)
# A second native build without assembly: the reference for the wasm build.
NATIVE_C_DIR := target/native-c
export FRAMECAST_NATIVE_C_DIR := $(CURDIR)/$(NATIVE_C_DIR)/$(NATIVE_PROFILE)

# Inputs, as make sees them: a change to any of these files rebuilds what
# depends on it (cargo then decides how much to recompile).
CRATE_INPUTS := Cargo.toml Cargo.lock build.rs $(wildcard .cargo/*) $(shell find src -type f)
NATIVE_INPUTS := $(CRATE_INPUTS) $(shell find examples -type f -not -path '*/target/*')

help:
	@sed -n '2,7p' Makefile | sed 's/^# //'

bootstrap: target/toolchain.env

$(STAMPS):
	mkdir -p $@

# Examples and the stream server, in one cargo invocation (one feature
# resolution, so the crate is compiled once for both).
native: $(STAMPS)/native
$(STAMPS)/native: $(NATIVE_INPUTS) target/toolchain.env | $(STAMPS)
	$(TIMED) native cargo build --profile $(NATIVE_PROFILE) --workspace --examples --bins
	touch $@

# The npm package. One cargo build; wasm-bindgen's output for the web and
# Node targets is the same .wasm, so wasm-opt runs once (web) and
# assemble.mjs gives the Node build that optimised file after checking that
# both have the same imports and exports. The wasm builds depend on the
# crate, the package on them and the templates (a template change only
# re-assembles). pkg/package.json is written last by assemble.mjs, so it is
# the package's stamp.
PKG_STAMP := pkg/package.json
pkg: $(PKG_STAMP)
$(STAMPS)/wasm-pkg: $(CRATE_INPUTS) target/toolchain.env | $(STAMPS)
	$(TIMED) pkg-web env $(WASM_CARGO_ENV) wasm-pack build $(WASM_PACK_MODE) --release --target web --out-dir $(PKG_WEB) --out-name framecast --no-pack . $(if $(WASM_BUILD_STD_ARGS),-- $(WASM_BUILD_STD_ARGS))
	$(TIMED) pkg-node env $(WASM_CARGO_ENV) wasm-pack build $(WASM_PACK_MODE) --release --no-opt --target nodejs --out-dir $(PKG_NODE) --out-name framecast --no-pack . $(if $(WASM_BUILD_STD_ARGS),-- $(WASM_BUILD_STD_ARGS))
	touch $@
# The entry points' own wasm builds (cargo features: see Cargo.toml and
# ARCHITECTURE.md): `framecast/publisher` (feature `publish`, web only: it
# runs in a browser Worker) and its two audio encoders, which its Worker
# loads on demand (`audio-encoder` with `aac` or `opus`, web only), `framecast/mux` (`mux`, no codec) and
# `framecast/transcode` (`transcode`), the last two for the web and Node as
# the root is. One after another and after the root's build: they share
# target/, whose framecast.wasm each cargo build overwrites before
# wasm-bindgen reads it. The fourth argument is the wasm-pack profile
# (default `--release`): mux uses the `wasm-size` cargo profile (Cargo.toml),
# which builds into a folder of its own.
COMMA := ,
define entry_build
	$(TIMED) pkg-$(1)-web env $(WASM_CARGO_ENV) wasm-pack build $(WASM_PACK_MODE) $(or $(4),--release) --target web --out-dir target/pkg/web-$(1) --out-name framecast --no-pack . -- --no-default-features --features $(2) $(WASM_BUILD_STD_ARGS)
	$(if $(3),$(TIMED) pkg-$(1)-node env $(WASM_CARGO_ENV) wasm-pack build $(WASM_PACK_MODE) $(or $(4),--release) --no-opt --target nodejs --out-dir target/pkg/node-$(1) --out-name framecast --no-pack . -- --no-default-features --features $(2) $(WASM_BUILD_STD_ARGS))
endef
$(STAMPS)/wasm-entries: $(CRATE_INPUTS) target/toolchain.env | $(STAMPS)/wasm-pkg
	$(call entry_build,publisher,publish,)
	$(call entry_build,mux,mux,node,--profile wasm-size)
	$(call entry_build,transcode,transcode,node)
	$(call entry_build,publisher-aac,audio-encoder$(COMMA)aac,)
	$(call entry_build,publisher-opus,audio-encoder$(COMMA)opus,)
	touch $@
$(PKG_STAMP): $(STAMPS)/wasm-pkg $(STAMPS)/wasm-entries $(wildcard pkg-templates/*)
	node pkg-templates/assemble.mjs target/pkg pkg

$(STAMPS)/native-c: $(NATIVE_INPUTS) target/toolchain.env | $(STAMPS)
	CARGO_TARGET_DIR=$(NATIVE_C_DIR) FRAMECAST_OPENH264_ASM=0 $(TIMED) native-c cargo build --profile $(NATIVE_PROFILE) --example h264_encode
	touch $@

# The suites one after another, except in the middle: wasm-opt (pkg) runs
# on one core for minutes, so the `mp3` test build, the native C build and
# the downstream crate build beside it (the last two have their own target
# folders, so they do not wait for cargo's lock on target/). `native` comes
# right after the native tests, which built the same units (after the `mp3`
# build cargo would relink the server). The Node suite runs alone: some of
# its tests measure real-time behaviour in Chromium.
test:
	@rm -f $(FRAMECAST_TIMINGS)
	$(MAKE) --no-print-directory test-features test-native-core $(STAMPS)/native test-wasm
	$(MAKE) --no-print-directory -j2 --output-sync=target $(PKG_STAMP) test-native-mp3 $(STAMPS)/native-c test-downstream test-lint
	$(MAKE) --no-print-directory test-node
	@echo "make test: phase timings:"; awk -F'\t' '{ printf "  %-18s %8s s wall %8s s cpu\n", $$1, $$2, $$3 }' $(FRAMECAST_TIMINGS)
	@echo "make test: all suites passed"

# Gates: formatting (every crate in the repository), clippy natively and for
# wasm32 with warnings as errors, and rustdoc's missing_docs on the public API
# (natively and for wasm32, where src/web is compiled). Their own target
# folder, so they run beside the builds of the middle phase.
LINT_DIR := $(CURDIR)/target/lint
test-lint: target/toolchain.env
	$(TIMED) lint-fmt bash -c 'cargo fmt --all --check && for d in tests/fuzz tests/downstream; do (cd $$d && cargo fmt --check); done'
	CARGO_TARGET_DIR=$(LINT_DIR) $(TIMED) lint-clippy cargo clippy --workspace --all-targets -- -D warnings
ifeq ($(WASM_MODE),rustup)
	CARGO_TARGET_DIR=$(LINT_DIR) $(TIMED) lint-clippy-wasm cargo clippy --target wasm32-unknown-unknown --lib --tests -- -D warnings
	CARGO_TARGET_DIR=$(LINT_DIR) RUSTDOCFLAGS="-D missing_docs -D warnings" $(TIMED) lint-docs-wasm cargo doc --no-deps --lib --target wasm32-unknown-unknown
else
	@echo "test-lint: clippy and rustdoc for wasm32 need rustup's wasm32 target, which bootstrap could not install (WASM_MODE=$(WASM_MODE)); the native runs cover all but src/web"
endif
	CARGO_TARGET_DIR=$(LINT_DIR) RUSTDOCFLAGS="-D missing_docs -D warnings" $(TIMED) lint-docs cargo doc --no-deps --lib --workspace

# The cargo feature sets that the npm entry points are built with, each
# alone: `cargo check` natively and for wasm32, warnings are errors.
# `default` (the root entry) is what every other suite builds.
ENTRY_FEATURES := codecs mux publish transcode audio-encoder,aac audio-encoder,opus
# In the lint folder: the dependencies' check metadata it leaves there is
# what clippy (test-lint) reads too, so they are checked once.
test-features: target/toolchain.env
	CARGO_TARGET_DIR=$(LINT_DIR) $(TIMED) test-features env WASM_ENV="$(WASM_ENV)" WASM_CARGO="$(WASM_CARGO)" WASM_BUILD_STD_ARGS="$(WASM_BUILD_STD_ARGS)" .ci/check-features $(ENTRY_FEATURES)

test-native: test-native-core test-native-mp3
test-native-core: target/toolchain.env
	$(TIMED) test-native cargo test --profile $(NATIVE_PROFILE) --workspace
# The optional MP3 encoder (cargo feature `mp3`), and transcoding with it.
test-native-mp3: target/toolchain.env
	$(TIMED) test-native-mp3 cargo test --profile $(NATIVE_PROFILE) --features mp3 --test mp3_encode --test audio_transcode

# wasm-bindgen tests, built once (profile `ci`) and run in Node and in headless Chromium.
test-wasm: target/toolchain.env
	$(TIMED) test-wasm-node env $(WASM_CARGO_ENV) wasm-pack test $(WASM_PACK_TEST_MODE) --node . --profile $(NATIVE_PROFILE) $(WASM_BUILD_STD_ARGS)
	WASM_BINDGEN_USE_BROWSER=1 $(TIMED) test-wasm-chrome env $(WASM_CARGO_ENV) wasm-pack test $(WASM_PACK_TEST_MODE) --headless --chrome . --profile $(NATIVE_PROFILE) $(WASM_BUILD_STD_ARGS)

# Node tests: the npm package as users get it (Node, Deno, workerd, Chromium), the native examples and the server.
test-node: $(PKG_STAMP) $(STAMPS)/native $(STAMPS)/native-c
	$(TIMED) test-node node --test tests/node/

# framecast as a Rust dependency: tests/downstream in headless Chromium, in
# the dev profile as `wasm-pack test` builds by default. Its own target
# folder: framecast is a cdylib, whose outputs carry no hash in their names,
# and as a dependency outside the workspace it is built with other flags
# (capped lints), so a shared folder would rebuild it for every switch.
test-downstream: target/toolchain.env
	cd tests/downstream && CARGO_TARGET_DIR=$(CURDIR)/target/downstream $(TIMED) test-downstream env $(WASM_CARGO_ENV) wasm-pack test $(WASM_PACK_TEST_MODE) --headless --chrome . $(WASM_BUILD_STD_ARGS)

# The benchmark measures what ships: native builds in the release profile.
bench: $(PKG_STAMP)
	cargo build --release --workspace --examples --bins
	CARGO_TARGET_DIR=$(NATIVE_C_DIR) FRAMECAST_OPENH264_ASM=0 cargo build --release --example h264_encode
	FRAMECAST_NATIVE_DIR=$(CURDIR)/target/release node tests/bench/run.mjs
	node tests/bench/wasm_size.mjs pkg

# What each entry point's wasm bytes are spent on (BENCHMARKS.md "Module
# size per entry point"): each feature set built in its own target folder,
# through wasm-bindgen and wasm-opt with the shipped profile and flags (-O3;
# mux: the `wasm-size` profile and -Os) and names kept (-g; the shipped
# modules have none), then counted by tests/bench/wasm_cost.mjs. Not part of
# `make test`.
COST_DIR := target/wasm-cost
# The flags of Cargo.toml's [package.metadata.wasm-pack.profile.release]
# (-O3) and `.custom` (the `wasm-size` profile: -Os --converge
# --low-memory-unused).
WASM_OPT_FLAGS := --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-reference-types --enable-multivalue
wasm-cost: target/toolchain.env
	for set in publisher:publish:release publisher-aac:audio-encoder,aac:release publisher-opus:audio-encoder,opus:release mux:mux:wasm-size transcode:transcode:release; do \
	  IFS=: read -r entry features profile <<< "$$set"; out=$(COST_DIR)/$$entry; \
	  case $$profile in wasm-size) level="-Os --converge --low-memory-unused";; *) level=-O3;; esac; \
	  CARGO_TARGET_DIR=$(COST_DIR) env $(WASM_CARGO_ENV) cargo build --profile $$profile --lib --target wasm32-unknown-unknown --no-default-features --features $$features $(WASM_BUILD_STD_ARGS); \
	  wasm-bindgen --target web --out-dir $$out --out-name framecast $(COST_DIR)/wasm32-unknown-unknown/$$profile/framecast.wasm; \
	  wasm-opt $$level $(WASM_OPT_FLAGS) -g $$out/framecast_bg.wasm -o $$out/named.wasm; \
	  node tests/bench/wasm_cost.mjs $$out/named.wasm --build-dir $(COST_DIR)/wasm32-unknown-unknown/$$profile/build --top 15 > $$out/cost.md; \
	  echo "wasm-cost: $$entry ($$features): $$out/cost.md"; \
	done

demo: $(PKG_STAMP) $(STAMPS)/native
	node www/serve.mjs

# Coverage-guided fuzzing (libFuzzer) needs nightly Rust and cargo-fuzz, both
# from the registries; 60 s per target (FUZZ_SECONDS to change).
FUZZ_SECONDS ?= 60
fuzz: target/toolchain.env
	rustup toolchain list | grep -q '^nightly' || timeout 600 rustup toolchain install nightly --profile minimal
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	for t in h264_bitstream h264_decode mp4_reader preset_json watermark_png audio_decode audio_transcode ts_demux job_json mkv_demux; do cargo +nightly fuzz run --fuzz-dir tests/fuzz $$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; done

clean:
	cargo clean
	rm -rf pkg
