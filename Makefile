# Set-up is part of every target: each creates .venv/ when missing and
# installs into it, and does nothing more when it is already there.
VENV := .venv
PY := $(VENV)/bin/python
TORCH_VERSION ?= 2.13.0
STAMP := $(VENV)/.aclnet-installed

.PHONY: demo test install

install: $(STAMP)

$(PY):
	python3 -m venv $(VENV)

$(STAMP): setup.py constraints.txt | $(PY)
	# torch first and pinned: a bare `pip install torch` pulls GBs of CUDA.
	$(PY) -c 'import torch' 2>/dev/null || $(PY) -m pip install -q torch==$(TORCH_VERSION)
	$(PY) -m pip install -q 'setuptools<81' wheel
	# the rest pinned to what pip resolves (no resolver backtracking)
	$(PY) -m pip install -q --no-build-isolation -c constraints.txt -e '.[tests]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) tools/demo.py

# On every core (pytest-xdist; a worker that runs out of tests takes queued
# ones from the others).
test: $(STAMP)
	$(PY) -m pytest tests -n auto --dist worksteal
