# Tickercast: `make run` sets up and serves the app; `make test` sets up and runs every test.
# Everything the project needs is installed here, idempotently: a fresh Debian machine needs only make.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

TARGET_DIR      := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
SITE_ROOT       := $(CURDIR)/target/site
WASM_BINDGEN_V  := 0.2.130
SQLX_CLI_V      := 0.8.6
TRUNK_V         := 0.21.14
WASM_SPLIT_V    := 0.2.4
# The server the static build (`make spa`) talks to; the SPA browser test runs one there.
SPA_SERVER_URL  := http://127.0.0.1:3119
# The browser bundle: `wasm-release` (size-optimised, then wasm-opt from the npm binaryen package:
# Debian's binaryen 108 breaks hydration) unless `make dev` asks for the fast debug build.
WASM_PROFILE    := wasm-release
WASM_DIR         = $(if $(filter dev,$(WASM_PROFILE)),debug,$(WASM_PROFILE))
WASM_OPT        := $(CURDIR)/frontend/node_modules/.bin/wasm-opt
# `make test` lints the server and its tests while it builds them: cargo hands each workspace crate
# to clippy-driver (what `cargo clippy` does, with the same `-D warnings`), which lints it and then
# compiles it as rustc would, so the dependencies are compiled once, for the build, and not again
# in check mode for clippy. clippy-driver turns rustc's MIR optimisations off (LLVM's stay on),
# which suits test builds; the browser bundles, whose size is measured, are built by plain rustc
# and linted by their own clippy passes. Only `make test` builds this way, so a new lint never stops
# `make run`; `make lint` runs every clippy pass on its own.
CLIPPY_WRAPPER  := RUSTC_WORKSPACE_WRAPPER=clippy-driver CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
LINTED          :=
SUDO            := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export LEPTOS_SITE_ROOT := $(SITE_ROOT)

.PHONY: run dev test setup setup-test build build-server build-wasm wasm-opt site precompress test-rust test-e2e test-fuzz lint lint-test lint-bundles fmt clean-data load-test bench bench-api sqlx-prepare echarts echarts-check cluster cluster-stop test-cluster test-scale spa test-spa

## run: set up, build what a user should get (release server, optimised bundle), and serve on
## http://127.0.0.1:3000 (private Postgres and Redis unless URLs are set)
run: setup build-wasm site precompress
	cargo build --release -p server
	$(TARGET_DIR)/release/server

## dev: the same with fast debug builds of the server and the bundle
dev: WASM_PROFILE := dev
dev: setup build
	$(TARGET_DIR)/debug/server

## test: set up, build (linting as it compiles), and run unit, integration and browser tests
test: LINTED := $(CLIPPY_WRAPPER)
test: setup setup-test build spa lint-test test-rust test-fuzz test-e2e test-spa test-cluster test-scale

## setup: system packages, the wasm target, wasm-bindgen and the bundle splitter (skips whatever is already there)
setup:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v postgres >/dev/null || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v cc >/dev/null || missing="$$missing build-essential"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	command -v brotli >/dev/null || missing="$$missing brotli"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cd frontend && { [ -x node_modules/.bin/wasm-opt ] || npm ci --no-audit --no-fund; }
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_V)" || \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_V)
	@cargo install --list | grep -q "^wasm_split_cli_support v$(WASM_SPLIT_V):" || \
	  cargo install wasm_split_cli_support --version $(WASM_SPLIT_V) --locked --features build-binary

## setup-test: Chromium for the browser tests, the end2end npm packages, sqlx-cli for the query check,
## Python's venv for the API fuzzer
setup-test:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v haproxy >/dev/null || missing="$$missing haproxy"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	python3 -c 'import ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@cd end2end && { [ -d node_modules/@playwright/test ] || npm ci --no-audit --no-fund; }
	@cargo sqlx --version 2>/dev/null | grep -q "$(SQLX_CLI_V)" || \
	  cargo install sqlx-cli --version $(SQLX_CLI_V) --no-default-features --features postgres,rustls --locked

## build: the server binary and the hydrating WebAssembly with its site assets
build: build-server build-wasm site precompress

build-server:
	$(LINTED) cargo build -p server

