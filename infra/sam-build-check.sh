#!/usr/bin/env bash
# Builds one function exactly as `sam build` does for a deploy (BuildMethod
# rust-cargolambda: cargo-lambda, release profile, arm64 cross-compiled with zig) and
# checks the artifact is an arm64 Linux executable named bootstrap. A broken build path
# (template metadata, cargo-lambda, zig, the release profile) fails here, not at deploy.
# Usage: infra/sam-build-check.sh [FUNCTION_LOGICAL_ID]   (default: CompletenessCheckerFunction)
set -euo pipefail
cd "$(dirname "$0")"
function_id="${1:-CompletenessCheckerFunction}"
home="${NBA_LOCAL_AWS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/nba-props-serverless}"
# cargo-lambda finds zig as `python3 -m ziglang`: its own venv's python3 must come first.
export PATH="$home/cargo-lambda/bin:$home/sam/bin:$PATH" SAM_CLI_TELEMETRY=0
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
start=$SECONDS
# --no-cached: no hash of the whole source tree (target/ included), no stale artifact.
sam build --no-cached "$function_id"
artifact=".aws-sam/build/$function_id/bootstrap"
python3 - "$artifact" <<'PY'
import sys
path = sys.argv[1]
with open(path, "rb") as f:
    head = f.read(20)
assert head[:4] == b"\x7fELF", f"{path} is not an ELF executable"
machine = int.from_bytes(head[18:20], "little")
assert machine == 0xB7, f"{path} is built for machine {machine:#x}, not aarch64 (0xb7)"
PY
printf 'sam-build-check: %s built in %ss: %s, %s bytes, arm64 ELF\n' \
  "$function_id" "$((SECONDS - start))" "$artifact" "$(stat -c %s "$artifact")"
