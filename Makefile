# `make demo`, `make ablation` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
DOCS_OUT ?= docs/_build
HOROVOD := $(VENV)/.horovod
HOROVOD_BUILD := HOROVOD_WITH_MXNET=1 HOROVOD_WITH_GLOO=1 HOROVOD_WITHOUT_MPI=1 \
	HOROVOD_WITHOUT_TENSORFLOW=1 HOROVOD_WITHOUT_PYTORCH=1

.PHONY: install horovod demo ablation test test-fast docs clean

# What `make demo` and `make ablation` need; then the tests' and the docs' tools.
$(RUN_STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel setuptools
	$(PY) -m pip install --quiet -e '.[cpu]'
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(PY) -m pip install --quiet -e '.[cpu,test,docs]'
	touch $(STAMP)

install: $(STAMP)

# Horovod 0.28.1 compiled against the venv's MXNet (Gloo, no MPI), once per venv.
$(HOROVOD): $(STAMP)
	@command -v cmake >/dev/null || { echo "make horovod: cmake is missing (apt install cmake)"; exit 1; }
	@command -v g++ >/dev/null || { echo "make horovod: a C++ compiler is missing (apt install g++)"; exit 1; }
	$(PY) -m pip install --quiet psutil cloudpickle pyyaml packaging
	$(HOROVOD_BUILD) $(PY) -m pip install --quiet --no-build-isolation 'horovod==0.28.1' || \
		{ echo "make horovod: building Horovod against MXNet failed; the compiler output is above"; exit 1; }
	$(PY) -c "import mxnet, horovod.mxnet as hvd; assert hvd.gloo_built(), 'Horovod built without Gloo'"
	touch $(HOROVOD)

horovod: $(HOROVOD)

# MXNet takes half the processors by default (one of two): the trunk's pretraining, in
# this process, gets them all; the fine-tuning runs set one thread each.
CPUS := $(shell nproc)

demo: $(RUN_STAMP)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(CPUS)} $(PY) -m gluon_dfb.demo --out demo_out

ablation: $(RUN_STAMP)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(CPUS)} $(PY) -m gluon_dfb.ablation --out ablation_out

test: $(STAMP) $(HOROVOD)
	$(PY) -m pytest -q --durations=15 tests

# The quick tier while working: no Horovod build, no test marked slow, one pytest
# worker per processor (pytest-xdist).
test-fast: $(STAMP)
	$(PY) -m pytest -q -n $(CPUS) -m "not slow" tests

# The documentation (Sphinx), warnings as errors, and its examples run as doctests.
docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -q -b html docs $(DOCS_OUT)/html
	$(PY) -m sphinx -W --keep-going -q -b doctest docs $(DOCS_OUT)/doctest

clean:
	rm -rf $(VENV) build *.egg-info
