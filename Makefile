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

.PHONY: all build wasm server run test lint vet staticcheck unit e2e wasm-size deps bench bench-build bench-smoke clean

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

# test installs what the tests need when it is missing, then runs the
# linters, the unit tests with the race detector, the wasm build and its
# size check, the browser suite and a smoke run of the bench (so it cannot
# rot; no timing is checked).
test: deps lint unit build wasm-size e2e bench-smoke

# lint: gofmt must list no file, go vet and staticcheck must find nothing,
# for the native build and for the wasm one. Nothing is excluded: every
# package of the module is checked in the native build. The wasm build is
# checked as ./app ./widget/..., the packages it compiles:
# `GOOS=js GOARCH=wasm go vet ./...` fails inside modernc/libc, which the
# server's SQLite driver pulls in and the wasm never imports.
lint: vet staticcheck
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l: not formatted:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./app ./widget/...

# staticcheck is pinned by the tool directive in go.mod (honnef.co/go/tools
# v0.8.2), so `go build` fetches that version on a fresh machine. It is
# built for this machine (`GOOS=js go tool staticcheck` would build the
# tool itself for js/wasm) and then run with GOOS=js GOARCH=wasm for the
# wasm build. Tool dependencies are never linked into app.wasm.
staticcheck:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/staticcheck honnef.co/go/tools/cmd/staticcheck
	$(BIN)/staticcheck ./...
	GOOS=js GOARCH=wasm $(BIN)/staticcheck ./app ./widget/...

# The fuzz run is bounded by a count of inputs, not a duration: with a
# duration, Go 1.26's fuzzing coordinator can report the deadline itself as
# a failure ("context deadline exceeded", no input written; golang/go#75804,
# fixed in Go 1.27). 300,000 inputs take about 8 s here.
unit:
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /e2e)
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 300000x ./widget/event
	$(GO) test -run '^$$' -fuzz FuzzParseVisit -fuzztime 100000x ./widget/fit

# wasm-size fails when app.wasm's brotli surplus over the go-app hello
# world (built exactly as app.wasm is) passes WASM_SURPLUS_MAX. That is a
# ratchet, not the goal: the budget is 60,000 B, which `make bench` keeps
# and reports as a miss; the ceiling sits just above the surplus measured
# when the check was set, so the wasm cannot grow. The figure moves without
# a change of code: two builds of the same code differ in their 60-byte Go
# build id only, and that alone moved app.wasm's best brotli by 2,769 B
# (1,466,560 and 1,469,329 B: surpluses 67,434 and 70,203 B on
# 2026-12-06). So the ceiling is the higher of those plus that swing,
# rounded up. Lower it as the surplus shrinks; raise it only with a reason
# in the commit.
# Both sizes are brotli at the best quality (deterministic): app.wasm's is
# the copy `make build` precompressed; the hello world's is cached by its
# hash in $(BENCH), shared with the bench, so it is paid once.
WASM_SURPLUS_MAX := 73000
wasm-size: build
	@mkdir -p $(BENCH)
	GOOS=js GOARCH=wasm $(GO) build $(WASM_FLAGS) -o $(BENCH)/hello.wasm ./e2e/bench/helloworld
	$(GO) run ./e2e/bench/wasmsize -web $(WEB) -hello $(BENCH)/hello.wasm -cache $(BENCH) -max $(WASM_SURPLUS_MAX)

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
# bench's durable floor store (e2e/bench/floorserver), which the ingest
# figures are read against.
bench-build:
	@mkdir -p $(BENCH)
	$(GO) build -o $(BENCH)/forgefit-bench ./e2e/bench
	$(GO) build -trimpath -o $(BENCH)/forgefit-floor ./e2e/bench/floorserver
	GOOS=js GOARCH=wasm $(GO) build $(WASM_FLAGS) -o $(BENCH)/hello.wasm ./e2e/bench/helloworld

# bench-smoke runs the bench's own tests and a short run of it: one load,
# one-second load runs, results in $(BENCH)/smoke.
bench-smoke: bench-build
	$(GO) test -count=1 ./e2e/bench/
	$(BENCH)/forgefit-bench -smoke -bin $(BIN)/forgefit -web $(WEB) -hello $(BENCH)/hello.wasm -out $(BENCH)/smoke \
	  -floor-bin $(BENCH)/forgefit-floor

clean:
	rm -rf $(BIN)
