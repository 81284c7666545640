# Every target installs what it needs into .venv first (only when pyproject.toml changed).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

.PHONY: demo test sandbox synth lint bench check-config replay install clean

demo: $(INSTALLED)  ## the whole product end to end on this machine (no AWS account)
	$(PY) -m sandbox.demo

test: $(INSTALLED)  ## unit, integration (moto server), infra (CDK) and e2e (sandbox) tests
	$(PY) -m pytest

sandbox: $(INSTALLED)  ## the local sandbox in the foreground on PORT (default 8787)
	$(PY) -m sandbox

synth: $(INSTALLED)  ## one CloudFormation template per clients/*.yaml into cdk.out/
	CDK_OUTDIR=cdk.out $(PY) infra/app.py
	@ls -1 cdk.out/*.template.json

lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

bench: $(INSTALLED)
	$(PY) -m bench.bench_webhook
	$(PY) -m bench.bench_prize

check-config: $(INSTALLED)  ## validate clients/*.yaml
	$(PY) -m tagback.cli check

replay: $(INSTALLED)  ## replay a deployed client's prize dead-letter queue: make replay CLIENT=<client-id>
	@test -n "$(CLIENT)" || { echo "usage: make replay CLIENT=<client-id>  (uses your AWS credentials)"; exit 2; }
	$(PY) -m tagback.cli replay --stack Tagback-$(CLIENT)

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) cdk.out build out .pytest_cache .mypy_cache .ruff_cache .hypothesis
