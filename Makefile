# Centuria: the commands a developer and CI run.
GO ?= go
# Packages whose tests run with the race detector (everything; the list is
# here so a slow package can be moved out consciously).
RACE_PKGS ?= ./...

.PHONY: test fmt-check vet unit bench bench-affected bench-run bench-gateway bench-outbox graph up demo

## test: format check, vet, and every test with the race detector (what CI runs)
test: fmt-check vet unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt: these files are not formatted:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 15m $(RACE_PKGS)

## bench: every side-by-side benchmark recorded in bench/RESULTS.md (about 30 minutes)
bench: bench-affected bench-run bench-gateway bench-outbox

## bench-affected: cent graph/affected vs go list (and Nx) on 100- and 1,000-app workspaces
bench-affected:
	$(GO) run ./bench/cmd/affectedbench -sizes small,large -rounds 5

## bench-run: cent run cold / cached / remote-hit vs Nx's cached run-many
bench-run:
	$(GO) run ./bench/cmd/runbench -preset small -rounds 5

## bench-gateway: wrk against the upstream, nginx and the gateway
bench-gateway:
	$(GO) run ./bench/gateway

## bench-outbox: the outbox relay vs Watermill's forwarder
bench-outbox:
	$(GO) run ./bench/outbox

## graph: the project graph of this repository
graph:
	$(GO) run ./tools/cent graph

## up: the whole platform on this machine (gateway + the four services); Ctrl-C stops it. Flags: make up ARGS="--logs DIR"
up:
	$(GO) run ./tools/devstack up $(ARGS)

## demo: three orders through the running platform (make up), with their final states and trace ids
demo:
	$(GO) run ./tools/devstack demo $(ARGS)
