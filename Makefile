# Two entry points (see README): `make run` and `make test`. Each sets itself up.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SCENARIO ?= baseline
OUT ?= out/$(SCENARIO)
ARGS ?=

.PHONY: run test setup browser lint bench fuzz fuzz-cli clean

$(VENV)/.installed: pyproject.toml
	@bash scripts/setup-venv.sh $(VENV)
	@touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) run.py run $(SCENARIO) --out $(OUT) $(ARGS)

# Chromium (Debian's) is needed by the browser tests; installed when we can (root).
browser:
	@bash scripts/ensure-chromium.sh

test: setup browser
	$(PY) -m pytest -q $(ARGS)

# the fuzzing suite's long profile (50x the cases CI runs)
fuzz: setup
	HYPOTHESIS_PROFILE=long $(PY) -m pytest -q tests/fuzz $(ARGS)

# the CLI fuzzing campaign: 10,000 generated and mutated inputs through run.py (see the script)
fuzz-cli: setup
	$(PY) scripts/fuzz_cli.py --cases 10000 --seed 1 --jobs 6 --subprocess-every 200 $(ARGS)

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: setup
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) out
