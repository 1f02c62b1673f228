"""The Python stack's version of `timbral cluster`, for bench/cluster_vs_python.sh.

Runs the same steps on the same features.parquet twice in one process: the first pass is
"cold" (its first step also pays for importing the libraries, and umap-learn / hdbscan pay
their numba JIT compilation), the second is "warm" (`--passes 1`: the cold pass only). Steps:
standardise (StandardScaler), PCA, K-Means for k = k_min..k_max with silhouette /
Calinski-Harabasz / Davies-Bouldin, UMAP 2-D, UMAP n-D, DBSCAN on the 2-D map with eps at the
knee of the k-distance curve, HDBSCAN on the n-D map (the hdbscan package, or scikit-learn's
with `--hdbscan-impl sklearn`), trustworthiness of the 2-D map. Parameters mirror timbral's
defaults. At scale, as timbral does: above `--silhouette-max-exact` songs (20,000) the
silhouette is scored on a seeded sample of that many songs (scikit-learn's `sample_size`,
distances within the sample), and umap-learn finds neighbours with pynndescent (it does above
4,096 points). The trustworthiness needs n x n matrices, so above `--trust-max-exact` songs
(20,000) it is scored on a seeded sample of `--trust-sample` songs (10,000).

Also has a `compare` mode that prints the side-by-side table from this script's JSON and
timbral's tables.

    python cluster_reference.py run --features F --out result.json --labels labels.parquet
    python cluster_reference.py compare --python result.json --labels labels.parquet \
        --timbral-processed DIR --timbral-timings timings.txt
"""

import argparse
import json
import sys
import time

T0 = time.perf_counter()

from itertools import combinations  # noqa: E402


def seed_feature_names():
    names = [f"t{i}" for i in range(12)]
    for j in range(12):
        for i in range(j + 1):
            names.append(f"t{i}_t{j}")
    return names


def knee(curve):
    """Same rule as timbral: largest x - y after scaling both axes to [0, 1]."""
    import numpy as np

    n = len(curve)
    lo, hi = curve[0], curve[-1]
    if n < 3 or hi <= lo:
        return n - 1
    x = np.arange(n) / (n - 1)
    y = (curve - lo) / (hi - lo)
    return int(np.argmax(x - y))


def one_pass(args, timings):
    import numpy as np
    import pandas as pd
    import hdbscan
    import umap
    from sklearn.cluster import DBSCAN, HDBSCAN, KMeans
    from sklearn.decomposition import PCA
    from sklearn.manifold import trustworthiness
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import StandardScaler

    def step(name, started):
        timings[name] = time.perf_counter() - started
        return time.perf_counter()


    t = time.perf_counter()
    frame = pd.read_parquet(args.features)
    x = frame[seed_feature_names()].to_numpy(dtype=np.float64)
    t = step("load", t)
    z = StandardScaler().fit_transform(x)
    t = step("standardise", t)
    pca = PCA(svd_solver="full").fit(z)
    t = step("pca", t)
    silhouette_sample = args.silhouette_max_exact if len(z) > args.silhouette_max_exact else None
    scores = []
    labelings = {}
    for k in range(args.k_min, args.k_max + 1):
        km = KMeans(n_clusters=k, n_init=args.kmeans_runs, random_state=args.seed).fit(z)
        labelings[k] = km.labels_
        scores.append(
            {
                "k": k,
                "inertia": float(km.inertia_),
                "silhouette": float(
                    silhouette_score(z, km.labels_, sample_size=silhouette_sample, random_state=args.seed)
                ),
                "calinski_harabasz": float(calinski_harabasz_score(z, km.labels_)),
                "davies_bouldin": float(davies_bouldin_score(z, km.labels_)),
            }
        )
    best = max(scores, key=lambda s: (s["silhouette"], -s["k"]))
    t = step("kmeans", t)
    common = dict(n_neighbors=args.n_neighbors, min_dist=args.min_dist, metric=args.metric, random_state=args.seed)
    map_2d = umap.UMAP(n_components=2, **common).fit_transform(z)
    t = step("umap_2d", t)
    map_nd = umap.UMAP(n_components=args.umap_dims, **common).fit_transform(z)
    t = step("umap_nd", t)
    dist, _ = NearestNeighbors(n_neighbors=args.min_samples).fit(map_2d).kneighbors(map_2d)
    curve = np.sort(dist[:, -1])
    eps = float(curve[knee(curve)])
    dbscan_labels = DBSCAN(eps=eps, min_samples=args.min_samples).fit_predict(map_2d)
    t = step("dbscan", t)
    hdbscan_impl = hdbscan.HDBSCAN if args.hdbscan_impl == "hdbscan" else HDBSCAN
    hdbscan_labels = hdbscan_impl(
        min_cluster_size=args.min_cluster_size, min_samples=args.min_cluster_size
    ).fit_predict(map_nd)
    t = step("hdbscan", t)
    trust_rows = len(z) if len(z) <= args.trust_max_exact else args.trust_sample
    rows = np.random.default_rng(args.seed).choice(len(z), size=trust_rows, replace=False)
    rows = slice(None) if trust_rows == len(z) else rows
    trust = float(trustworthiness(z[rows], map_2d[rows], n_neighbors=15, metric=args.metric))
    t = step("quality", t)
    quality = {
        "songs": len(z),
        "silhouette_sample": silhouette_sample,
        "umap_neighbours": "pynndescent" if len(z) > 4096 else "exact",
        "hdbscan_impl": args.hdbscan_impl,
        "trustworthiness_sample": trust_rows,
        "pca_ratio": pca.explained_variance_ratio_[:10].tolist(),
        "pca_components_80": int(np.searchsorted(np.cumsum(pca.explained_variance_ratio_), 0.8) + 1),
        "pca_components_90": int(np.searchsorted(np.cumsum(pca.explained_variance_ratio_), 0.9) + 1),
        "model_selection": scores,
        "chosen_k": best["k"],
        "trustworthiness_2d_k15": trust,
        "dbscan_eps": eps,
        "dbscan_noise_share": float(np.mean(dbscan_labels < 0)),
        "dbscan_clusters": int(dbscan_labels.max() + 1),
        "hdbscan_noise_share": float(np.mean(hdbscan_labels < 0)),
        "hdbscan_clusters": int(hdbscan_labels.max() + 1),
    }
    labels = pd.DataFrame(
        {
            "track_id": frame["track_id"],
            "kmeans": labelings[best["k"]],
            "dbscan": dbscan_labels,
            "hdbscan": hdbscan_labels,
            **{f"kmeans_k{k}": v for k, v in labelings.items()},
        }
    )
    return quality, labels


