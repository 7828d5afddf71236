# Two commands from a fresh clone (README): `make demo` and `make test`.
# Each creates the virtual environment it needs in .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: demo test bench clean

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

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

bench: $(BIN)/.installed
	$(BIN)/python bench/animatic.py
	$(BIN)/python bench/assembly.py

clean:
	rm -rf $(VENV) $(OUT) test-artifacts .pytest_cache
