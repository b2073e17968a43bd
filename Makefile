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

.PHONY: all build wasm server run test vet unit e2e deps bench clean

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
# the unit tests with the race detector, the wasm build and the browser
# suite.
test: deps vet unit build e2e

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./app ./widget/...

unit:
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /e2e)

e2e:
	FORGEFIT_BIN=$(CURDIR)/$(BIN)/forgefit $(GO) test -count=1 -timeout 15m ./e2e/

# deps installs Debian's Chromium for the browser tests, and the pinned
# axe-core into the ignored e2e/node_modules, when they are missing.
deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@grep -qs '"version": "$(AXE_VERSION)"' $(AXE)/package.json || { \
	  echo "installing axe-core $(AXE_VERSION) into e2e/node_modules"; \
	  npm install --no-save --no-package-lock --no-audit --no-fund --prefix e2e axe-core@$(AXE_VERSION) >/dev/null; }

bench: build
	@echo "make bench: no benchmarks yet (see the make bench issue)"

clean:
	rm -rf $(BIN)
