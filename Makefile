# trialsync: `make run` and `make test` do all the set-up on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
BIN := bin/trialsync
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: run build test test-go vet bench bench-audit bench-odm bench-pull bench-send bench-reconcile bench-gui fuzz-odm deps-run deps-test clean package

build: deps-run
	go build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/trialsync

deps-run:
	@.ci/deps run

deps-test:
	@.ci/deps test

# The demo: simulators on this computer, a temporary store; the window when a display is present,
# the same flows headless in the terminal otherwise (with the OS keyring when one runs, else in memory).
run: build
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then ./$(BIN) demo; else ./$(BIN) demo --headless; fi

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...

# The bundle is built first (with bin/trialsync) so that assets' bundle test can unpack and check it.
test: deps-test vet fuzz-odm
	$(MAKE) --no-print-directory package XZ_OPT=-1
	TRIALSYNC_BUNDLE="$(CURDIR)/$(BUNDLE)" TRIALSYNC_BUNDLE_VERSION="$(VERSION)" TRIALSYNC_BUNDLE_COMMIT="$(COMMIT)" \
		TRIALSYNC_SCREENSHOTS="$(CURDIR)/bin/screenshots" \
		.ci/with-session go test -race -timeout 25m -count=1 ./...

bench: bench-audit bench-odm bench-pull bench-send bench-reconcile

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

# End-to-end Rave pull, one table: audit-records feeds of 500,000 and 5,000,000 records (subjects
# interleaved) and regular datasets of 500,000 rows and about 2 GiB, each generated on demand by the
# simulator in its own process; the smaller ones also pulled by an lxml + SQLite script in the same run.
bench-pull: deps-test
	go build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/trialsync
	@command -v /usr/bin/time >/dev/null || { sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; $$sudo apt-get install -y -qq time >/dev/null; }
	.ci/with-session .ci/bench-pull

# The desktop bundle for this machine's system, made by the fyne tool from FyneApp.toml, the icon in
# assets/ and bin/trialsync built here with LDFLAGS (so it reports the same version and commit): on
# Linux and the BSDs bin/trialsync.tar.xz (.desktop file, icon, binary, and a Makefile to install
# them), on macOS bin/trialsync.app. Windows builds its .exe with the command in the README. The tool
# is installed into bin/tools, never into go.mod: it needs a newer Fyne than the app's. `fyne package`
# counts Build up in FyneApp.toml on every run; the file is put back so that the tree stays clean.
# XZ_OPT is handed to xz (make test uses -1: a few percent larger, a quarter of the CPU).
# The Debian set-up (deps-run) runs on Linux only, so that a Mac with Go and Xcode's tools can package.
FYNE_TOOL_VERSION := v1.7.4
FYNE := bin/tools/fyne-$(FYNE_TOOL_VERSION)/fyne
BUNDLE := bin/trialsync.tar.xz
XZ_OPT ?=

package: $(if $(filter Linux,$(shell uname -s)),deps-run) $(FYNE)
	go build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/trialsync
	@goos=$$(go env GOOS); if [ "$$goos" = windows ]; then \
		echo "make package: on Windows, build the .exe as the README's Packaging section shows" >&2; exit 2; fi; \
	rm -rf $(BUNDLE) bin/trialsync.app bin/tmp-pkg; \
	cp FyneApp.toml bin/FyneApp.toml.keep; \
	(cd bin && XZ_OPT="$(XZ_OPT)" "$(CURDIR)/$(FYNE)" package --os "$$goos" --src "$(CURDIR)" --exe "$(CURDIR)/$(BIN)"); \
	rc=$$?; cp bin/FyneApp.toml.keep FyneApp.toml; rm -f bin/FyneApp.toml.keep; \
	[ $$rc -eq 0 ] && ls -d bin/trialsync.tar.* bin/trialsync.app 2>/dev/null; exit $$rc

$(FYNE):
	GOBIN="$(CURDIR)/$(dir $(FYNE))" go install fyne.io/tools/cmd/fyne@$(FYNE_TOOL_VERSION)

# End-to-end send: 10,000 dose records imported and delivered, one POST each, to the simulator in its own
# process: records/s, messages/s and peak RSS (RECORDS=N for another count).
bench-send: build
	@command -v /usr/bin/time >/dev/null || { sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; $$sudo apt-get install -y -qq time >/dev/null; }
	GOMAXPROCS=2 go test -run '^$$' -bench Deliver -benchtime 5000x ./sync/exposure/
	.ci/with-session .ci/bench-send

# Checklist reconciliation of 100,000 items per side, the EDC and CTMS simulators in processes of their
# own, in sync but 1 %: wall time, CPU and peak RSS of a first run (initial alignment) and of a second
# run with no changes.
bench-reconcile: build
	@command -v /usr/bin/time >/dev/null || { sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; $$sudo apt-get install -y -qq time >/dev/null; }
	GOMAXPROCS=1 go test -run '^$$' -bench Plan100k -benchmem ./sync/checklist/
	.ci/with-session .ci/bench-reconcile

# The window's responsiveness (how late its UI goroutine runs work) idle and while it pulls ~2 GiB.
bench-gui: build deps-test
	.ci/with-session .ci/bench-gui

clean:
	rm -rf bin
