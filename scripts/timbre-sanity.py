#!/usr/bin/env python3
"""Real-signal sanity check of the audio analyzer (issue 3): are songs by the same artist closer
in timbre than songs by different artists?

Per track, the 90 timbre features of the study: the mean of timbre_0..11 over the track's
segments (12) and the upper triangle of their covariance (78, np.cov with ddof=1). Features are
standardised over the tracks (z-scores, population std), distances are Euclidean. For every
artist with at least 3 songs the table gives the mean distance between its own songs and the
mean distance from its songs to every other artist's songs.

usage: scripts/timbre-sanity.py [SAMPLE_DIR]      (default: data/sample)
needs: pip install numpy pandas pyarrow
"""

import os
import sys

import numpy as np
import pandas as pd

MIN_SONGS = 3


def track_features(segments: pd.DataFrame) -> pd.DataFrame:
    timbre = [f"timbre_{i}" for i in range(12)]
    upper = np.triu_indices(12)
    rows = {}
    for track_id, group in segments.groupby("track_id", sort=True):
        values = group.sort_values("seg")[timbre].to_numpy(dtype=np.float64)
        cov = np.cov(values, rowvar=False, ddof=1)
        rows[track_id] = np.concatenate([values.mean(axis=0), cov[upper]])
    return pd.DataFrame.from_dict(rows, orient="index")


def main() -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sample = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "data", "sample")
    # Only the needed columns: pyarrow cannot convert polars' list[string_view] `genres`.
    tracks = pd.read_parquet(os.path.join(sample, "tracks.parquet"), columns=["track_id", "artist_name"])
    timbre = [f"timbre_{i}" for i in range(12)]
    segments = pd.read_parquet(os.path.join(sample, "segments.parquet"), columns=["track_id", "seg", *timbre])
    features = track_features(segments)
    assert features.shape[1] == 90, features.shape
    artist = tracks.set_index("track_id").loc[features.index, "artist_name"].to_numpy()
    x = features.to_numpy()
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    dist = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=-1))

    names, counts = np.unique(artist, return_counts=True)
    print(f"{len(x)} tracks, {len(names)} artists; artists with >= {MIN_SONGS} songs:\n")
    print(f"| artist | songs | mean distance to own songs | to other artists' songs | ratio |")
    print(f"|---|---:|---:|---:|---:|")
    closer = total = 0
    for name, count in sorted(zip(names, counts), key=lambda p: (-p[1], p[0])):
        if count < MIN_SONGS:
            continue
        own = artist == name
        within = dist[np.ix_(own, own)][np.triu_indices(count, k=1)].mean()
        between = dist[np.ix_(own, ~own)].mean()
        closer += within < between
        total += 1
        print(f"| {name} | {count} | {within:.2f} | {between:.2f} | {within / between:.2f} |")
    print(f"\n{closer} of {total} artists are closer to their own songs than to other artists' songs.")


if __name__ == "__main__":
    main()
