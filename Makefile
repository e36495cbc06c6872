# scenarium's dev loop. Every target creates .venv and installs what it needs.
SHELL := /bin/bash
# The dev requirements (polars, pandas, numpy... pinned) need CPython >= 3.11: the first
# interpreter on PATH that is one, unless PYTHON says which.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; \
	done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.deps-installed
export CARGO_TERM_COLOR := never
export NO_MKDOCS_2_WARNING := 1
# The same build folder as .ci/run: any other one starts a cold build (11 minutes or more).
export CARGO_TARGET_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/scenarium-ci/target

.DEFAULT_GOAL := help

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "make needs CPython >= 3.11 for the pinned dev requirements (python3 here is $$(python3 --version 2>&1)); install one, or run: make PYTHON=/path/to/python3.11 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

.PHONY: help  ## show the targets
help:
	@grep -E '^\.PHONY: [a-z-]+  ## ' Makefile | sed -E 's/^\.PHONY: ([a-z-]+)  ## (.*)/  make \1\t\2/'

.PHONY: dev  ## build the extension (debug, deps optimised) into .venv, editable
dev: $(STAMP)
	rm -f python/scenarium/_core*.so
	@test -d "$${CARGO_TARGET_DIR:-target}/debug" || echo "First build: cargo compiles polars and the other dependencies (about 11 minutes on 2 cores, measured on a fresh clone on 2026-12-06; longer while other work shares the cores; 4 GB of disk); later builds take seconds."
	time (VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/maturin develop 2>&1 | grep --line-buffered -v -e '^\s*$$' -e '^\s*Fresh ' || true)
	@test -n "$$(ls python/scenarium/_core*.so 2>/dev/null)" || { echo "maturin develop failed"; exit 1; }

.PHONY: demo  ## build, make sample data if missing, run the article's four submits with timings
demo: dev
	@test -f data/SMALL_customers_data.csv || $(BIN)/python -m scenarium.datagen --rows 10000 --seed 42 --out data/SMALL_customers_data.csv
	$(BIN)/python examples/article_demo.py --data data/SMALL_customers_data.csv

.PHONY: test  ## build, run the linters (make lint), cargo test, the strict docs build (make docs), pytest
test: lint
	cargo test --no-run --message-format=json | $(BIN)/python tools/only_own_crate.py
	time cargo test --quiet
	time $(BIN)/mkdocs build --strict --quiet
	time $(BIN)/python -m pytest -q

.PHONY: docs  ## build the documentation site into site/ (strict: a broken link or reference fails)
docs: dev
	time $(BIN)/mkdocs build --strict
	@echo "open site/index.html"

.PHONY: docs-check  ## make docs, then headless Chromium renders three pages to docs/screenshots/ and the page test runs
docs-check: docs
	@command -v chromium >/dev/null || { echo "installing Debian's chromium (apt-get)"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium; }
	$(BIN)/python tools/docs_screenshots.py
	$(BIN)/python -m pytest -q tests/test_docs.py -k "built_pages or api_page or notebook_benchmarks"

.PHONY: property-long  ## the code-identity property test at nightly size (5000 sequences, 12 steps)
property-long: dev
	SCN_PROPERTY_SEQUENCES=5000 SCN_PROPERTY_STEPS=12 $(BIN)/python -m pytest -q tests/test_code_property.py

.PHONY: identity-fuzz-long  ## the differential fuzzer of skipping at nightly size (5000 sequences, 500 notebook ones)
identity-fuzz-long: dev
	SCN_FUZZ_SEQUENCES=5000 SCN_FUZZ_NOTEBOOK=500 SCN_FUZZ_STEPS=6 $(BIN)/python -m pytest -q -s tests/test_identity_fuzz.py

.PHONY: fuzz-long  ## task 1's CSV reader against the reference on 100,000 generated files (CI runs 5,000)
fuzz-long: dev
	SCN_CSV_FUZZ_EXAMPLES=100000 $(BIN)/python -m pytest -q tests/test_csv_differential.py

.PHONY: lint  ## cargo fmt --check, clippy -D warnings, ruff, mypy, stubtest, import-linter (the Python layers)
lint: dev
	cargo fmt --check
	time cargo clippy --quiet --all-targets --features python -- -D warnings
	$(BIN)/ruff check python tests examples benches tools
	$(BIN)/ruff format --check python tests examples benches tools
	$(BIN)/mypy
	$(BIN)/python -m mypy.stubtest scenarium._core --allowlist stubtest-allowlist.txt
	$(BIN)/lint-imports

.PHONY: taipy-names  ## regenerate Taipy's public names (tests/taipy_compat/taipy_public_names.json) with TAIPY_PYTHON
TAIPY_PYTHON ?= /work/taipy-venv/bin/python
taipy-names:
	$(TAIPY_PYTHON) tools/taipy_public_names.py tests/taipy_compat/taipy_public_names.json
	@echo "tests/test_taipy_names.py now compares the package's table (_taipy_paths.py) with it; a new table: python3 tools/taipy_public_names.py --package-table tests/taipy_compat/taipy_public_names.json"

.PHONY: format  ## apply cargo fmt and ruff format
format: $(STAMP)
	cargo fmt
	$(BIN)/ruff format python tests examples benches tools
	$(BIN)/ruff check --fix python tests examples benches tools

.PHONY: wheel  ## release wheel into dist/ (Linux: manylinux2014, glibc >= 2.17, through zig)
wheel: $(STAMP)
	@echo "A release build: about 17 minutes on 2 cores the first time (16 min 36 s measured cold on 2026-12-06; benches/results/build.md), a minute after."
	if [ "$$(uname)" = Linux ]; then \
		$(BIN)/pip install --quiet ziglang==0.17.1 && \
		time $(BIN)/maturin build --release --zig --compatibility manylinux2014 --out dist; \
	else time $(BIN)/maturin build --release --out dist; fi

.PHONY: bench  ## release build, then the benchmarks (ROWS="1M 10M 30M" to choose sizes); results in benches/results/
bench: $(STAMP)
	rm -f python/scenarium/_core*.so
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/maturin develop --quiet --release 2>&1 | grep -v '^\s*$$' || true
	cd benches && ../$(BIN)/python bench_suite.py $(if $(ROWS),--rows $(ROWS),)
	cd benches && ../$(BIN)/python bench_skipping.py
	cd benches && ../$(BIN)/python bench_code_identity.py
	cd benches && ../$(BIN)/python bench_overhead.py
	cd benches && ../$(BIN)/python bench_recording.py
	cd benches && ../$(BIN)/python bench_native.py
	cd benches && ../$(BIN)/python bench_dask.py
	cd benches && ../$(BIN)/python bench_lazy.py

.PHONY: notebook  ## open notebooks/app.ipynb in Jupyter (installs jupyterlab into .venv)
notebook: dev
	$(BIN)/pip install --quiet jupyterlab
	cd notebooks && ../$(BIN)/jupyter lab app.ipynb

.PHONY: screenshot  ## run the notebook, export it to HTML, photograph it into docs/notebook.png
screenshot: dev
	bash docs/screenshot.sh

.PHONY: clean  ## remove build outputs and the venv
clean:
	cargo clean
	rm -rf $(VENV) dist python/scenarium/_core*.so .scenarium
