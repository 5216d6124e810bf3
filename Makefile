# Everyday verbs. The first target builds .venv from the project's own files, so that a
# fresh machine needs nothing but Python 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed

# DVC stage commands call `impact` and `jupyter-book`: put the project's environment first.
export PATH := $(BIN):$(PATH)
export VIRTUAL_ENV := $(abspath $(VENV))

.PHONY: all install repro test test-all lint format lab kernel serve status clean lock pdf-tools pdf browser-tools ssh-tools

all: repro  ## install, then run every stage (studies and book)

$(STAMP): pyproject.toml requirements.lock
	@# The locked environment needs CPython >= 3.11.5 (soupsieve 4.1, among others).
	@$(PYTHON) -c 'import sys; v = sys.version_info; ok = (3, 11, 5) <= v[:3] < (3, 12); \
	  sys.exit(0 if ok else f"$(PYTHON) is Python {sys.version.split()[0]} at {sys.executable}; " \
	  "the pinned environment needs Python 3.11.5 or newer 3.11: run make with PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the pinned environment

repro: install pdf-tools  ## dvc repro (impact repro: also on a clone without the confidential data)
	$(BIN)/impact repro

status: install  ## what dvc repro would rerun
	$(BIN)/dvc status

test: install browser-tools ssh-tools pdf-tools  ## the test suite (unit and pipeline tests, Monte Carlo marked slow excluded)
	$(BIN)/pytest

test-all: install ssh-tools pdf-tools  ## every test, the slow Monte Carlo runs included
	$(BIN)/pytest -m ""

# The book PDF's TeX (Debian/Ubuntu packages, about 195 MB, measured on the project machine)
# and poppler-utils (pdftoppm, pdftotext: the tests render the PDFs' pages). The two-page
# briefs need none of it: Typst comes from PyPI with the rest of .venv.
PDF_APT_PACKAGES := latexmk texlive-latex-recommended texlive-latex-extra \
  texlive-fonts-recommended texlive-xetex fonts-freefont-otf texlive-plain-generic poppler-utils
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

pdf-tools:  ## TeX for the book PDF, poppler-utils for the PDF tests (apt, if missing; sudo unless root)
	@if command -v dpkg-query >/dev/null 2>&1; then \
	  missing=$$(for p in $(PDF_APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	    | grep -q 'ok installed' || echo $$p; done); \
	else \
	  missing=$$(for c in xelatex latexmk pdftoppm pdftotext; do command -v $$c >/dev/null 2>&1 || echo $$c; done); \
	fi; \
	[ -z "$$missing" ] && exit 0; \
	missing=$$(echo $$missing); \
	command -v apt-get >/dev/null 2>&1 || { \
	  echo "make pdf-tools: missing $$missing. This target installs Debian/Ubuntu packages;"; \
	  echo "on another system install a TeX distribution with xelatex, latexmk, polyglossia,"; \
	  echo "fncychap, tabulary, the GNU FreeFont OTF fonts and poppler's utilities, i.e. the"; \
	  echo "equivalents of: $(PDF_APT_PACKAGES)"; exit 1; } >&2; \
	if [ -n "$(SUDO)" ] && ! command -v sudo >/dev/null 2>&1; then \
	  echo "make pdf-tools: not root and sudo not found; as root run:" >&2; \
	  echo "  apt-get update && apt-get install -y --no-install-recommends $$missing" >&2; \
	  exit 1; fi; \
	echo "make pdf-tools: installing $$missing"; \
	$(SUDO) apt-get update && \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing

browser-tools:  ## headless Chromium for the browser check of the book (apt; sudo unless root)
	@command -v chromium >/dev/null 2>&1 || { \
	  command -v apt-get >/dev/null 2>&1 || { \
	    echo "make browser-tools: install Chromium (Debian package chromium) or set IMPACT_BROWSER" >&2; \
	    exit 1; }; \
	  $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

ssh-tools:  ## OpenSSH's server for the test of the private DVC remote over SSH (apt; sudo unless root)
	@test -x /usr/sbin/sshd || { \
	  command -v apt-get >/dev/null 2>&1 || { \
	    echo "make ssh-tools: install OpenSSH's server (Debian package openssh-server, /usr/sbin/sshd)" >&2; \
	    exit 1; }; \
	  $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y openssh-server; }

pdf: install pdf-tools  ## book/pdf/: a two-page brief per study (Typst) and the book as one PDF (TeX)
	$(BIN)/dvc repro pdf

lint: install  ## ruff on the library, the tests and the notebooks' code
	$(BIN)/ruff check src tests
	$(BIN)/python tests/support/notebook_lint.py

format: install  ## ruff's fixes and formatting, the notebooks' code cells included
	$(BIN)/ruff check --fix src tests
	$(BIN)/ruff format src tests
	$(BIN)/python tests/support/notebook_lint.py --fix

kernel: install  ## register the environment as a Jupyter kernel for a JupyterLab outside .venv
	$(BIN)/python -m ipykernel install --user --name impact-tank --display-name "Python (impact-tank)"

# Notebooks are MyST Markdown: in this environment's JupyterLab a double click opens them as
# notebooks (jupytext's viewer), through the settings overrides of .venv (not the user's).
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

$(LAB_OVERRIDES): $(STAMP)
	mkdir -p $(dir $@)
	printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' > $@

lab: install $(LAB_OVERRIDES)  ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks/

serve:  ## read the built book at http://127.0.0.1:8000
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory book/_build/html 8000

lock:  ## re-resolve requirements.lock from pyproject.toml (then review the diff)
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet -e ".[dev]"
	{ sed -n '1,2p' requirements.lock; .lockenv/bin/pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lockenv

clean:  ## remove pipeline outputs (not the environment)
	rm -rf book/_build book/reports/*.ipynb data/raw results/*/figures