# A separate cargo invocation: building frontend and server together would unify the ssr and
# hydrate features of the app crate.
# The bundle is split where the routes are (`app::pages::split`): the splitter (Leptos's, from
# crates.io, run before wasm-bindgen as cargo-leptos does) leaves the frame in `tickercast_bg.wasm`
# and puts each page's code in a `split_*.wasm`, code pages share in a `chunk_*.wasm`, and the
# loader that fetches them in `__wasm_split.js`. It reads the linker's relocations; data segments
# kept apart can follow the code that uses them into its chunk.
SPLIT_DIR       = $(TARGET_DIR)/wasm-split/$(WASM_DIR)
SPLIT_FLAGS    := -Clink-args=--emit-relocs -Clink-arg=--no-merge-data-segments
build-wasm:
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$(SPLIT_FLAGS)" \
	  cargo build -p frontend --lib --target wasm32-unknown-unknown --profile $(WASM_PROFILE)
	rm -rf $(SPLIT_DIR) && mkdir -p $(SPLIT_DIR) $(SITE_ROOT)/pkg
	wasm-split-cli --out-name tickercast \
	  $(TARGET_DIR)/wasm32-unknown-unknown/$(WASM_DIR)/frontend.wasm $(SPLIT_DIR)
	rm -f $(SITE_ROOT)/pkg/__wasm_split.js $(SITE_ROOT)/pkg/split_*.wasm $(SITE_ROOT)/pkg/chunk_*.wasm
	wasm-bindgen --target web --keep-lld-exports --no-demangle --out-dir $(SITE_ROOT)/pkg \
	  --out-name tickercast $(SPLIT_DIR)/tickercast.wasm
	cp $(SPLIT_DIR)/__wasm_split.js $(SPLIT_DIR)/split_*.wasm $(SITE_ROOT)/pkg/
	cp $(SPLIT_DIR)/chunk_*.wasm $(SITE_ROOT)/pkg/ 2>/dev/null || true
	@if [ "$(WASM_PROFILE)" != dev ]; then $(MAKE) --no-print-directory wasm-opt; fi

