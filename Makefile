# The two commands: `make run` (set up, fetch and ingest the corpus) and `make test`.
# Both install what they need first; a stamp file skips the pip step when nothing changed.
PY ?= python3
STAMP := .install.stamp

.PHONY: install run test bench

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	# The CPU build of torch first: an unpinned torch pulls a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[local,openai,test,bench]"
	touch $@

run: install
	rag up

test: install
	$(PY) -m pytest

bench: install
	$(PY) evals/bench_ingest.py
