#!/usr/bin/env bash
# Re-vendor the front-end files into src/accord/web/static/vendor from the npm registry.
set -euo pipefail
dest="$(cd "$(dirname "$0")/.." && pwd)/src/accord/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
fetch() {  # fetch PACKAGE@VERSION PATH-IN-PACKAGE TARGET-NAME
    local tarball
    tarball="$(npm pack --silent "$1")"
    mkdir -p "$1" && tar xzf "$tarball" -C "$1"
    cp "$1/package/$2" "$dest/$3"
}
fetch htmx.org@2.0.11 dist/htmx.min.js htmx.min.js
fetch vega@6.4.0 build/vega.min.js vega.min.js
fetch vega-lite@6.4.3 build/vega-lite.min.js vega-lite.min.js
fetch vega-embed@7.3.0 build/vega-embed.min.js vega-embed.min.js
fetch sortablejs@1.15.7 Sortable.min.js Sortable.min.js
fetch @picocss/pico@2.1.1 css/pico.jade.min.css pico.min.css
