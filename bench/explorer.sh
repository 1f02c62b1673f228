#!/usr/bin/env bash
# The explorer at catalogue scale: `timbral report` on report inputs of SONGS songs (SONGS/10
# artists, 2,000 genres; written by the report_at_scale example, not timed), then
# reports/explorer.html in headless Chromium with software WebGL.
#   usage: bench/explorer.sh SONGS
# Prints the report's wall time and peak RSS (/usr/bin/time -v), the size of explorer.html,
# and from the browser (bench/explorer_browser.py, Playwright on /usr/bin/chromium, installed
# in bench/.venv): page ready (first draw), full redraw, hover, search and click times.
# PROFILE=dev builds the report crate at opt-level 3 on a debug build's dependencies (opt-level
# 2), for a machine where a release build of Polars takes too long; the default is release.
set -euo pipefail
cd "$(dirname "$0")/.."
songs=${1:?usage: bench/explorer.sh SONGS}
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
[ -x /usr/bin/chromium ] || apt-get install -y chromium >/dev/null
if [ ! -x bench/.venv/bin/python ] || ! bench/.venv/bin/python -c "import playwright" 2>/dev/null; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet playwright
fi
if [ "${PROFILE:-release}" = dev ]; then
  cargo build --quiet --config 'profile.dev.package.timbral-report.opt-level=3' -p timbral-report --example report_at_scale
  bin=${CARGO_TARGET_DIR:-target}/debug/examples/report_at_scale
else
  cargo build --release --quiet -p timbral-report --example report_at_scale
  bin=${CARGO_TARGET_DIR:-target}/release/examples/report_at_scale
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "writing $songs songs / $((songs / 10)) artists / 2000 genres (not timed)"
"$bin" write "$work" "$songs" "$((songs / 10))" 2000
/usr/bin/time -v "$bin" report "$work" 2> "$work/time.txt"
grep -E "Elapsed \(wall|Maximum resident" "$work/time.txt"
page="$work/reports/explorer.html"
du -b "$page" | awk '{printf "explorer.html: %.1f MB\n", $1 / 1e6}'
last=$((songs - 1))
bench/.venv/bin/python bench/explorer_browser.py "$page" "Song $((songs / 2))" \
  "Artist $((songs / 40))" "Song $last" "song 1"
