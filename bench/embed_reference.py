#!/usr/bin/env python3
"""onnxruntime reference timing of the musicnn network, for comparison with timbral-embed (Rust).

Usage:
  python3 bench/embed_reference.py [--model crates/timbral-embed/model/MSD_musicnn.onnx]
      [--patches crates/timbral-embed/tests/fixtures/network.safetensors] [--key patches]
      [--n 64] [--batch 1] [--warmup 2] [--repeat 3] [--threads 1]

--patches: a safetensors file (tensor --key, default `patches`) or a .npy file, float32
[M, 187, 96] log-mel patches; the N timed patches cycle through its M patches. onnxruntime runs on
CPU with intra-op and inter-op threads = --threads (default 1), sequential execution, default graph
optimisations; N patches are run in batches of --batch (a last partial batch included). After
--warmup untimed batches, the N patches are timed --repeat times and the fastest pass is reported:

  onnxruntime_ms_per_patch=<x>

(plus one line of context on stderr). Needs bench/requirements-embed.txt.
"""
import argparse
import os
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_patches(path, key):
    if path.endswith(".npy"):
        x = np.load(path)
    else:
        from safetensors.numpy import load_file

        x = load_file(path)[key]
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3 or x.shape[1:] != (187, 96):
        sys.exit(f"{path}: patches of shape {x.shape}, expected [M, 187, 96]")
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.path.join(REPO, "crates/timbral-embed/model/MSD_musicnn.onnx"))
    ap.add_argument("--patches", default=os.path.join(REPO, "crates/timbral-embed/tests/fixtures/network.safetensors"))
    ap.add_argument("--key", default="patches")
    ap.add_argument("--n", type=int, default=64, help="patches timed per pass")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    import onnxruntime as ort

    src = load_patches(args.patches, args.key)
    x = src[np.arange(args.n) % len(src)]
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = args.threads
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    batches = [x[i : i + args.batch] for i in range(0, args.n, args.batch)]
    for b in batches[: max(args.warmup, 0)] or batches[:1]:
        sess.run(None, {name: b})
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for b in batches:
            sess.run(None, {name: b})
        best = min(best, time.perf_counter() - t0)
    ms = best * 1000 / args.n
    print(
        f"model={os.path.basename(args.model)} onnxruntime={ort.__version__} threads={args.threads} "
        f"batch={args.batch} n={args.n} repeat={args.repeat} (fastest pass)",
        file=sys.stderr,
    )
    print(f"onnxruntime_ms_per_patch={ms:.3f}")


if __name__ == "__main__":
    main()