def run(args):
    cold, warm = {}, {}
    quality, labels = one_pass(args, cold)
    cold["load"] += time.perf_counter() - T0 - sum(cold.values())  # imports and startup
    if args.passes > 1:
        quality, labels = one_pass(args, warm)
    else:
        warm = dict(cold)
    labels.to_parquet(args.labels)
    with open(args.out, "w") as f:
        json.dump({"cold": cold, "warm": warm, "passes": args.passes, "quality": quality}, f, indent=1)


# timbral step -> Python steps it corresponds to. timbral makes one exact distance pass that
# gives every k's silhouette and the kNN graph both UMAP fits use, so that pass is counted with
# K-Means; umap-learn searches neighbours inside each fit.
STEP_MAP = [
    ("load", ["load"], ["load"]),
    ("standardise", ["standardise"], ["standardise"]),
    ("pca", ["pca"], ["pca"]),
    ("kmeans k-range + scores (+ kNN graph)", ["kmeans", "knn_silhouette"], ["kmeans"]),
    ("umap 2-D and n-D", ["umap"], ["umap_2d", "umap_nd"]),
    ("dbscan (k-dist knee)", ["dbscan"], ["dbscan"]),
    ("hdbscan n-D", ["hdbscan"], ["hdbscan"]),
    ("trustworthiness", ["quality"], ["quality"]),
]


