# The two commands: `make run` (set up, fetch and ingest the corpus, open the web page) and `make test`.
# Both install what they need first; a stamp file skips the pip step when nothing changed.
PY ?= python3
STAMP := .install.stamp
# The browser tests drive Debian's chromium; Playwright's own browser download is never used.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)

.PHONY: install run test bench

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	# The CPU build of torch first: an unpinned torch pulls a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[local,openai,ui,eval,test,bench]"
	touch $@

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

# `rag up` exits 3 when some corpus files failed (they are listed); the rest is served.
run: install
	rag up || [ $$? -eq 3 ]
	rag serve

test: install $(CHROMIUM)
	$(PY) -m pytest

bench: install
	$(PY) evals/bench_ingest.py
	$(PY) evals/bench_query.py
