# Likewise: the two commands a newcomer runs are `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# The CPU build of torch. GPU users: see README ("GPU").
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1

FAST_MODELS ?= build/fast-models

.PHONY: fast-model run cli test lint soak bench bench-encode bench-index bench-search bench-train bench-dupes bench-watch bench-gui screenshots package clean venv

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX),) "$(TORCH)"
	$(PIP) install -q -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/likewise-gui

cli: $(STAMP)
	$(VENV)/bin/likewise --help

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider tests

lint: $(STAMP)
	$(VENV)/bin/ruff check app core tests bench

bench: bench-encode bench-index bench-search bench-train bench-dupes bench-watch bench-gui

# The bundled model's int8 export (ONNX Runtime), gated against fp32; packaging copies
# $(FAST_MODELS) into the bundle as fast-models/. Without it the export is made on first use.
fast-model: $(STAMP)
	$(PY) -m core.encoder.export "$$($(PY) -c 'from core.paths import default_model_path; print(default_model_path())')" $(FAST_MODELS)

bench-encode: $(STAMP)
	$(PY) bench/bench_encode.py

bench-index: $(STAMP)
	$(PY) bench/bench_index.py

bench-search: $(STAMP)
	$(PY) bench/bench_search.py

bench-train: $(STAMP)
	$(PY) bench/bench_train.py

bench-dupes: $(STAMP)
	$(PY) bench/bench_dupes.py

bench-watch: $(STAMP)
	$(PY) bench/bench_watch.py

# Not part of `make test`: SIGKILL at 20 moments over every phase, then resume and compare.
soak: $(STAMP)
	$(PY) bench/soak_kill.py

bench-gui: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) bench/bench_gui.py

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m app.gui.screenshots docs/screenshots

package: $(STAMP)
	$(PIP) install -q -e ".[package]"
	$(VENV)/bin/pyinstaller --noconfirm --clean packaging/likewise.spec

clean:
	rm -rf $(VENV) build dist
