# Two commands from a fresh clone (README): `make demo` and `make test`.
# Each creates the virtual environment it needs in .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out
# The tests run the diffusers engines on tiny random-weight pipelines on the CPU.
# Pinning torch first keeps pip from pulling a multi-GB CUDA build.
TORCH  ?= torch==2.13.0

.PHONY: demo lint test test-slow bench wheels clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/reelforge video "$$(cat examples/storyboard.txt)" --tier animatic --seed 7 -o $(OUT)/storyboard.mp4
	$(BIN)/reelforge video "The boats drift towards the harbour as the lighthouse beam sweeps; gentle waves." \
		--image examples/harbor.jpg --tier animatic --duration 5 --seed 7 -o $(OUT)/image-to-video.mp4
	@echo "videos, posters and sidecars are in $(OUT)/"

$(BIN)/.engines: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet '$(TORCH)'
	$(BIN)/python -m pip install --quiet -e '.[test,engines,serve]'
	touch $@

# `make test` also sets up what the PostgreSQL and browser tests need, where this machine
# allows it (root with apt-get): a throwaway PostgreSQL (.ci/postgres.sh; an URL already in
# REELFORGE_TEST_POSTGRES_URL is used instead) and Debian's Chromium (.ci/chromium.sh).
# Where it cannot, those tests skip and pytest's closing summary says which and why;
# STRICT=1 (CI) makes that an error instead.
# `slow` tests drain hundreds of renders (minutes); `make test-slow` runs them.
STRICT ?=
# `make lint`: ruff (lint and format), mypy on src/, and the import-linter contracts of
# pyproject.toml (the layers); `make test` runs it first, as .pre-commit-config.yaml does.
lint: $(BIN)/.engines
	$(BIN)/ruff check src tests bench docs examples
	$(BIN)/ruff format --check src tests bench docs examples
	$(BIN)/python -m mypy
	$(BIN)/lint-imports

test: lint
	.ci/chromium.sh || [ -z "$(STRICT)" ]
	url="$${REELFORGE_TEST_POSTGRES_URL:-}"; \
	if [ -z "$$url" ]; then url="$$(.ci/postgres.sh)" || [ -z "$(STRICT)" ] || exit 1; fi; \
	REELFORGE_TEST_POSTGRES_URL="$$url" $(BIN)/python -m pytest -q -m "not slow"

test-slow: $(BIN)/.engines
	$(BIN)/python -m pytest -q -m slow

bench: $(BIN)/.installed
	$(BIN)/python bench/animatic.py
	$(BIN)/python bench/assembly.py

# `make wheels` (README, "Offline GPU host"): into DEST, every wheel `pip install
# '.[engines]'` needs beyond torch, for a host with Python PY on PLATFORM (its newest tag;
# the defaults are the lent H200's). SET=bench: only bench/gpu_wheels.txt, what that
# machine's image lacks for bench/gpu.py (under the 64 MiB a device call carries).
PY       ?= 3.12
PLATFORM ?= manylinux_2_28_x86_64
SET      ?= engines
DEST     ?= wheels
wheels:
	$(PYTHON) .ci/wheels.py --set $(SET) --python-version $(PY) --platform $(PLATFORM) --dest $(DEST)

clean:
	rm -rf $(VENV) $(OUT) test-artifacts .pytest_cache
