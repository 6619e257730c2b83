# Corridor: every target loops over the workspace's modules, because
# `go test ./...` at the root of a go.work workspace does not reach them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

MODULES := pkg proto services/casework services/relay services/coordinator services/corridorctl services/sandbox
BIN     := $(CURDIR)/.bin
SERVICES := $(addprefix ./,$(filter services/%,$(MODULES)))
GO      ?= go
STATICCHECK_VERSION := v0.8.2

# Tests run with the race detector; -p bounds parallel packages on small machines.
TEST_FLAGS ?= -race -count=1 -timeout 20m

.PHONY: all build test browser-deps test-faults bench bench-e2e lint generate check-generated demo demo-reset postgres-check fuzz clean help

all: build

help:
	@echo "make demo    run a whole corridor (hub, CI, BF, coordinator) on this machine"
	@echo "make test    run every test (starts its own PostgreSQL and NATS servers)"
	@echo "make test-faults  kill, stall and duplicate the corridor's parts under traffic (minutes)"
	@echo "make lint    gofmt, go vet, staticcheck"
	@echo "make generate  regenerate protobuf Go code with pinned tools"
	@echo "make bench   run the benchmarks"
	@echo "make bench-e2e  measure the exchange end to end against this machine's ceilings"

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ $(SERVICES)

# postgres-check says how to get PostgreSQL when its server binaries are missing.
postgres-check:
	@./deploy/scripts/find-postgres.sh >/dev/null || { \
	  echo "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found."; \
	  echo "Install them: Debian/Ubuntu: sudo apt-get install postgresql   (or set DATABASE_URL to a server you own)"; \
	  exit 1; }

test: postgres-check browser-deps
	@for m in $(MODULES); do \
	  echo "== go test $$m"; \
	  (cd $$m && $(GO) test $(TEST_FLAGS) ./...) || exit 1; \
	done

# browser-deps installs axe-core for the browser tests (services/sandbox),
# pinned by its package-lock.json, with npm ci; Chromium is Debian's
# chromium package (.ci/run installs it). Without either, the browser tests
# skip with a message, except in CI (CI set), where they fail.
AXE_DIR := services/sandbox/internal/browsertest/testdata
browser-deps: $(AXE_DIR)/node_modules/.installed
	@command -v chromium >/dev/null || \
	  echo "Chromium not found: the browser tests need Debian's chromium package (sudo apt-get install chromium)"

$(AXE_DIR)/node_modules/.installed: $(AXE_DIR)/package.json $(AXE_DIR)/package-lock.json
	@if command -v npm >/dev/null; then \
	  (cd $(AXE_DIR) && npm ci --no-audit --no-fund --ignore-scripts) && touch $@; \
	else echo "npm not found: the browser tests need axe-core (install Node.js and npm, then make browser-deps)"; fi

# test-faults runs the fault-injection tests (build tag "faults"), which
# start the whole corridor and break it under traffic; docs/reliability.md
# holds their table. FAULTS_CUT, FAULTS_STALL and FAULTS_EXPIRED set how long
# a leaf link is cut (2m), the hub frozen (20s) and the corridor left on an
# expired directory (30s); FAULTS_CONVERGE bounds each recovery (4m).
test-faults: postgres-check
	cd services/sandbox && $(GO) test -tags faults -race -count=1 -timeout 20m -run '^TestFaults$$' -v .

bench: postgres-check
	@for m in $(MODULES); do \
	  (cd $$m && $(GO) test -run '^$$' -bench . -benchmem ./...) || exit 1; \
	done

# bench-e2e starts a durable corridor as make demo does, measures this
# machine's ceilings and the exchange's throughput and latency against them
# (docs/performance.md); not part of make test.
bench-e2e: postgres-check
	cd services/sandbox && CORRIDOR_BENCH_E2E=1 $(GO) test -run '^TestBenchEndToEnd$$' -count=1 -timeout 40m -v .

lint:
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done
	@GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@for m in $(MODULES); do (cd $$m && $(BIN)/staticcheck ./...) || exit 1; done

generate:
	./proto/generate.sh

# check-generated fails when the committed generated code differs from what
# `make generate` produces with the pinned tools.
check-generated: generate
	@git diff --exit-code -- proto || { echo "generated code is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- proto)" || { git status --porcelain -- proto; echo "untracked generated files: run make generate and commit"; exit 1; }

demo: postgres-check build
	$(BIN)/sandbox up

demo-reset: postgres-check build
	$(BIN)/sandbox up -reset

fuzz:
	cd pkg && $(GO) test -run '^$$' -fuzz FuzzOpen -fuzztime 30s ./envelope

clean:
	rm -rf $(BIN)
