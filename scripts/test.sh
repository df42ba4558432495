#!/usr/bin/env bash
# Install what the tests need on a bare machine (LibreOffice, the reference engine; Gnumeric,
# the second engine and reader; and the test extras), then run the whole suite. Extra arguments
# go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
command -v ssconvert >/dev/null 2>&1 || missing+=(gnumeric)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
python3 -m pytest -q "$@"
