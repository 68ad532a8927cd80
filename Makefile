# The two commands a user needs: `make up` and `make test`. Each prepares the machine first (scripts/setup),
# which is quick when the venv, Docker Engine and the images are already in place.
SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export CURTAIN_VENV := $(VENV)
export CURTAIN_TEST_REGISTRY ?= 172.17.0.1:5000
export CURTAIN_TEST_RELEASE_MIRROR ?= 172.17.0.1:5080

# Molecule scenarios run by `make test`, in this order. For CI's 90 minutes on these machines, the scenarios of
# capabilities no change of the day touched go to `make test-extra`: `reset`, `etcd_cluster` (the etcd role's
# membership, backup, restore and replacement; every scenario runs etcd, multi a three-member cluster, etcd_upgrade
# three through three rolling upgrades) and `faults` (runs of the etcd role killed after each step). `upgrade`
# (Kubernetes v1.36 to v1.37) is back in: a change to the master role's steps broke it unseen once.
# docs/development.md has the times.
SCENARIOS ?= offline hyperkube_master default multi upgrade etcd_upgrade
EXTRA_SCENARIOS = reset etcd_cluster faults
# The Molecule command each scenario runs: `make molecule SCENARIOS=reset MOLECULE_STEP=converge` to work on one.
MOLECULE_STEP ?= test
# Each scenario's whole output, kept: a failed scenario's failures are printed again at the end (a CI log shows only
# its tail, which Molecule's destroy step fills).
MOLECULE_LOGS ?= $(CURDIR)/.local/molecule

.PHONY: up test test-up test-extra faults bench setup-up setup-test lint unit molecule build

# scripts/setup up writes .local/host.yml: what this machine lacks that a real host has, and how make up adapts.
up: setup-up
	ansible-playbook site.yml $(if $(wildcard .local/host.yml),-e @.local/host.yml)

test: setup-test
	$(MAKE) --no-print-directory lint unit test-up molecule

# make up on this machine, checked and reset again (tests/up): what a new user's first command does.
test-up:
	pytest tests/up

# The scenarios kept out of `make test` for CI's time (docs/development.md).
test-extra: setup-test
	$(MAKE) --no-print-directory molecule SCENARIOS="$(EXTRA_SCENARIOS)"

# The slowest scenario alone, to work on it: runs of the etcd role killed after each step.
faults: setup-test
	$(MAKE) --no-print-directory molecule SCENARIOS=faults

# Measurements, not tests: figures are written to docs/benchmarks.md (and the plot docs/benchmarks-hosts.png).
# bench/site_bench.py makes and removes its own test hosts (curtain-bench-*); BENCH_SITE_ARGS and
# BENCH_ETCD_ARGS pass options (e.g. --runs 2) to the two benches.
bench: setup-test
	@set -e; export CURTAIN_TEST_ETCD_DIGEST=$$(scripts/registry digest $(CURTAIN_TEST_REGISTRY) curtain/etcd:$$(scripts/images etcd-default)); \
	python3 bench/site_bench.py $(BENCH_SITE_ARGS); \
	python3 bench/etcd.py $(BENCH_ETCD_ARGS)

setup-up:
	@scripts/setup up

setup-test:
	@scripts/setup test

lint:
	yamllint --strict .
	ruff check .
	python3 scripts/argument_specs.py --check
	python3 scripts/variables_reference.py --check
	python3 scripts/topology.py --check
	ansible-lint
	$(MAKE) --no-print-directory build

# A real etcd, and a real kube-apiserver of the default version's build for the controller's API steps (kube_api).
unit:
	CURTAIN_ETCD_BIN_DIR=$$(scripts/images etcd-bin-dir) \
	CURTAIN_KUBE_BIN_DIR=$$(python3 scripts/build_components.py --print-dir kubernetes-$$(python3 scripts/build_components.py --default-version)) \
	  pytest tests/unit

# The etcd images' digests as CURTAIN_TEST_ETCD_DIGEST (the modern default) and CURTAIN_TEST_ETCD_DIGEST_<X_Y_Z>;
# each other test image's digest as CURTAIN_TEST_DIGEST_<NAME> (kube-apiserver -> KUBE_APISERVER) for the newest tag of
# that name, CURTAIN_TEST_DIGEST_<NAME>_V<MAJOR>_<MINOR> for older pinned versions (..._KUBE_APISERVER_V1_36); the
# kubectl of each pinned version as CURTAIN_TEST_KUBECTL (the default version) and CURTAIN_TEST_KUBECTL_V<MAJOR>_<MINOR>.
molecule:
	@set -e; for image in $$(scripts/images etcd-names); do \
	  export CURTAIN_TEST_ETCD_DIGEST_$$(echo $${image##*:} | tr . _)=$$(scripts/registry digest $(CURTAIN_TEST_REGISTRY) $$image); \
	done; \
	export CURTAIN_TEST_ETCD_DIGEST=$$(scripts/registry digest $(CURTAIN_TEST_REGISTRY) curtain/etcd:$$(scripts/images etcd-default)); \
	export CURTAIN_TEST_ETCD_TARBALL=$$(scripts/images etcd-tarball-path) CURTAIN_TEST_ETCD_BIN_DIR=$$(scripts/images etcd-bin-dir); \
	images="$$(scripts/images kubernetes-names)"; \
	for image in $$images; do \
	  name=$${image#*/}; name=$${name%%:*}; tag=$${image##*:}; \
	  variable=CURTAIN_TEST_DIGEST_$$(echo $$name | tr a-z- A-Z_); \
	  newest=$$(printf '%s\n' $$images | grep "/$$name:" | sed 's/.*://' | sort -V | tail -n 1); \
	  if [ "$$tag" != "$$newest" ]; then variable=$${variable}_$$(echo $${tag%.*} | tr a-z. A-Z_); fi; \
	  export $$variable=$$(scripts/registry digest $(CURTAIN_TEST_REGISTRY) $$image); \
	done; \
	for build in $$(python3 scripts/build_components.py --list | cut -f1 | grep '^kubernetes-'); do \
	  version=$${build#kubernetes-}; variable=CURTAIN_TEST_KUBECTL; \
	  if [ "$$version" != "$$(python3 scripts/build_components.py --default-version)" ]; then \
	    variable=$${variable}_$$(echo $${version%.*} | tr a-z. A-Z_); fi; \
	  export $$variable=$$(python3 scripts/build_components.py --print-dir $$build)/kubectl; \
	done; \
	mkdir -p $(MOLECULE_LOGS); \
	for scenario in $(SCENARIOS); do \
	  molecule $(MOLECULE_STEP) -s $$scenario 2>&1 | tee $(MOLECULE_LOGS)/$$scenario.log; \
	  if [ $${PIPESTATUS[0]} -ne 0 ]; then scripts/molecule_failures $(MOLECULE_LOGS)/$$scenario.log; exit 1; fi; \
	done
	@scripts/leftovers

# The collection tarball; it must not carry test beds, image recipes, benchmarks or developer scripts.
build:
	ansible-galaxy collection build --force --output-path dist
	@! tar tzf dist/curtain-kube-*.tar.gz | grep -E '^(tests|molecule|images|bench|scripts|collections|\.ansible)/' \
	  || { echo "build: the collection tarball carries files it must not" >&2; exit 1; }
