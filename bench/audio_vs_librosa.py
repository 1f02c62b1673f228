#!/usr/bin/env python3
"""Throughput of timbral's audio analyser against librosa on the same files, same machine, same run.

Usage:
  python3 bench/audio_vs_librosa.py [--corpus DIR] [--limit N] [--jobs 1,2] [--binary PATH] [--no-build]

timbral: `cargo build --release -p timbral-audio --example analyze_dir` (unless --no-build), then the
example is run once per --jobs value; it decodes (symphonia, streaming), resamples to 22050 Hz mono and
computes the full analysis (onsets/segments, loudness, chroma, timbre, tempo, key) for every file.

librosa (0.11): per file, librosa.load(sr=22050, mono) then onset_strength + onset_detect, mfcc(n_mfcc=12),
chroma_stft and beat_track — the workload the issue quotes (~99x real time warm). Each worker process
warms numba's JIT on a 5 s synthetic signal before the clock starts (the ~29 s first-call cost is excluded).

Printed per tool and job count: seconds of audio analysed per wall-clock second, the same per core
(divided by jobs), peak resident memory (timbral: VmHWM of the process; librosa: largest worker
ru_maxrss), and the timbral/librosa ratio of per-core throughput.

Needs: pip install "librosa==0.11.*" (numpy, soundfile, numba come with it).
"""
import argparse
import multiprocessing as mp
import os
import re
import resource
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AUDIO_EXT = (".ogg", ".oga", ".mp3", ".flac", ".wav", ".m4a", ".aac", ".opus")
SR = 22050


def list_files(corpus, limit):
    files = []
    for root, _dirs, names in os.walk(corpus):
        files += [os.path.join(root, n) for n in names if n.lower().endswith(AUDIO_EXT)]
    files.sort()
    return files[:limit] if limit else files


def build_binary():
    subprocess.run(["cargo", "build", "--release", "-p", "timbral-audio", "--example", "analyze_dir"], cwd=REPO, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    return os.path.join(target, "release", "examples", "analyze_dir")


def run_timbral(binary, corpus, limit, jobs):
    cmd = [binary, corpus, "--jobs", str(jobs)] + (["--limit", str(limit)] if limit else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    line = next(l for l in proc.stderr.splitlines() if l.startswith("SUMMARY"))
    fields = dict(re.findall(r"(\w+)=([^\s]+)", line))
    if int(fields["failed"]) > 0:
        print(f"warning: timbral failed on {fields['failed']} files", file=sys.stderr)
    return float(fields["audio_s"]), float(fields["wall_s"]), float(fields["peak_rss_mib"])


def _librosa_warmup():
    import librosa
    import numpy as np

    t = np.arange(5 * SR) / SR
    y = (0.3 * np.sin(2 * np.pi * 440 * t) * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)
    _librosa_features(y)


def _librosa_features(y):
    import librosa

    env = librosa.onset.onset_strength(y=y, sr=SR)
    librosa.onset.onset_detect(onset_envelope=env, sr=SR)
    librosa.feature.mfcc(y=y, sr=SR, n_mfcc=12)
    librosa.feature.chroma_stft(y=y, sr=SR)
    librosa.beat.beat_track(onset_envelope=env, sr=SR)


def _librosa_file(path):
    import librosa

    y, _ = librosa.load(path, sr=SR, mono=True)
    _librosa_features(y)
    return len(y) / SR, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_librosa(files, jobs):
    ctx = mp.get_context("spawn")
    with ctx.Pool(jobs, initializer=_librosa_warmup) as pool:
        # Make sure every worker has finished its warm-up before timing.
        pool.map(time.sleep, [0.5] * jobs)
        start = time.perf_counter()
        results = pool.map(_librosa_file, files, chunksize=1)
        wall = time.perf_counter() - start
    return sum(r[0] for r in results), wall, max(r[1] for r in results)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/work/dev-audio")
    ap.add_argument("--limit", type=int, default=0, help="only the first N files (sorted by path)")
    ap.add_argument("--jobs", default="1,2")
    ap.add_argument("--binary", help="prebuilt analyze_dir example")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()

    files = list_files(args.corpus, args.limit)
    binary = args.binary or (os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")), "release", "examples", "analyze_dir") if args.no_build else build_binary())
    print(f"{len(files)} files from {args.corpus}; {os.cpu_count()} logical CPUs; load avg {os.getloadavg()[0]:.2f}")
    print(f"{'tool':8} {'jobs':>4} {'audio_s':>9} {'wall_s':>8} {'x_realtime':>10} {'x_per_core':>10} {'peak_MiB':>9}")
    per_core = {}
    for jobs in [int(j) for j in args.jobs.split(",")]:
        for tool in ("timbral", "librosa"):
            if tool == "timbral":
                audio, wall, peak = run_timbral(binary, args.corpus, args.limit, jobs)
            else:
                audio, wall, peak = run_librosa(files, jobs)
            per_core[(tool, jobs)] = audio / wall / jobs
            print(f"{tool:8} {jobs:>4} {audio:>9.1f} {wall:>8.2f} {audio / wall:>10.1f} {audio / wall / jobs:>10.1f} {peak:>9.1f}", flush=True)
        print(f"ratio timbral/librosa per core, jobs={jobs}: {per_core[('timbral', jobs)] / per_core[('librosa', jobs)]:.2f}x", flush=True)


if __name__ == "__main__":
    main()
