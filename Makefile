# Two commands do all the set-up on a fresh machine (see README.md):
#   make run    create .venv with Python >= 3.12, install, simulate the default scenario
#   make test   create .venv with the development extras, run the checks (make lint), then the
#               test suite: exactly what `pytest` alone runs (pyproject.toml's addopts)
SHELL := /bin/bash
VENV ?= .venv
OUT ?= results/default
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3 \
	$$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	"$$p" -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1 \
	&& { command -v "$$p" || echo "$$p"; } && break; done)

CHROMIUM ?= /usr/bin/chromium

PORT ?= 8765
# Address the app listens on: 127.0.0.1 is this machine only; HOST=0.0.0.0 serves the classroom
# network (anyone who can reach this machine can use the app; it reads and writes no files).
HOST ?= 127.0.0.1

.PHONY: run test test-all lint bench clean browser app notebooks docs-notebooks calibrate

$(VENV)/.created:
	@test -n "$(PYTHON)" || { echo "error: no Python >= 3.12 found (install one, or pass PYTHON=...)" >&2; exit 2; }
	"$(PYTHON)" -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.created
	$(VENV)/bin/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.created
	$(VENV)/bin/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-app $(VENV)/.installed

$(VENV)/.installed-app: pyproject.toml $(VENV)/.created
	$(VENV)/bin/python -m pip install --quiet -e ".[app]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-classroom: pyproject.toml $(VENV)/.created
	$(VENV)/bin/python -m pip install --quiet -e ".[classroom]"
	touch $@ $(VENV)/.installed-app $(VENV)/.installed

run: $(VENV)/.installed
	$(VENV)/bin/symbiosis run baseline --out $(OUT) --overwrite

# The classroom: the browser app on http://$(HOST):$(PORT)/, and the notebooks in JupyterLab.
app: $(VENV)/.installed-app
	$(VENV)/bin/symbiosis app --host $(HOST) --port $(PORT)

notebooks: $(VENV)/.installed-classroom
	$(VENV)/bin/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# Rendered notebooks with their outputs (docs/notebooks/*.md), for readers who do not run them;
# tests/test_rendered_notebooks.py fails when a notebook changed since its rendering.
docs-notebooks: $(VENV)/.installed-classroom
	$(VENV)/bin/python docs/render_notebooks.py

# Debian's chromium for the browser tests (pytest -m browser): installed when missing if we are
# root; otherwise those tests skip and say why.
browser:
	@test -x "$(CHROMIUM)" || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	      >/dev/null || echo "warning: could not install chromium; browser tests will skip"; \
	  else echo "note: $(CHROMIUM) missing and not root: browser tests will skip"; fi; }

# The checks, in order, stopping at the first failure: layout, lint, types (all configured in
# pyproject.toml; .pre-commit-config.yaml runs the same three before each commit).
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# No -m here: the default set (everything but `slow`; browser tests skip and say why when
# chromium is missing) is pyproject.toml's, so `make test` and `pytest` run the same tests.
test: lint browser
	$(VENV)/bin/python -m pytest

test-all: lint browser
	$(VENV)/bin/python -m pytest -m ""

# The benchmarks (benchmarks/README.md): the per-run table of benchmarks/run.py (written to
# benchmarks/RESULTS.md), then every throughput target of the big experiments beside its
# measured value and the ratio (benchmarks/bench_engine.py). Fails if a target is missed.
bench: $(VENV)/.installed
	status=0; \
	$(VENV)/bin/python benchmarks/run.py --no-experiments || status=1; \
	$(VENV)/bin/python benchmarks/bench_engine.py || status=1; \
	exit $$status

# Regenerate the built-in scenario scenarios/calibrated.toml on the current model (ABC-SMC on
# scenarios/targets/kalundborg.toml, a modest budget; see README.md, Calibration).
CALIBRATION_OUT ?= results/calibrate-kalundborg
calibrate: $(VENV)/.installed
	$(VENV)/bin/symbiosis calibrate kalundborg --out $(CALIBRATION_OUT) --overwrite \
		--population 80 --generations 6 --max-simulations 3000 --workers 2 --seed 1
	cp $(CALIBRATION_OUT)/calibrated.toml scenarios/calibrated.toml

clean:
	rm -rf $(VENV) results .pytest_cache
