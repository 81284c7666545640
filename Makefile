# Every target installs what it needs into .venv first: exactly uv.lock, again whenever it or pyproject.toml changes.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
UV := $(VENV)/bin/uv
# The tools that read the lock cannot come from it: pinned here. A new version is a new stamp, so a re-install.
PIP_VERSION := 26.3
UV_VERSION := 0.13.9
BOOTSTRAPPED := $(VENV)/.pip-$(PIP_VERSION)-uv-$(UV_VERSION)
# Each layer's requirements: its group's locked closure (pyproject.toml: layer-<name>) less what the Lambda runtime
# provides, boto3 and its dependencies (docs/cost.md: Layers and cold starts).
LAYERS := edge conversation report owner
RUNTIME_PACKAGES := boto3 botocore s3transfer jmespath python-dateutil six urllib3
LAYER_EXPORT := --no-emit-project $(foreach package,$(RUNTIME_PACKAGES),--no-emit-package $(package))
export UV_PYTHON_DOWNLOADS := never
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

.PHONY: system-tools demo test test-slow sandbox synth lint bench check-config coupons redemption-pages link-pages preview sign replay install lock clean

demo: $(INSTALLED)  ## the whole product end to end on this machine (no AWS account)
	$(PY) -m sandbox.demo

test: $(INSTALLED) system-tools  ## unit, integration (moto server), infra (CDK) and e2e (sandbox) tests; a fuzz sample
	$(PY) -m pytest -m "not slow"

test-slow: $(INSTALLED) system-tools  ## the slow tests (faults at volume) and the fuzz tests' 10,000 cases each (CI runs it)
	TAGBACK_FUZZ=thorough $(PY) -m pytest -m "slow or fuzz"

sandbox: $(INSTALLED)  ## the local sandbox in the foreground on PORT (default 8787)
	$(PY) -m sandbox

synth: $(INSTALLED)  ## the edge's template (agency.yaml) and one per clients/*.yaml into cdk.out/
	CDK_OUTDIR=cdk.out $(PY) infra/app.py
	@ls -1 cdk.out/*.template.json

lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

bench: $(INSTALLED)
	$(PY) -m bench.bench_webhook
	$(PY) -m bench.bench_first_invocation
	$(PY) -m bench.bench_prize
	$(PY) -m bench.bench_cold_import

check-config: $(INSTALLED)  ## validate agency.yaml and clients/*.yaml, and draw every prize's coupon
	$(PY) -m tagback.cli check

coupons: $(INSTALLED)  ## every prize of clients/*.yaml in each language, and samples, as PNGs in out/coupons/
	$(PY) -m tests.coupon_gallery

redemption-pages: $(INSTALLED) system-tools  ## the staff redemption page in each state, through the sandbox's edge, as Chromium shows it at 375 px: out/redemption/*.png
	$(PY) -m pytest tests/e2e/test_redemption.py -q
	@echo "the staff redemption page in each state: $(CURDIR)/out/redemption/*.png"

link-pages: $(INSTALLED) system-tools  ## a review link's hand-off page in Instagram's and Facebook's in-app browsers (Android, iOS), through the sandbox's edge, as Chromium shows it at 375 px: out/links/*.png
	$(PY) -m pytest tests/e2e/test_link_handoff.py -q
	@echo "a review link's hand-off page in the in-app browsers: $(CURDIR)/out/links/*.png"

preview: $(INSTALLED)  ## every message a venue's guests get, in each language, as a page: make preview CLIENT=<client-id>
	@test -n "$(CLIENT)" || { echo "usage: make preview CLIENT=<client-id>  (writes out/preview/<client-id>/index.html)"; exit 2; }
	$(PY) -m tools.preview clients/$(CLIENT).yaml

SIZE ?= A5
sign: $(INSTALLED) system-tools  ## a venue's printable table sign, PDF and PNG per language: make sign CLIENT=<client-id> [SIZE=A4]
	@test -n "$(CLIENT)" || { echo "usage: make sign CLIENT=<client-id> [SIZE=A5|A4|A6]  (writes out/sign/<client-id>/)"; exit 2; }
	$(PY) -m tools.sign clients/$(CLIENT).yaml --size $(SIZE)

replay: $(INSTALLED)  ## replay a deployed client's dead-letter and on-failure queues: make replay CLIENT=<client-id>
	@test -n "$(CLIENT)" || { echo "usage: make replay CLIENT=<client-id>  (uses your AWS credentials)"; exit 2; }
	$(PY) -m tagback.cli replay --stack Tagback-$(CLIENT)

install: $(INSTALLED)

# The tests look at the pages and the printable sign they make: headless Chromium and pdftoppm, Debian's packages.
SYSTEM_TOOLS := chromium:chromium pdftoppm:poppler-utils
system-tools:
	@missing=$$(for t in $(SYSTEM_TOOLS); do command -v $${t%%:*} >/dev/null || echo $${t#*:}; done); \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing (Debian)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BOOTSTRAPPED):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION) uv==$(UV_VERSION)
	touch $@

# --locked: stops here when pyproject.toml asks for something uv.lock does not have (then: make lock).
$(INSTALLED): pyproject.toml uv.lock $(BOOTSTRAPPED)
	$(UV) export --quiet --locked --extra dev --no-emit-project > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(VENV)/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

lock: $(BOOTSTRAPPED)  ## re-resolve uv.lock to the newest releases pyproject.toml allows; regenerate the layers' pins
	$(UV) lock --upgrade --python $(PY)
	for layer in $(LAYERS); do \
		$(UV) export --quiet --locked --only-group layer-$$layer $(LAYER_EXPORT) > layers/$$layer/requirements.txt; \
	done

clean:
	rm -rf $(VENV) cdk.out build out .pytest_cache .mypy_cache .ruff_cache .hypothesis
