# Switchboard developer entry points.
#   make dev      run Switchboard locally (starts/creates PostgreSQL if needed)
#   make test     what CI runs: make lint, sqlc diff, go test -race (PostgreSQL, NATS, Chromium ensured)
#   make build    bin/switchboard
#   make build-prod bin/switchboard without the embedded Temporal (serve, worker, migrate, bench)
#   make generate regenerate db/sqlc from db/queries with sqlc
#   make bench    build, then bin/switchboard bench $(BENCH_ARGS)
#   make lint     gofmt, go vet, go mod tidy check, staticcheck, workflowcheck
#
# Services: scripts/ensure-postgres.sh and scripts/ensure-nats.sh find, start
# or (as root) install PostgreSQL and nats-server, and print the URL to use.
# Point them elsewhere with DATABASE_URL (dev) / TEST_DATABASE_URL and
# TEST_NATS_URL (test); PGPORT changes the local PostgreSQL port.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
# Each recipe runs as one bash script (with the flags above), so variables
# set on one line are seen on the next, and any failing line stops it.
.ONESHELL:
.DEFAULT_GOAL := help

# A Go installed the usual way but not yet on PATH still works.
export PATH := $(PATH):/usr/local/go/bin

GO ?= go
# Extra flags for go test, e.g. make test TESTFLAGS='-run TestX -v'.
TESTFLAGS ?=
# Arguments after `switchboard dev`, e.g. make dev ARGS='--listen :9000'.
ARGS ?=
BENCH_ARGS ?=

.PHONY: help dev test build build-prod generate bench lint

help:
	@sed -n '2,8s/^#//p' $(firstword $(MAKEFILE_LIST))

dev:
	@db_url="$$(scripts/ensure-postgres.sh switchboard | tail -n 1)"
	echo "==> $(GO) run ./cmd/switchboard dev $(ARGS)"
	DATABASE_URL="$$db_url" exec $(GO) run ./cmd/switchboard dev $(ARGS)

test: lint
	@echo "==> services: PostgreSQL (database switchboard_test), NATS, Chromium (browser tests)"
	# The scripts' messages go to stderr; their stdout's last line is the URL.
	# TEST_DATABASE_URL / TEST_NATS_URL, when set, are used (and only checked).
	TEST_DATABASE_URL="$$(SWITCHBOARD_URL_VAR=TEST_DATABASE_URL DATABASE_URL="$${TEST_DATABASE_URL:-}" scripts/ensure-postgres.sh switchboard_test | tail -n 1)"
	TEST_NATS_URL="$$(SWITCHBOARD_URL_VAR=TEST_NATS_URL NATS_URL="$${TEST_NATS_URL:-}" scripts/ensure-nats.sh | tail -n 1)"
	CHROMIUM_PATH="$$(scripts/ensure-chromium.sh | tail -n 1)"
	export TEST_DATABASE_URL TEST_NATS_URL CHROMIUM_PATH
	echo "==> $(GO) tool sqlc diff"
	$(GO) tool sqlc diff || { echo "sqlc: db/sqlc is stale against db/queries or db/migrations: run 'make generate' and commit the result" >&2; exit 1; }
	echo "==> $(GO) test -race -count=1 -timeout 20m $(TESTFLAGS) ./..."
	$(GO) test -race -count=1 -timeout 20m $(TESTFLAGS) ./...

build:
	$(GO) build -o bin/switchboard ./cmd/switchboard

# The production build leaves out the embedded Temporal server (`dev`):
# a quarter of the size, and serve idles at ~36 MiB instead of ~97 MiB.
build-prod:
	$(GO) build -tags nodev -trimpath -ldflags '-s -w' -o bin/switchboard ./cmd/switchboard

generate:
	$(GO) tool sqlc generate

bench: build
	bin/switchboard bench $(BENCH_ARGS)

# The linters are pinned in tools/go.mod, a module of their own, so their
# dependencies never enter the product's go.mod.
TOOL := $(GO) tool -modfile=tools/go.mod

lint:
	@echo "==> gofmt -l ."
	unformatted="$$(gofmt -l .)"
	if [ -n "$$unformatted" ]; then
		echo "gofmt: these files need formatting (run: gofmt -w .):" >&2
		echo "$$unformatted" >&2
		exit 1
	fi
	echo "==> $(GO) vet ./... (and -tags nodev ./cmd/..., the production build)"
	$(GO) vet ./...
	$(GO) vet -tags nodev ./cmd/...
	echo "==> go mod tidy -diff (go.mod and tools/go.mod)"
	$(GO) mod tidy -diff || { echo "go.mod is not tidy: run 'go mod tidy' and commit" >&2; exit 1; }
	(cd tools && $(GO) mod tidy -diff) || { echo "tools/go.mod is not tidy: run 'cd tools && go mod tidy' and commit" >&2; exit 1; }
	echo "==> staticcheck ./..."
	$(TOOL) staticcheck ./...
	$(TOOL) staticcheck -tags nodev ./cmd/...
	echo "==> workflowcheck ./workflows/... (workflow code stays deterministic)"
	$(TOOL) workflowcheck ./workflows/...
	echo "lint: ok"
