# Cohort — the two commands: `make run` and `make test`. Helpers: deps, build, bench, format.
MAKEFLAGS += --no-print-directory
PRESET    ?= release
BUILD_DIR := build/$(PRESET)
COHORT    := $(BUILD_DIR)/src/app/cohort
DATA_DIR  ?= var
HTTP      ?= 127.0.0.1:8080
SIP       ?= 127.0.0.1:5060
# Node.js and npm build the web console; without them the server builds and runs alone.
HAVE_NODE := $(shell command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && echo yes)

.PHONY: run test deps configure build bench format format-check layers-check clean

## Install missing Debian packages (non-interactive, --no-install-recommends).
deps:
	@scripts/deps.sh

## Configure (once) and build everything (server, tests, benchmarks) with -j2.
build: configure
	@cmake --build --preset $(PRESET)

configure: deps
	@cmake --preset $(PRESET) >/dev/null

## Start one node on embedded SQLite under $(DATA_DIR), with demo data on an empty database.
## Builds only the server, so a first `make run` does not wait for the tests.
run: configure $(if $(HAVE_NODE),web)
	@cmake --build --preset $(PRESET) --target cohort
	@mkdir -p $(DATA_DIR)
	$(COHORT) serve --data-dir $(DATA_DIR) --http $(HTTP) --sip $(SIP) --demo-data

## Check formatting, build, run every test (C++ unit and integration, the console's lint,
## types and Vitest, then the console end to end in Chromium), then fuzz the SIP parser for
## 60 s (ASan/UBSan). The console needs Node.js 20.19+ and npm (preinstalled on CI).
test: build format-check layers-check web-check
	@ctest --preset $(PRESET)
	@tests/e2e/run.sh
	@scripts/fuzz.sh 60

## Benchmarks: snapshot and SIP parser (Google Benchmark), HTTP API (wrk), REGISTER, calls and
## group calls vs Kamailio (SIPp; the group bench seeds Cohort with curl and jq). See
## bench/README.md.
bench: build
	@scripts/deps.sh wrk kamailio curl jq
	@bench/run.sh $(BUILD_DIR)

## Fail on sources that clang-format would change.
format-check:
	@scripts/format.sh --check

## Fail when a pure folder (common/, model/, sip/, routing/, media/) includes Boost, SQLite or
## threads, reads a clock, or includes a layer above it (also a ctest test).
layers-check:
	@scripts/check-layers.sh

## Reformat every C++ source in place.
format:
	@scripts/format.sh

clean:
	rm -rf build

## The web console (web/): `npm ci` when package-lock.json changed (a stamp in node_modules),
## then `npm run build` into web/dist. `build` depends on it only where Node and npm exist, so
## a machine without Node still builds a server (which then says at / how to build the console).
WEB_STAMP := web/node_modules/.npm-ci.stamp

.PHONY: web web-check

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

web: $(WEB_STAMP)
	cd web && npm run build

## Lint, Prettier check, type check and the Vitest suite of the console.
web-check: $(WEB_STAMP)
	cd web && npm run check

ifeq ($(HAVE_NODE),yes)
build: web
endif
