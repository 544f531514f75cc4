#!/usr/bin/env bash
# Rebuilds static/vendor/govuk-frontend-6.3.0 from the npm package (only needed to re-vendor).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack -q govuk-frontend@6.3.0 >/dev/null
tar xzf govuk-frontend-6.3.0.tgz
npm install -q --no-save sass@1 >/dev/null
cp "$here/scripts/govuk-frontend.scss" portal.scss
node_modules/.bin/sass --no-source-map --style=compressed --quiet-deps \
  --silence-deprecation=import portal.scss "$here/static/vendor/govuk-frontend-6.3.0/govuk-frontend.min.css"
cp package/dist/govuk/govuk-frontend.min.js "$here/static/vendor/govuk-frontend-6.3.0/"
