# Centuria: the commands a developer and CI run.
GO ?= go
# Packages whose tests run with the race detector (everything; the list is
# here so a slow package can be moved out consciously).
RACE_PKGS ?= ./...

.PHONY: test fmt-check vet unit bench graph up

## test: format check, vet, and every test with the race detector (what CI runs)
test: fmt-check vet unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt: these files are not formatted:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 15m $(RACE_PKGS)

## bench: the side-by-side benchmarks recorded in bench/RESULTS.md
bench:
	$(GO) run ./bench/cmd/affectedbench

## graph: the project graph of this repository
graph:
	$(GO) run ./tools/cent graph
