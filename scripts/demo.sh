#!/usr/bin/env bash
# Fresh machine to data in ./lake: installs dependencies, builds, runs `sluice demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
SLUICE_TESTS=OFF bash scripts/build.sh
exec ./build/src/cli/sluice demo "$@"
