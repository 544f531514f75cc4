#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real, when any is missing:
# PostgreSQL (a throwaway cluster per run), Chromium (browser tests), poppler (reading PDFs back)
# and WeasyPrint's libraries and fonts.
#   scripts/system-packages.sh           everything the tests use
#   scripts/system-packages.sh runtime   only what the portal itself needs (PDF reports)
set -euo pipefail
mode=${1:-test}
missing=()
if [ "$mode" = test ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
fi
# WeasyPrint (reports) loads Pango and HarfBuzz; the report stylesheet asks for these fonts.
for lib in libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0 \
           libharfbuzz-subset.so.0:libharfbuzz-subset0; do
  ldconfig -p | grep -q "${lib%%:*}" || missing+=("${lib##*:}")
done
[ -d /usr/share/fonts/truetype/liberation ] || missing+=(fonts-liberation)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
  if [ "$mode" = runtime ] && ! sudo -n true 2>/dev/null; then
    echo "PDF reports need these Debian packages: ${missing[*]} (install them as root)." >&2
    exit 0
  fi
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
