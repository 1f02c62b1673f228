#!/usr/bin/env python3
"""Reference musicnn song embeddings of the development corpus, and their genre pair AUC.

    python3 crates/timbral-embed/model/reference_embeddings.py [--corpus /tmp/dev-audio]
        [--model crates/timbral-embed/model/MSD_musicnn.onnx] [--out /tmp/reference_embeddings.csv]
        [--batch 32] [--threads 1] [--from-csv FILE]

The corpus is /work/shared/scripts/fetch-dev-audio's (METADATA.csv: path, artist, genre, ...).
Per file: librosa.load(path, sr=16000) (mono, soxr_hq), the fixed musicnn front end
(melspectrogram sr=16000 n_fft=512 hop=256 n_mels=96, transposed, float16 round trip,
log10(10000 x + 1) in float32), all non-overlapping 187-frame patches from frame 0 (a partial tail
dropped), onnxruntime (CPU, --threads intra/inter-op threads) in batches of --batch patches; the
song embedding is the mean over the patches of the 200-D `penultimate` output. Writes CSV
`path,dim_0..dim_199` (the corpus-relative path).

Then prints the genre pair AUC under cosine distance: over all song pairs with a genre, the ROC AUC
of -cosine distance (= cosine similarity) for "same METADATA `genre` value" against "different"
(ties count one half), and, for context, the same for `artist`. --from-csv skips the embedding and
scores an existing CSV. Needs bench/requirements-embed.txt (onnxruntime, numpy, safetensors,
librosa, soundfile).
"""
import argparse
import csv
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
N_FRAMES = 187


def logmel(y):
    import librosa

    mel = librosa.feature.melspectrogram(y=y, sr=16000, hop_length=256, n_fft=512, n_mels=96).T
    return np.log10(10000 * mel.astype(np.float16).astype(np.float32) + 1).astype(np.float32)


def patches_of(lm):
    starts = range(0, lm.shape[0] - N_FRAMES + 1, N_FRAMES)
    return np.stack([lm[s : s + N_FRAMES] for s in starts]) if len(starts) else None


def pair_auc(emb, labels):
    """ROC AUC of cosine similarity for 'same label' over all pairs i < j (Mann-Whitney, ties 1/2)."""
    e = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    sim = e @ e.T
    iu = np.triu_indices(len(labels), 1)
    lab = np.asarray(labels, dtype=object)
    pos = lab[iu[0]] == lab[iu[1]]
    s = sim[iu]
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    # average ranks over ties
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    auc = (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return auc, n_pos, n_neg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/tmp/dev-audio")
    ap.add_argument("--model", default=os.path.join(HERE, "MSD_musicnn.onnx"))
    ap.add_argument("--out", default="/tmp/reference_embeddings.csv")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--from-csv", default="")
    args = ap.parse_args()

    rows = list(csv.DictReader(open(os.path.join(args.corpus, "METADATA.csv"))))
    meta = {r["path"]: r for r in rows}

    if args.from_csv:
        with open(args.from_csv) as f:
            rd = csv.reader(f)
            next(rd)
            data = [(r[0], np.array(r[1:], dtype=np.float64)) for r in rd]
    else:
        import librosa
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = args.threads
        sess = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
        data, n_patches, t0 = [], 0, time.time()
        for k, r in enumerate(rows):
            y, _ = librosa.load(os.path.join(args.corpus, r["path"]), sr=16000)
            p = patches_of(logmel(y))
            if p is None:
                print(f"skipped (shorter than 187 frames): {r['path']}", file=sys.stderr)
                continue
            pen = np.concatenate([sess.run(["penultimate"], {"patches": p[i : i + args.batch]})[0] for i in range(0, len(p), args.batch)])
            data.append((r["path"], pen.astype(np.float64).mean(axis=0)))
            n_patches += len(p)
            if (k + 1) % 10 == 0:
                print(f"{k + 1}/{len(rows)} files, {n_patches} patches, {time.time() - t0:.0f} s", file=sys.stderr)
        with open(args.out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["path"] + [f"dim_{i}" for i in range(data[0][1].size)])
            for path, e in data:
                w.writerow([path] + [f"{v:.7g}" for v in e])
        print(f"wrote {args.out}: {len(data)} songs, {n_patches} patches, {time.time() - t0:.0f} s")

    emb = np.stack([e for _, e in data])
    for field in ("genre", "artist"):
        labels = [meta[p][field] for p, _ in data]
        auc, n_pos, n_neg = pair_auc(emb, labels)
        print(f"{field}_pair_auc_cosine={auc:.4f} (pairs: {n_pos} same {field}, {n_neg} different; {len(data)} songs)")


if __name__ == "__main__":
    main()