def compare(args):
    import numpy as np
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    py = json.load(open(args.python))
    ours = {}
    for line in open(args.timbral_timings):
        parts = line.split()
        if len(parts) == 3 and parts[0] == "timing":
            ours[parts[1]] = float(parts[2])
    processed = args.timbral_processed
    quality = dict(pd.read_parquet(f"{processed}/cluster_quality.parquet").itertuples(index=False))
    selection = pd.read_parquet(f"{processed}/model_selection.parquet")
    pca = pd.read_parquet(f"{processed}/pca.parquet")
    clusters = pd.read_parquet(f"{processed}/clusters.parquet")
    py_labels = pd.read_parquet(args.labels)

    print(f"\n## Timings, seconds ({int(quality['songs'])} songs x {int(quality['features'])} features)\n")
    print(f"| step | timbral | python warm | python cold | warm / timbral | cold / timbral |")
    print("|---|---:|---:|---:|---:|---:|")
    totals = [0.0, 0.0, 0.0]
    for label, ours_steps, py_steps in STEP_MAP:
        a = sum(ours.get(s, 0.0) for s in ours_steps)
        w = sum(py["warm"].get(s, 0.0) for s in py_steps)
        c = sum(py["cold"].get(s, 0.0) for s in py_steps)
        totals = [totals[0] + a, totals[1] + w, totals[2] + c]
        print(f"| {label} | {a:.2f} | {w:.2f} | {c:.2f} | {w / max(a, 1e-9):.1f}x | {c / max(a, 1e-9):.1f}x |")
    a, w, c = totals
    print(f"| **same steps** | {a:.2f} | {w:.2f} | {c:.2f} | {w / a:.1f}x | {c / a:.1f}x |")
    extra = ours.get("stability", 0.0) + ours.get("write", 0.0)
    whole = ours.get("total", a + extra)
    print(f"| stability (3 seeds, timbral only) + write | {extra:.2f} | | | | |")
    print(f"| **whole stage** (`timbral cluster` total vs Python total) | {whole:.2f} | {w:.2f} | {c:.2f} | "
          f"{w / whole:.1f}x | {c / whole:.1f}x |")
    warm_note = "" if py.get("passes", 2) > 1 else " (one pass: 'warm' is the cold pass)"
    print(f"\nwhole stage / Python warm = {whole / w:.3f} (target <= 0.25, goal <= 0.20){warm_note}")

    q = py["quality"]
    print(f"\nPython stack: umap-learn neighbours by {q.get('umap_neighbours', '?')}, HDBSCAN from "
          f"{q.get('hdbscan_impl', 'hdbscan')}, silhouette sample {q.get('silhouette_sample') or 'none (exact)'}, "
          f"trustworthiness on {q.get('trustworthiness_sample', 'all')} songs")
    print("\n## Quality side by side\n")
    print("| figure | timbral | python |")
    print("|---|---:|---:|")
    ours_ratio = pca.sort_values("component")["explained_variance_ratio"].to_numpy()
    for i in range(5):
        print(f"| PCA ratio pc{i + 1} | {ours_ratio[i]:.6f} | {q['pca_ratio'][i]:.6f} |")
    print(f"| PCA components for 80% / 90% | {int(quality['pca_components_80'])} / {int(quality['pca_components_90'])} "
          f"| {q['pca_components_80']} / {q['pca_components_90']} |")
    py_sel = {s["k"]: s for s in q["model_selection"]}
    for row in selection.itertuples(index=False):
        s = py_sel.get(row.k)
        if s:
            print(f"| silhouette k={row.k} | {row.silhouette:.4f} | {s['silhouette']:.4f} |")
    print(f"| chosen k | {int(quality['kmeans_chosen_k'])} | {q['chosen_k']} |")
    print(f"| trustworthiness 2-D k=15 | {quality['trustworthiness_2d_k15']:.4f} | {q['trustworthiness_2d_k15']:.4f} |")
    print(f"| DBSCAN eps | {quality['dbscan_eps']:.4f} | {q['dbscan_eps']:.4f} |")
    print(f"| DBSCAN clusters / noise share | {int(quality['dbscan_clusters'])} / {quality['dbscan_noise_share']:.3f} "
          f"| {q['dbscan_clusters']} / {q['dbscan_noise_share']:.3f} |")
    print(f"| HDBSCAN clusters / noise share | {int(quality['hdbscan_clusters'])} / {quality['hdbscan_noise_share']:.3f} "
          f"| {q['hdbscan_clusters']} / {q['hdbscan_noise_share']:.3f} |")
    for name in ["kmeans", "dbscan", "hdbscan"]:
        key = f"stability_ari_{name}"
        print(f"| stability ARI {name} (3 seeds) | {quality.get(key, float('nan')):.3f} | |")

    merged = clusters.merge(py_labels, on="track_id", suffixes=("_timbral", "_python"))
    k = int(quality["kmeans_chosen_k"])
    print("\n## Agreement between the implementations (ARI)\n")
    print("| labels | ARI |")
    print("|---|---:|")
    if f"kmeans_k{k}" in merged:
        print(f"| K-Means at k={k} | {adjusted_rand_score(merged['kmeans_timbral'], merged[f'kmeans_k{k}']):.3f} |")
    print(f"| DBSCAN | {adjusted_rand_score(merged['dbscan_timbral'], merged['dbscan_python']):.3f} |")
    print(f"| HDBSCAN | {adjusted_rand_score(merged['hdbscan_timbral'], merged['hdbscan_python']):.3f} |")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("run")
    r.add_argument("--features", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--labels", required=True)
    r.add_argument("--seed", type=int, default=42)
    r.add_argument("--k-min", type=int, default=2)
    r.add_argument("--k-max", type=int, default=15)
    r.add_argument("--umap-dims", type=int, default=10)
    r.add_argument("--n-neighbors", type=int, default=15)
    r.add_argument("--min-dist", type=float, default=0.1)
    r.add_argument("--metric", default="euclidean")
    r.add_argument("--kmeans-runs", type=int, default=3)
    r.add_argument("--min-samples", type=int, default=5)
    r.add_argument("--min-cluster-size", type=int, default=5)  # timbral cluster --min-cluster-size
    r.add_argument("--silhouette-max-exact", type=int, default=20_000)  # timbral's default
    r.add_argument("--trust-max-exact", type=int, default=20_000)
    r.add_argument("--trust-sample", type=int, default=10_000)  # n x n matrices: 10k is 0.8 GB each
    r.add_argument("--hdbscan-impl", choices=["hdbscan", "sklearn"], default="hdbscan")
    r.add_argument("--passes", type=int, choices=[1, 2], default=2)
    c = sub.add_parser("compare")
    c.add_argument("--python", required=True)
    c.add_argument("--labels", required=True)
    c.add_argument("--timbral-processed", required=True)
    c.add_argument("--timbral-timings", required=True)
    args = parser.parse_args()
    if args.mode == "run":
        run(args)
    else:
        compare(args)


if __name__ == "__main__":
    sys.exit(main())
