#!/usr/bin/env bash
# The Debian packages some tests need: chromium (browser tests, through Playwright) and qpdf
# (checks the receipt PDFs independently). `make test` runs this first: it installs what is
# missing when it can (apt-get as root, or through sudo without a password); when it cannot,
# it says loudly which tests will be skipped and why, and the test run says it again at its end.
# Under CI=true a package that cannot be installed is a failure.
set -uo pipefail

declare -A needed_by=(
  [chromium]="the browser tests (tests/browser): a donor paying in Chromium"
  [qpdf]="the independent PDF checks (tests/unit/test_receipt_pdf.py)"
)
missing=()
for package in chromium qpdf; do
  command -v "$package" >/dev/null 2>&1 || missing+=("$package")
done
((${#missing[@]})) || exit 0

if [[ $(id -u) == 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  sudo=(unable)
fi

if [[ ${sudo[0]:-} != unable ]] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing Debian's ${missing[*]} for the tests"
  if "${sudo[@]}" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; then
    exit 0
  fi
  why="apt-get install ${missing[*]} failed"
else
  why="no root, no password-less sudo, or no apt-get to install ${missing[*]} with"
fi

echo
echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
echo "!! Tests that will be SKIPPED ($why):"
for package in "${missing[@]}"; do
  echo "!!   - ${needed_by[$package]}: needs Debian's $package"
done
echo "!! Install them (sudo apt-get install ${missing[*]}) and run make test again."
echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
echo
if [[ ${CI:-} == true ]]; then
  exit 1
fi
exit 0
