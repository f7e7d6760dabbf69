#!/usr/bin/env bash
# Scans infra/template.yaml with checkov and with cfn-lint plus the serverless rules.
# Every finding fails; the ones the template accepts are suppressed in the template
# itself, each with its reason (checkov `skip` comments, cfn-lint `ignore_checks`).
# Usage: infra/scan-template.sh [BIN_DIR]   (BIN_DIR holds checkov and cfn-lint;
# default: the installer's, infra/local/install-local-aws.sh --with-scanners)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-${NBA_LOCAL_AWS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/nba-props-serverless}/scanners/bin}"
"$bin/checkov" --skip-download --quiet --compact --framework cloudformation -f infra/template.yaml
"$bin/cfn-lint" --append-rules cfn_lint_serverless.rules -- infra/template.yaml
echo "scan-template: checkov and cfn-lint (with the serverless rules) found nothing unsuppressed"
