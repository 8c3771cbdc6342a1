# make book | test | lab | notebooks | assets | clean   (see intro.md)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# One stamp per extra of pyproject.toml: each target installs only what it needs.
INSTALLED := $(VENV)/.installed
ASSETS := book_assets
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# The checks of the built site: conftest.py leaves them out unless BOOK_HTML is set.
# tests/browser loads every page in headless Chromium (the system's, see `chromium`).
OFFLINE_TEST := tests/test_book_offline.py
BROWSER_TEST := tests/browser
SUDO := $(if $(filter 0,$(shell id -u)),,$(shell command -v sudo))
BUILD_BOOK := $(BIN)/jupyter-book build -W -n --keep-going
# One BLAS thread per process: tests run as two processes on two cores, and
# oversubscribed BLAS threads made the notebooks' small products 5x slower.
# The same kernels on every x86-64 machine: OpenBLAS and NumPy otherwise pick
# their code by CPU (AVX-512 or not, Intel or AMD), and float32 sums that differ
# in the last bit changed the stored outputs of trained models.
DETERMINISTIC := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    OPENBLAS_CORETYPE=Haswell NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"

.PHONY: assets book test lab notebooks clean chromium
.PRECIOUS: $(INSTALLED)-%

$(INSTALLED)-%: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$*]"
	touch $@

assets: $(ASSETS)/.fetched

$(ASSETS)/.fetched: tools/fetch_web_assets.sh
	bash tools/fetch_web_assets.sh $(ASSETS)
	touch $@

# Sphinx copies static files only when it writes pages: new assets need a fresh site.
_build/.assets: $(ASSETS)/.fetched $(wildcard book_static/*)
	rm -rf _build/html
	mkdir -p _build && touch $@

book: $(INSTALLED)-book _build/.assets
	$(BUILD_BOOK) .

# Unit tests, doctests and every notebook under nbval; then a full strict build (--all:
# warnings of unchanged pages count too), the check that the site is offline and its
# pages as a browser shows them.
test: $(INSTALLED)-test _build/.assets chromium
	$(DETERMINISTIC) $(BIN)/pytest -n 2 --dist loadfile $(NBVAL) tests nnlib chapters
	$(BUILD_BOOK) --all .
	BOOK_HTML=_build/html $(BIN)/pytest $(OFFLINE_TEST) $(BROWSER_TEST)

# The browser tests drive the system's Chromium (playwright downloads none): install
# it with the package manager when it is missing.
chromium:
	command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	    $(SUDO) sh -c 'apt-get update && apt-get install -y chromium'

lab: $(INSTALLED)-lab
	$(BIN)/jupyter lab --notebook-dir=chapters $(if $(filter 0,$(shell id -u)),--allow-root)

# Re-run every chapter, storing outputs and widget state (shown as the static first
# view), then make the result reproducible: stable widget ids, no timestamps, and a
# strict nbval pass proving a second run gives the same outputs.
notebooks: $(INSTALLED)-test
	$(DETERMINISTIC) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.store_widget_state=True \
	    --ExecutePreprocessor.record_timing=False --ExecutePreprocessor.timeout=600 chapters/*.ipynb
	$(BIN)/python tools/normalize_notebooks.py chapters/*.ipynb
	$(DETERMINISTIC) $(BIN)/pytest -n 2 --dist loadfile $(NBVAL) chapters

clean:
	rm -rf _build $(ASSETS) .pytest_cache .jupyter_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
