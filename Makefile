# treatyverify: the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv pip install --python $(BIN)/python
DEMO_OUT ?= results/demo

.PHONY: demo test install install-test lint typecheck pytest bench bench-gamma clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv installs the packages: it fetches and unpacks them in parallel, a fresh install in
# about 10 s where pip takes 30 to 40 s. It lives in the virtual environment too.
$(BIN)/uv: | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

# System library: libsodium (ristretto255 for the zero-knowledge proofs), from Debian.
$(VENV)/.system-packages: | $(BIN)/python
	@if ! ldconfig -p | grep -q 'libsodium\.so'; then \
		apt-get update && apt-get install -y --no-install-recommends libsodium23; \
	fi
	touch $@

$(VENV)/.installed: pyproject.toml | $(BIN)/uv $(VENV)/.system-packages
	$(UV) --quiet -e .
	touch $@

# The dashboard's browser tests drive Debian's Chromium (Playwright downloads no browser).
$(VENV)/.test-system-packages: | $(BIN)/python
	@if [ ! -x /usr/bin/chromium ]; then \
		apt-get update && apt-get install -y --no-install-recommends chromium; \
	fi
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/uv $(VENV)/.system-packages $(VENV)/.test-system-packages
	$(UV) --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/treatyverify demo --out $(DEMO_OUT)

lint: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install-test
	$(BIN)/mypy

pytest: install-test
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: install-test
	$(BIN)/python benchmarks/ledger_rates.py

bench-gamma: install-test
	$(BIN)/python benchmarks/gamma_validation.py --simulator --out results/gamma_validation.json
	$(BIN)/python benchmarks/gamma_resolution.py --out results/gamma_resolution.json
	$(BIN)/python benchmarks/gamma_attributes.py --out results/gamma_attributes.json
	$(BIN)/python benchmarks/template_hoaxes.py --out results/template_hoaxes.json
	$(BIN)/python benchmarks/gamma_threshold.py --out results/gamma_threshold.json

clean:
	rm -rf $(VENV) results .mypy_cache .pytest_cache .ruff_cache
