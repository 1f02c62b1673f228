# %% [markdown]
# # Exploring a timbral workdir
# Reads the Parquet tables written by `timbral run` and redraws the study's main views.

# %%
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

workdir = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
interim, processed = workdir / "data" / "interim", workdir / "data" / "processed"
tracks = pd.read_parquet(interim / "tracks.parquet")
pca = pd.read_parquet(processed / "pca.parquet")
embedding = pd.read_parquet(processed / "embedding.parquet")
clusters = pd.read_parquet(processed / "clusters.parquet")
similarity = pd.read_parquet(processed / "artist_similarity.parquet")
print(f"{len(tracks)} songs by {tracks.artist_id.nunique()} artists")

# %% [markdown]
# How much variance do the first components hold? (The study: 2 components, 25%.)

# %%
print(pca.head(10)[["component", "explained_variance_ratio", "cumulative_ratio"]])

# %% [markdown]
# The 2-D UMAP map coloured by HDBSCAN cluster (noise = -1).

# %%
songs = embedding.merge(clusters, on="track_id").merge(tracks, on="track_id")
fig, ax = plt.subplots(figsize=(8, 6))
ax.scatter(songs.umap_x, songs.umap_y, c=songs.hdbscan, cmap="tab20", s=12)
ax.set_xlabel("UMAP 1")
ax.set_ylabel("UMAP 2")
fig.savefig(workdir / "reports" / "notebook-map.png", dpi=150)

# %% [markdown]
# The nearest artists of the most prolific artist, like the study's Bach table.

# %%
top = tracks.artist_id.value_counts().index[0]
names = tracks.drop_duplicates("artist_id").set_index("artist_id").artist_name
near = similarity[similarity.artist_id == top].sort_values("distance").head(5)
print(names[top], "->", [(names[a], round(d, 3)) for a, d in zip(near.other_artist_id, near.distance)])
