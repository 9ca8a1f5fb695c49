# framecast build, test, benchmark and demo entry points.
#
#   make test    every test: native core, wasm in Node and headless Chromium, package checks
#   make demo    build the wasm package and the stream server, start both, serve the demo page (prints the URL)
#   make bench   encoder benchmark (not part of `make test`); see BENCHMARKS.md
#   make pkg     build the npm package into pkg/
#
# Every target first runs .ci/bootstrap.sh, which installs whatever is missing
# (idempotent, well under 10 s when all is present) and writes
# target/toolchain.env, included below.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.PHONY: help bootstrap native pkg test test-native test-wasm test-node bench demo fuzz clean FORCE

target/toolchain.env: FORCE
	@.ci/bootstrap.sh
-include target/toolchain.env

export PATH := $(NODE_BIN_DIR):$(CARGO_BIN_DIR):$(PATH)
export CARGO_TERM_COLOR ?= never

WASM_CARGO_ENV := $(WASM_ENV)
PKG_WEB := target/pkg/web
PKG_NODE := target/pkg/node
# A second native build without assembly: the reference for the wasm build.
NATIVE_C_DIR := target/native-c

help:
	@sed -n '2,7p' Makefile | sed 's/^# //'

bootstrap: target/toolchain.env

native: target/toolchain.env
	cargo build --release --examples
	cargo build --release -p framecast-server

# wasm-pack: one cargo build, bindings for browsers/bundlers (web) and Node.
pkg: target/toolchain.env
	$(WASM_CARGO_ENV) wasm-pack build $(WASM_PACK_MODE) --release --target web --out-dir $(PKG_WEB) --out-name framecast --no-pack . $(if $(WASM_BUILD_STD_ARGS),-- $(WASM_BUILD_STD_ARGS))
	$(WASM_CARGO_ENV) wasm-pack build $(WASM_PACK_MODE) --release --target nodejs --out-dir $(PKG_NODE) --out-name framecast --no-pack . $(if $(WASM_BUILD_STD_ARGS),-- $(WASM_BUILD_STD_ARGS))
	node pkg-templates/assemble.mjs target/pkg pkg

$(NATIVE_C_DIR)/release/examples/h264_encode: FORCE target/toolchain.env
	CARGO_TARGET_DIR=$(NATIVE_C_DIR) FRAMECAST_OPENH264_ASM=0 cargo build --release --example h264_encode

test: test-native test-wasm test-node
	@echo "make test: all suites passed"

test-native: target/toolchain.env
	cargo test --release --workspace
	# The optional MP3 encoder (cargo feature `mp3`), and transcoding with it.
	cargo test --release --features mp3 --test mp3_encode --test audio_transcode

test-wasm: target/toolchain.env
	$(WASM_CARGO_ENV) wasm-pack test $(WASM_PACK_TEST_MODE) --release --node . $(WASM_BUILD_STD_ARGS)
	WASM_BINDGEN_USE_BROWSER=1 $(WASM_CARGO_ENV) wasm-pack test $(WASM_PACK_TEST_MODE) --release --headless --chrome . $(WASM_BUILD_STD_ARGS)

test-node: pkg native $(NATIVE_C_DIR)/release/examples/h264_encode
	node --test tests/node/

bench: pkg native $(NATIVE_C_DIR)/release/examples/h264_encode
	node tests/bench/run.mjs

demo: pkg native
	node www/serve.mjs

# Coverage-guided fuzzing (libFuzzer) needs nightly Rust and cargo-fuzz, both
# from the registries; 60 s per target (FUZZ_SECONDS to change).
FUZZ_SECONDS ?= 60
fuzz: target/toolchain.env
	rustup toolchain list | grep -q '^nightly' || timeout 600 rustup toolchain install nightly --profile minimal
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	for t in h264_bitstream h264_decode mp4_reader preset_json watermark_png audio_decode audio_transcode; do cargo +nightly fuzz run --fuzz-dir tests/fuzz $$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; done

clean:
	cargo clean
	rm -rf pkg
