#!/usr/bin/env bash
# Times `timbral report` alone on report inputs at catalogue scale, written by the
# report_at_scale example (contract-valid tables with seeded structure; not timed here).
#   usage: bench/report.sh [SONGS] [ARTISTS] [GENRES]   (default 1000000 songs, SONGS/10 artists, 2000 genres)
# Prints the report's wall time and peak RSS (/usr/bin/time -v), and the HTML and figure sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
songs=${1:-1000000}
artists=${2:-$((songs / 10))}
genres=${3:-2000}
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
cargo build --release --quiet -p timbral-report --example report_at_scale
bin=${CARGO_TARGET_DIR:-target}/release/examples/report_at_scale
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "writing $songs songs / $artists artists / $genres genres (not timed)"
"$bin" write "$work" "$songs" "$artists" "$genres"
/usr/bin/time -v "$bin" report "$work" 2> "$work/time.txt"
grep -E "Elapsed \(wall|Maximum resident" "$work/time.txt"
du -b "$work/reports/index.html" | awk '{printf "index.html: %.1f KB\n", $1 / 1000}'
du -cb "$work"/reports/figures/*.png | awk '/total/ {printf "figures: %.2f MB in all\n", $1 / 1e6}'
ls -l "$work"/reports/figures/*.png | awk '{printf "  %-28s %8.1f KB\n", $9, $5 / 1000}' | sed "s|$work/reports/figures/||"
[ -n "${KEEP:-}" ] && cp -r "$work/reports" "$KEEP" && echo "kept the report in $KEEP"
true
