# Tickercast: `make run` sets up and serves the app; `make test` sets up and runs every test.
# Everything the project needs is installed here, idempotently: a fresh Debian machine needs only make.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

TARGET_DIR      := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
SITE_ROOT       := $(CURDIR)/target/site
WASM_BINDGEN_V  := 0.2.130
SQLX_CLI_V      := 0.8.6
SUDO            := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export LEPTOS_SITE_ROOT := $(SITE_ROOT)

.PHONY: run test setup setup-test build build-server build-wasm site test-rust test-e2e test-fuzz lint fmt clean-data load-test bench bench-api sqlx-prepare

## run: set up, build, and serve on http://127.0.0.1:3000 (private Postgres and Redis unless URLs are set)
run: setup build
	$(TARGET_DIR)/debug/server

## test: set up, build, and run unit, integration and browser tests
test: setup setup-test build lint test-rust test-fuzz test-e2e

## setup: system packages, the wasm target and wasm-bindgen (skips whatever is already there)
setup:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v postgres >/dev/null || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v cc >/dev/null || missing="$$missing build-essential"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_V)" || \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_V)

## setup-test: Chromium for the browser tests, the end2end npm packages, sqlx-cli for the query check,
## Python's venv for the API fuzzer
setup-test:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	python3 -c 'import ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@cd end2end && { [ -d node_modules/@playwright/test ] || npm ci --no-audit --no-fund; }
	@cargo sqlx --version 2>/dev/null | grep -q "$(SQLX_CLI_V)" || \
	  cargo install sqlx-cli --version $(SQLX_CLI_V) --no-default-features --features postgres,rustls --locked

## build: the server binary and the hydrating WebAssembly with its site assets
build: build-server build-wasm site

build-server:
	cargo build -p server

# A separate cargo invocation: building frontend and server together would unify the ssr and
# hydrate features of the app crate.
build-wasm:
	cargo build -p frontend --lib --target wasm32-unknown-unknown
	wasm-bindgen --target web --out-dir $(SITE_ROOT)/pkg --out-name tickercast \
	  $(TARGET_DIR)/wasm32-unknown-unknown/debug/frontend.wasm

site:
	@mkdir -p $(SITE_ROOT)/pkg
	cp style/main.css $(SITE_ROOT)/pkg/tickercast.css
	cp -r public/. $(SITE_ROOT)/

test-rust:
	cargo test --workspace --exclude frontend

# Schemathesis against the OpenAPI document (installed into .venv-fuzz/ by the script).
test-fuzz:
	server/scripts/api-fuzz.sh $(TARGET_DIR)/debug/server

test-e2e:
	cd end2end && SERVER_BIN=$(TARGET_DIR)/debug/server npx playwright test
	cd end2end && SERVER_BIN=$(TARGET_DIR)/debug/server npx playwright test --config playwright.online.config.ts

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
	server/scripts/sqlx-check.sh $(TARGET_DIR)/debug/server check

## sqlx-prepare: rewrite .sqlx/ after changing a query (a throwaway Postgres; no setup needed)
sqlx-prepare: build-server
	server/scripts/sqlx-check.sh $(TARGET_DIR)/debug/server prepare

fmt:
	cargo fmt --all

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
