#!/usr/bin/env bash
# cfn-lint over every template `make synth` wrote to cdk.out/. Its
# configuration (.cfnlintrc.yaml) ignores only what is justified there.
#
# cfn-lint is a Python tool that neither Debian's nor npm's registries
# carry (npm's "cfn-lint" is another program), so this script cannot
# install it; the machines this project is built on ship it. Where it is
# missing the check is skipped with a note rather than failing the build.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cfn-lint >/dev/null 2>&1; then
	echo "cfn-lint: not installed here; the CloudFormation lint is skipped" >&2
	exit 0
fi
shopt -s nullglob
templates=(cdk.out/*.template.json)
if [ ${#templates[@]} -eq 0 ]; then
	echo "cfn-lint: no templates in cdk.out/: run make synth first" >&2
	exit 1
fi
cfn-lint --version
cfn-lint "${templates[@]}"
echo "cfn-lint: ${#templates[@]} templates, no errors or warnings"
