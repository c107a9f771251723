# trialsync: `make run` and `make test` do all the set-up on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
BIN := bin/trialsync
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: run build test test-go vet bench bench-audit bench-odm bench-pull fuzz-odm deps-run deps-test clean

build: deps-run
	go build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/trialsync

deps-run:
	@.ci/deps run

deps-test:
	@.ci/deps test

# The GUI when a display is present, headless status otherwise.
run: build
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then ./$(BIN); else ./$(BIN) status; fi

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...

test: deps-test vet fuzz-odm
	go build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/trialsync
	.ci/with-session go test -race -timeout 25m -count=1 ./...

bench: bench-audit bench-odm bench-pull

bench-audit: deps-run
	GOMAXPROCS=1 go test -run '^$$' -bench 'AuditAppend' -benchmem ./store/
	GOMAXPROCS=1 go test -run '^$$' -bench 'AuditVerify1M' -benchtime 3x -benchmem ./store/

# The ODM tokenizer and reader under the fuzzer, 40 s each; the seed corpus is sync/odm/testdata/fuzz.
# Every input the fuzzer keeps is shrunk for at most 2000 runs: by default it may take a minute, showing
# 0 execs/s (shrinking a 2 KB input derived from a seed takes about two million runs). The test binary
# is stopped after 90 s whatever happens.
FUZZ_ODM := -fuzztime 40s -fuzzminimizetime 2000x -timeout 90s
fuzz-odm:
	go test -run '^$$' -fuzz '^FuzzTokenizer$$' $(FUZZ_ODM) ./sync/odm/
	go test -run '^$$' -fuzz '^FuzzReader$$' $(FUZZ_ODM) ./sync/odm/

# ODM reader: micro-benchmarks (0 allocs per token), the same built with GOEXPERIMENT=simd (an
# experiment the product build does not use), then a 512 MiB synthetic export read by the Go reader
# and by lxml.iterparse + clear(), building rows and parsing only, three runs each in turns
# (ODM_BENCH_SIZE=2GiB for the memory figure).
ODM_BENCH_SIZE ?= 512MiB
bench-odm: deps-test
	go build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/trialsync
	GOMAXPROCS=1 go test -run '^$$' -bench 'Tokenizer|Reader|Check' -benchtime 20x -benchmem ./sync/odm/
	GOEXPERIMENT=simd GOMAXPROCS=1 go test -run '^$$' -bench 'Tokenizer|Reader|Check' -benchtime 20x -benchmem ./sync/odm/
	./$(BIN) odm bench --size $(ODM_BENCH_SIZE)

# End-to-end pull of a ~2 GiB dataset from the simulator (separate process) into bbolt: rows/s, peak RSS.
bench-pull: build
	@command -v /usr/bin/time >/dev/null || { sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; $$sudo apt-get install -y -qq time >/dev/null; }
	go test -run '^$$' -bench PullDataset -benchtime 3x ./sync/ravepull/
	.ci/with-session .ci/bench-pull

clean:
	rm -rf bin
