# Two commands do all the set-up on a fresh machine:
#   make demo   -- create .venv if needed, install, run the main job
#   make test   -- create .venv if needed, install with test extras, run the suite
#   make docs   -- build the documentation site into docs/_build/html
# Torch is installed first, pinned to the CPU build that sits on this machine's disk
# (torch==2.13.0), so that resolving the package never pulls a multi-GB CUDA build.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_SPEC ?= torch==2.13.0

.PHONY: demo test docs install install-test install-docs lint bench mutate clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Only installs torch when the venv has none: an existing torch (e.g. a CUDA build) is kept.
$(VENV)/.torch: | $(PY)
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install --quiet "$(TORCH_SPEC)"
	touch $@

install: $(VENV)/.torch
	$(PIP) install --quiet -e ".[plot]"

install-test: $(VENV)/.torch
	$(PIP) install --quiet -e ".[test,plot]"

install-docs: $(VENV)/.torch
	$(PIP) install --quiet -e ".[docs]"

demo: install
	$(VENV)/bin/sk-prnet demo

test: install-test
	$(PY) -m pytest -q -p no:cacheprovider tests

# The HTML site, with the example gallery executed; any warning fails the build.
docs: install-docs
	rm -rf docs/_build docs/generated docs/auto_examples
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "docs/_build/html/index.html"

lint: install-test
	$(PIP) install --quiet ruff
	$(VENV)/bin/ruff check sk_prnet tests examples benchmarks

bench: install-test
	$(PIP) install --quiet -e ".[bench]"
	$(PY) benchmarks/bench_fit.py

# Mutation testing (docs/testing.md): mutmut per module group, each mutant tested only by the
# group's test files. `make mutate GROUPS="ordinal metrics"` runs some groups; JOBS sets the
# mutants tested in parallel. Re-runs only re-test what changed (state in build/mutate/).
GROUPS ?=
JOBS ?= 2
mutate: install-test
	$(PIP) install --quiet "mutmut>=3.8,<4"
	$(PY) tools/mutate.py --jobs $(JOBS) $(GROUPS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache docs/_build docs/generated docs/auto_examples