# wasm-opt -Oz takes over a minute here for the frame, so each output is kept in the cargo target
# folder under the SHA-256 of its input (the newest few hundred) and reused when the same file
# comes again (`frontend/by-content.sh`); two run at a time. Every file is optimised, small chunks
# too: as the splitter writes them, each carries a name section of about 480 KB that wasm-opt drops.
WASM_OPT_CACHE := $(TARGET_DIR)/wasm-opt
BY_CONTENT     := $(CURDIR)/frontend/by-content.sh
wasm-opt:
	@find $(SITE_ROOT)/pkg -maxdepth 1 -name '*.wasm' -print0 | \
	  xargs -0 -r -n1 -P2 sh -c 'cp "$$($(BY_CONTENT) $(WASM_OPT_CACHE) wasm "$$0" \
	    $(WASM_OPT) -Oz --enable-bulk-memory --enable-nontrapping-float-to-int {in} -o {out})" "$$0"'; \
	ls -t $(WASM_OPT_CACHE)/*.wasm | tail -n +301 | xargs -r rm -f

site:
	@mkdir -p $(SITE_ROOT)/pkg
	cp style/main.css $(SITE_ROOT)/pkg/tickercast.css
	cp -r public/. $(SITE_ROOT)/

# Brotli (quality 11, Debian's `brotli`) of every site file of a type that compresses, for
# browsers that accept it: about a fifth smaller than gzip -9 for the WebAssembly and a sixth
# smaller for the split bundle's many chunks under a kilobyte, and too slow to make per request or
# at start-up (12 s for the bundle here). Each is named by the SHA-256 of the file it compresses
# (the server's content hash: the first 16 hex digits of the cached name), so the server pairs a
# file only with its own compression; made once per content and kept in the cargo target folder,
# as wasm-opt's are (`frontend/by-content.sh`). Skipped for `make dev`'s debug bundle.
BROTLI_CACHE   := $(TARGET_DIR)/brotli
PRECOMPRESSED  := $(SITE_ROOT)/precompressed
precompress:
	@rm -rf $(PRECOMPRESSED); \
	if [ "$(WASM_PROFILE)" = dev ]; then exit 0; fi; \
	mkdir -p $(PRECOMPRESSED); \
	find $(SITE_ROOT) -path $(PRECOMPRESSED) -prune -o -type f \
	  \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \) -print0 | \
	  xargs -0 -r -n1 -P2 sh -c 'made=$$($(BY_CONTENT) $(BROTLI_CACHE) br "$$0" brotli -q 11 -o {out} {in}); \
	    cp "$$made" $(PRECOMPRESSED)/$$(basename "$$made" | cut -c1-16).br'; \
	{ ls -t $(BROTLI_CACHE)/*.br 2>/dev/null || true; } | tail -n +1001 | xargs -r rm -f

## spa: the static, client-side-rendered build in target/spa (Trunk.toml), talking to SPA_SERVER_URL
## (Trunk from crates.io, with the wasm-bindgen and wasm-opt installed by setup: nothing downloaded)
# Trunk runs wasm-bindgen and wasm-opt on every build (about 20 s here when nothing changed), so
# cargo builds first, as Trunk would, and Trunk is skipped when cargo's output and every file Trunk
# reads are those the last static build was made from.
SPA_WASM       := $(TARGET_DIR)/wasm32-unknown-unknown/spa-release/tickercast-spa.wasm
SPA_INPUTS      = $(SPA_WASM) frontend/index.html Trunk.toml style/main.css public/echarts.min.js \
                  public/echarts.LICENSE.txt public/favicon.svg
spa: setup
	@trunk --version 2>/dev/null | grep -q "$(TRUNK_V)" || \
	  cargo install trunk --version $(TRUNK_V) --locked --no-default-features --features rustls
	TICKERCAST_SERVER_URL=$(SPA_SERVER_URL) cargo build -p frontend --bin tickercast-spa \
	  --no-default-features --features csr --profile spa-release --target wasm32-unknown-unknown
	@digest="$$(cat $(SPA_INPUTS) | sha256sum | cut -c1-64) trunk $(TRUNK_V) wasm-bindgen $(WASM_BINDGEN_V)"; \
	if [ -f target/spa/index.html ] && [ "$$(cat $(TARGET_DIR)/spa.inputs 2>/dev/null)" = "$$digest" ]; then \
	  echo "spa: target/spa was built from these files"; \
	else \
	  PATH="$(CURDIR)/frontend/node_modules/.bin:$$PATH" TICKERCAST_SERVER_URL=$(SPA_SERVER_URL) \
	    trunk build --release && echo "$$digest" > $(TARGET_DIR)/spa.inputs; \
	fi

test-spa:
	cd end2end && SERVER_BIN=$(TARGET_DIR)/debug/server npx playwright test --config playwright.spa.config.ts

test-rust:
	$(LINTED) cargo test --workspace --exclude frontend
	# Tests that measure the whole process (memory), alone so nothing else shows in their figures.
	# Selected with the same workspace flags as above, so cargo reuses that test binary instead of
	# building the server again with `-p server`'s own feature set.
	$(LINTED) cargo test --workspace --exclude frontend --test api -- --ignored --test-threads=1

# Schemathesis against the OpenAPI document (installed into .venv-fuzz/ by the script).
test-fuzz:
	server/scripts/api-fuzz.sh $(TARGET_DIR)/debug/server

test-e2e:
	cd end2end && SERVER_BIN=$(TARGET_DIR)/debug/server npx playwright test
	cd end2end && SERVER_BIN=$(TARGET_DIR)/debug/server npx playwright test --config playwright.online.config.ts

# `make test`'s lint: the server build before it was linted as it compiled; this builds, and so
# lints, the targets it leaves out (tests, benches, examples), which `test-rust` then reuses (the
# query check compiles them itself when it runs: see the script), and lints both browser bundles.
lint-test:
	cargo fmt --all -- --check
	$(LINTED) server/scripts/sqlx-check.sh $(TARGET_DIR)/debug/server check
	$(LINTED) cargo test --workspace --exclude frontend --all-targets --no-run
	$(MAKE) --no-print-directory lint-bundles

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
	$(MAKE) --no-print-directory lint-bundles
	server/scripts/sqlx-check.sh $(TARGET_DIR)/debug/server check

# Clippy on the two browser bundles: the hydrating one and the static build's.
lint-bundles:
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown --no-default-features --features csr -- -D warnings

## sqlx-prepare: rewrite .sqlx/ after changing a query (a throwaway Postgres; no setup needed)
sqlx-prepare: build-server
	server/scripts/sqlx-check.sh $(TARGET_DIR)/debug/server prepare

fmt:
	cargo fmt --all

## cluster: two web instances, a worker, Postgres and Redis behind HAProxy on http://127.0.0.1:3100
## (loopback only; data in .data/cluster)
cluster: setup build
	@command -v haproxy >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq haproxy; }
	server/scripts/cluster/cluster.sh start $(TARGET_DIR)/debug/server

## cluster-stop: stop what `make cluster` started (its data stays)
cluster-stop:
	server/scripts/cluster/cluster.sh stop $(TARGET_DIR)/debug/server

# Faults under bounded load through the balancer of a cluster of its own (about 75 s).
test-cluster:
	server/scripts/cluster/fault-test.sh $(TARGET_DIR)/debug/server

# Training scales out: two workers train two symbols at once, their runs overlapping (about 50 s).
test-scale:
	server/scripts/cluster/scale-test.sh $(TARGET_DIR)/debug/server

## echarts: rebuild public/echarts.min.js (only the charts and components the app uses) from frontend/echarts
echarts:
	cd frontend/echarts && npm ci --no-audit --no-fund && node build.mjs

## echarts-check: draw the app's charts with the built library and npm's full build in Chromium, side by side
echarts-check: echarts
	@cd end2end && { [ -d node_modules/@playwright/test ] || npm ci --no-audit --no-fund; }
	cd frontend/echarts && node check.mjs

## clean-data: delete the embedded default's private Postgres and Redis files
clean-data:
	rm -rf .data

## bench: training time of every served model for one symbol, release build (CPU and wall seconds)
bench:
	cargo run --release -p forecast --example train_all -- --data server/data/prices/goog_2004_2013.csv
	cargo run --release -p forecast --example train_all -- --data server/data/prices/sp500_1999_2018.csv

## load-test: requests per second of a cached route, anonymous beside keyed, release build (wrk)
load-test:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }
	cargo build --release -p server
	server/scripts/load-test.sh $(TARGET_DIR)/release/server

## bench-api: a cached prediction beside the seeds' FastAPI + Redis path and this server's cheapest
## route, side by side in one run (release build, wrk, loopback; the table prints the ratios)
bench-api:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }
	cargo build --release -p server
	server/scripts/bench-api.sh $(TARGET_DIR)/release/server server/bench/peer-api
