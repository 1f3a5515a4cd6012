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

.PHONY: fast-model run cli test test-fast test-tools lint soak bench bench-ocr bench-encode bench-index bench-cluster bench-search bench-train bench-dupes bench-paragraphs bench-watch bench-rescan bench-gui bench-archive screenshots package package-test package-tools cluster-extra bundle build-env icons clean venv

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

test: $(STAMP) test-tools
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider tests

# The quick loop while working: no window, no real model, no int8 export, no shared corpus.
test-fast: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -m "not gui and not slow" tests

# The programs that read Word/PowerPoint 97-2003 files (GPL, never bundled): installed when
# missing so that tests/core/extract/test_old_office.py checks both halves; without them that half is skipped.
TEST_TOOLS := antiword:antiword catdoc:catdoc
test-tools:
	@missing=""; for t in $(TEST_TOOLS); do command -v $${t%%:*} >/dev/null || missing="$$missing $${t#*:}"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing:$$missing"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null \
			|| echo "test: could not install$$missing: the tests that need them are skipped"; \
	else echo "test: cannot install$$missing (not root, or no apt-get): the tests that need them are skipped"; fi

lint: $(STAMP)
	$(VENV)/bin/ruff check app core tests bench

bench: bench-encode bench-index bench-search bench-train bench-dupes bench-watch bench-gui

# The bundled model's int8 export (ONNX Runtime), gated against fp32; packaging copies
# $(FAST_MODELS) into the bundle as fast-models/. Without it the export is made on first use.
fast-model: $(STAMP)
	$(PY) -m core.encoder.precision "$$($(PY) -c 'from core.paths import default_model_path; print(default_model_path())')" $(FAST_MODELS)

bench-encode: $(STAMP)
	$(PY) bench/bench_encode.py

bench-index: $(STAMP)
	$(PY) bench/bench_index.py
	$(PY) bench/bench_sheets.py
	$(PY) bench/bench_mail.py

# Needs the cluster extra: $(PIP) install -e ".[cluster]"
bench-cluster: $(STAMP)
	$(PY) bench/bench_cluster.py

bench-search: $(STAMP)
	$(PY) bench/bench_search.py

bench-train: $(STAMP)
	$(PY) bench/bench_train.py

bench-dupes: $(STAMP)
	$(PY) bench/bench_dupes.py

bench-paragraphs: $(STAMP)
	$(PY) bench/bench_paragraphs.py $(ARGS)

bench-ocr: $(STAMP)
	$(PY) bench/bench_ocr.py
	$(PY) bench/bench_ocr_imageops.py

bench-watch: $(STAMP)
	$(PY) bench/bench_watch.py

# A rescan of 50,000 unchanged tiny files, then of 1 % changed (ARGS="--files N --changed PCT").
bench-rescan: $(STAMP)
	$(PY) bench/bench_rescan.py $(ARGS)

# Not part of `make test`: SIGKILL at 20 moments over every phase, then resume and compare.
soak: $(STAMP)
	$(PY) bench/soak_kill.py

bench-gui: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) bench/bench_gui.py

# Not part of `make test` (issue 27): a generated archive of 5,000 files and a library of
# 1,000,000 passages; ARGS="--files 50000", "--skip-million", "--passages 200000" ...
bench-archive: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) bench/bench_archive.py $(ARGS)

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m app.gui.screenshots docs/screenshots

# -- packaging (packaging/README.md) -------------------------------------------------
# The bundle is built from its own environment with only the runtime dependencies and
# PyInstaller: the dev extras (sentence-transformers, pytest; scipy and scikit-learn
# through them) never reach it.
BUILD_VENV ?= build/venv
BUILD_PY := $(BUILD_VENV)/bin/python
BUILD_STAMP := $(BUILD_VENV)/.installed
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' core/__init__.py)
UNAME := $(shell uname -s)

