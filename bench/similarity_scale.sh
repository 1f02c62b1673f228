#!/usr/bin/env bash
# The similarity stage alone at catalogue scale (issue 12), in-process on a seeded synthetic
# catalogue in a 10-D space (examples/scale.rs): seconds per step, recall@10 of the
# recommendations against exact search, agreement of artist_similarity with brute force on
# sampled artists, and peak RSS.
#   usage: bench/similarity_scale.sh [SONGS ARTISTS]...   (default: 100000 20000 1000000 100000)
# Targets (issue 12): the whole pipeline within 2 min / 4 GiB at 100k songs and 15 min /
# 12 GiB at 1M; this stage is one part of that.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
cargo build --release --quiet -p timbral-similarity --example scale
bin=$PWD/target/release/examples/scale
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 20000 1000000 100000)
for ((i = 0; i < ${#sizes[@]}; i += 2)); do
    songs=${sizes[i]} artists=${sizes[i + 1]}
    echo "== $songs songs / $artists artists"
    /usr/bin/time -v "$bin" "$songs" "$artists" 10 2> >(grep -E "Maximum resident|Elapsed" >&2)
done
