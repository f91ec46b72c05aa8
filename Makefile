# The two commands: `make run` (set up, fetch and ingest the corpus, open the web page) and `make test`.
# Both install into the project venv (.venv) first, pinned by constraints.txt (what CI tested);
# a stamp file skips the pip steps when nothing changed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
CONSTRAINTS := constraints.txt
EXTRAS := local,openai,ui,mcp,llamaindex,eval,test,bench
# The browser tests drive Debian's chromium; Playwright's own browser download is never used.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
# The development mirror of the corpus, when the checkout has one beside it (`rag up` downloads otherwise).
MIRROR := $(abspath $(wildcard ../shared/corpus))

# llama.cpp for every x86-64 CPU with AVX2 (Intel 2013+, AMD 2015+), not for the CPU that builds
# it: pip's default (-march=native) put AVX-512 and AMX code in the wheel, which dies with SIGILL
# on other machines and, here, on a Xeon whose AMX faults. The README ("Local model build") has
# the figures behind this choice. Keep in step with PORTABLE_CMAKE_ARGS in rag/doctor.py.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
LLAMA_VERSION := $(shell sed -n 's/^llama[-_]cpp[-_]python==//p' $(CONSTRAINTS))
# The wheel is built once per version and options and kept here. Not pip's wheel cache: its key
# ignores CMAKE_ARGS, so a wheel an earlier plain `pip install` built natively would come back.
LLAMA_KEY := $(shell printf '%s|%s' '$(LLAMA_VERSION)' '$(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)
WHEELS := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/rag/wheels/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_KEY)
# Other LLAMA_CMAKE_ARGS (`make install LLAMA_CMAKE_ARGS=...`, as `rag doctor` may advise): another stamp.
STAMP := $(VENV)/.install-$(LLAMA_KEY).stamp

.PHONY: install run test bench lock

install: $(STAMP)

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(CONSTRAINTS) Makefile | $(PY)
	$(PIP) install --quiet -c $(CONSTRAINTS) pip setuptools
	# The CPU build of torch first: an unpinned torch pulls a multi-GB CUDA build.
	$(PIP) install --quiet -c $(CONSTRAINTS) torch
	# llama-cpp-python compiles from source; its build tools are pinned too (no build isolation).
	$(PIP) install --quiet -c $(CONSTRAINTS) scikit-build-core cmake ninja
	@if ! ls $(WHEELS)/*.whl >/dev/null 2>&1; then \
	  echo "building llama-cpp-python $(LLAMA_VERSION) with $(LLAMA_CMAKE_ARGS) (once, ~6 min on 2 cores)"; \
	  PATH="$(abspath $(VENV))/bin:$$PATH" CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel --quiet --no-deps \
	    --no-build-isolation --no-cache-dir --no-binary llama-cpp-python "llama-cpp-python==$(LLAMA_VERSION)" \
	    -w $(WHEELS).part && mv $(WHEELS).part $(WHEELS); \
	fi
	$(PIP) install --quiet --force-reinstall --no-deps $(WHEELS)/*.whl
	# No build isolation: it would fetch the newest setuptools, unpinned.
	$(PIP) install --quiet -c $(CONSTRAINTS) --no-build-isolation -e ".[$(EXTRAS)]"
	echo "$(LLAMA_CMAKE_ARGS)" > $(VENV)/llama-cpp-build.txt
	touch $@

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

# `rag up` exits 3 when some corpus files failed (they are listed); the rest is served.
run: install
	$(if $(MIRROR),RAG_CORPUS_MIRROR=$(MIRROR)) $(VENV)/bin/rag up || [ $$? -eq 3 ]
	$(VENV)/bin/rag serve

# `rag doctor` first: a llama.cpp the CPU cannot run stops here, with the reason, not mid-suite.
test: install $(CHROMIUM)
	HF_HUB_OFFLINE=1 $(VENV)/bin/rag doctor
	$(PY) -m pytest

bench: install
	$(if $(MIRROR),RAG_CORPUS_MIRROR=$(MIRROR)) $(PY) evals/bench_ingest.py
	$(PY) evals/bench_query.py

# Re-pin: the newest versions, resolved in a scratch venv (with the llama.cpp wheel built above),
# written to constraints.txt. Run `make test` on the result before committing it.
LOCK := /tmp/rag-lock
lock: install
	rm -rf $(LOCK) && $(PYTHON) -m venv $(LOCK)
	$(LOCK)/bin/pip install --quiet --upgrade pip setuptools
	$(LOCK)/bin/pip install --quiet torch==$(shell sed -n 's/^torch==//p' $(CONSTRAINTS)) scikit-build-core cmake ninja
	$(LOCK)/bin/pip install --quiet --no-deps $(WHEELS)/*.whl
	$(LOCK)/bin/pip install --quiet --no-build-isolation -e ".[$(EXTRAS)]"
	{ sed -n '/^#/p' $(CONSTRAINTS); $(LOCK)/bin/pip freeze --all --exclude-editable | sed \
	  -e 's|^llama_cpp_python @ .*|llama-cpp-python==$(LLAMA_VERSION)|' -e 's|^torch==\([0-9.]*\)+cpu|torch==\1|'; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