$(BUILD_STAMP): pyproject.toml packaging/runtime_requirements.py
	rm -rf $(BUILD_VENV)
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_PY) -m pip install -q --upgrade pip
	$(BUILD_PY) -m pip install -q $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX),) "$(TORCH)"
	$(BUILD_PY) packaging/runtime_requirements.py > $(BUILD_VENV)/requirements.txt
	$(BUILD_PY) -m pip install -q -r $(BUILD_VENV)/requirements.txt
	# OCR (rapidocr) asks for opencv-python: the whole OpenCV with its own Qt 5, ffmpeg and
	# a second OpenBLAS (287 MB in the bundle), which Likewise never calls
	# (core/extract/imageops.py). rapidocr comes without its dependencies; the ones it uses
	# are in the list above.
	$(BUILD_PY) packaging/runtime_requirements.py --no-deps > $(BUILD_VENV)/requirements-no-deps.txt
	$(BUILD_PY) -m pip install -q --no-deps -r $(BUILD_VENV)/requirements-no-deps.txt
	$(BUILD_PY) -c 'import importlib.util, sys; sys.exit("OpenCV is in the build environment" if importlib.util.find_spec("cv2") else 0)'
	touch $@

build-env: $(BUILD_STAMP)

# dist/likewise/ (two programs, one folder); on macOS also dist/Likewise.app.
# The bundled model's int8 export is made first (exported from its safetensors weights
# and gated against fp32 here, never on the user's machine); the spec carries it.
bundle: $(BUILD_STAMP)
	rm -rf build/fast-models
	$(BUILD_PY) -m core.encoder.precision "$$($(BUILD_PY) -c 'from core.paths import default_model_path; print(default_model_path())')" build/fast-models
	$(BUILD_PY) -m PyInstaller --noconfirm --clean --log-level WARN \
		--workpath build/pyinstaller --distpath dist packaging/likewise.spec
	@du -sh dist/likewise | sed 's/^/bundle: /'

# Linux: also the .tar.xz and the .deb, and the training add-on (torch, which the base
# leaves out: dist/likewise-training-addon-VERSION-linux-ARCH.tar.xz, packaging/make_addon.py,
# copied from the build environment's own installed distributions).
# (Windows: packaging/windows/likewise.nsi; macOS: packaging/macos/make_dmg.sh; both run by
# .github/workflows/package.yml.)
package: bundle
ifeq ($(UNAME),Linux)
	bash packaging/linux/make_tarball.sh $(VERSION)
	bash packaging/linux/make_deb.sh $(VERSION)
endif
	$(BUILD_PY) packaging/make_addon.py dist/likewise dist

# The tools package-test and the tests of CI's own checks use (makensis, desktop-file-validate,
# a C compiler for tests/packaging/test_xcb_check.py), installed when missing (CI runs as root on a fresh
# machine). Under CI a tool still missing fails here: its checks would fail anyway
# (tests/skip_policy.py), and a person's machine only skips them.
PACKAGE_TOOLS := strace:strace objdump:binutils dpkg-deb:dpkg makensis:nsis desktop-file-validate:desktop-file-utils cc:gcc ldd:libc-bin
package-tools:
	@missing=""; for t in $(PACKAGE_TOOLS); do command -v $${t%%:*} >/dev/null || missing="$$missing $${t#*:}"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing:$$missing"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null \
			|| echo "package-tools: could not install$$missing"; \
	else echo "package-tools: cannot install$$missing (not root, or no apt-get)"; fi; \
	still=""; for t in $(PACKAGE_TOOLS); do command -v $${t%%:*} >/dev/null || still="$$still $${t%%:*}"; done; \
	if [ -n "$$still" ]; then \
		if [ -n "$$CI" ]; then echo "package-tools: missing on CI:$$still (CI runs every check)"; exit 1; fi; \
		echo "package-tools: missing:$$still: the checks that need them are skipped"; fi

# The cluster extra (Ray), so that tests/core/cluster/test_cluster_ray.py runs (CI installs it: .ci/run).
CLUSTER_STAMP := $(VENV)/.cluster-installed
$(CLUSTER_STAMP): pyproject.toml | $(STAMP)
	$(PIP) install -q -e ".[dev,cluster]"
	touch $@

cluster-extra: $(CLUSTER_STAMP)

# Build, then install and use the download as a new user would (packaging/package_test.sh),
# and compile the Windows installer with makensis (tests/packaging/test_packaging.py).
package-test: package-tools package $(STAMP)
	bash packaging/package_test.sh $(VERSION)
	$(PY) -m pytest -q -p no:cacheprovider tests/packaging/test_packaging.py

icons: $(STAMP)
	$(PY) packaging/make_icons.py

clean:
	rm -rf $(VENV) build dist
