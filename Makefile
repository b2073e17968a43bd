# Forge Fit. `make run` starts everything; `make test` runs every test.
SHELL := /bin/bash
GO    ?= go
BIN   := bin
WEB   := $(BIN)/web
WASM_FLAGS := -trimpath -ldflags="-s -w"
# AXE_VERSION is the axe-core the browser suite injects into the widget.
AXE_VERSION := 4.11.0
AXE := e2e/node_modules/axe-core
GOROOT_WASM := $(shell $(GO) env GOROOT)/lib/wasm

BENCH := $(BIN)/bench

.PHONY: all build wasm server run test vet unit e2e deps bench bench-build bench-smoke clean

all: build

build: wasm server
	@$(BIN)/forgefit precompress $(WEB)

wasm:
	@mkdir -p $(WEB)
	GOOS=js GOARCH=wasm $(GO) build $(WASM_FLAGS) -o $(WEB)/app.wasm ./app
	@cp $(GOROOT_WASM)/wasm_exec.js $(WEB)/wasm_exec.js

server:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $(BIN)/forgefit ./app

run: build
	@mkdir -p data
	$(BIN)/forgefit -demo -db data/forgefit.db

# test installs what the tests need when it is missing, then runs the vets,
# the unit tests with the race detector, the wasm build, the browser
# suite and a smoke run of the bench (so it cannot rot; no timing is
# checked).
test: deps vet unit build e2e bench-smoke

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./app ./widget/...

# The fuzz run is bounded by a count of inputs, not a duration: with a
# duration, Go 1.26's fuzzing coordinator can report the deadline itself as
# a failure ("context deadline exceeded", no input written; golang/go#75804,
# fixed in Go 1.27). 300,000 inputs take about 8 s here.
unit:
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /e2e)
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 300000x ./widget/event
	$(GO) test -run '^$$' -fuzz FuzzParseVisit -fuzztime 100000x ./widget/fit

e2e:
	FORGEFIT_BIN=$(CURDIR)/$(BIN)/forgefit $(GO) test -count=1 -timeout 15m ./e2e/

# deps installs what the tests need when it is missing: Debian's Chromium
# for the browser tests, Debian's PostgreSQL server for the PostgreSQL
# store's tests (which start a throwaway server of their own: see
# store/pgtest), and the pinned axe-core into the ignored
# e2e/node_modules for the accessibility audits.
deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing postgresql (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }
	@grep -qs '"version": "$(AXE_VERSION)"' $(AXE)/package.json || { \
	  echo "installing axe-core $(AXE_VERSION) into e2e/node_modules"; \
	  npm install --no-save --no-package-lock --no-audit --no-fund --prefix e2e axe-core@$(AXE_VERSION) >/dev/null; }

# bench measures the product against its budgets (see README,
# "Performance"): one table on stdout, the same in $(BENCH)/results.json.
bench: deps build bench-build
	$(GO) run ./e2e/bench/seed -db $(BENCH)/stats.db
	$(BENCH)/forgefit-bench -bin $(BIN)/forgefit -web $(WEB) -hello $(BENCH)/hello.wasm -out $(BENCH) \
	  -stats-db $(BENCH)/stats.db -postgres auto -floor-bin $(BENCH)/forgefit-floor

# bench-build builds the bench, the go-app hello world it compares
# app.wasm with (built exactly as the widget is), and the server with the
# bench's durable floor store (app/floor.go), which the ingest figures are
# read against.
bench-build:
	@mkdir -p $(BENCH)
	$(GO) build -o $(BENCH)/forgefit-bench ./e2e/bench
	$(GO) build -trimpath -tags benchfloor -o $(BENCH)/forgefit-floor ./app
	GOOS=js GOARCH=wasm $(GO) build $(WASM_FLAGS) -o $(BENCH)/hello.wasm ./e2e/bench/helloworld

# bench-smoke runs the bench's own tests and a short run of it: one load,
# one-second load runs, results in $(BENCH)/smoke.
bench-smoke: bench-build
	$(GO) test -count=1 ./e2e/bench/
	$(BENCH)/forgefit-bench -smoke -bin $(BIN)/forgefit -web $(WEB) -hello $(BENCH)/hello.wasm -out $(BENCH)/smoke \
	  -floor-bin $(BENCH)/forgefit-floor

clean:
	rm -rf $(BIN)
