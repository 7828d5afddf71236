# Two commands from a fresh clone (README): `make demo` and `make test`.
# Each creates the virtual environment it needs in .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out
# The tests run the diffusers engines on tiny random-weight pipelines on the CPU.
# Pinning torch first keeps pip from pulling a multi-GB CUDA build.
TORCH  ?= torch==2.13.0

.PHONY: demo test test-slow bench clean

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

# `slow` tests drain hundreds of renders (minutes); `make test-slow` runs them.
test: $(BIN)/.engines
	$(BIN)/ruff check src tests bench docs examples
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: $(BIN)/.engines
	$(BIN)/python -m pytest -q -m slow

bench: $(BIN)/.installed
	$(BIN)/python bench/animatic.py
	$(BIN)/python bench/assembly.py

clean:
	rm -rf $(VENV) $(OUT) test-artifacts .pytest_cache
