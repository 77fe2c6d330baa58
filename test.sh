#!/usr/bin/env bash
# The one test command (README): installs what the browser tests need when missing (Debian's Chromium and a CJK
# font, as root through apt-get; docker-compose to check the compose file), then builds and runs every test of the solution.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei"; then
  echo "test.sh: installing chromium and fonts-wqy-microhei (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi

# Debian's docker-compose (1.29) parses and validates docker-compose.yml without a Docker engine (ComposeFileTests).
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "test.sh: installing docker-compose (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker-compose >/dev/null
fi

dotnet tool restore >/dev/null
dotnet build Portal.sln -c Debug -nologo -v minimal
dotnet test Portal.sln -c Debug --no-build -nologo --logger "console;verbosity=normal" --logger "trx;LogFileName=results.trx" --results-directory artifacts/test-results "$@"
