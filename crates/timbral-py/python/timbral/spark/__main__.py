"""``python -m timbral.spark ingest|run --master URL --audio DIR [--metadata CSV] --workdir WD``."""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from importlib import metadata

from timbral import DEFAULT_MAX_PATCHES

from . import ingest, run, session

INSTALL = "pip install './crates/timbral-py[spark]' (in a clone), or pip install --find-links dist 'timbral[spark]' (a built wheel in dist/)"


def _version(text: str) -> tuple[int, ...]:
    """The leading numeric parts of a version: '2.2.3' -> (2, 2, 3), '4.0.0.dev1' -> (4, 0, 0)."""
    return tuple(int(part) for part in re.findall(r"\d+", text.split("+")[0])[:3])


def unmet_spark_requirements() -> list[str]:
    """The `spark` extra's requirements (from the installed package's metadata) that are missing
    or older than their minimum, each as 'name (why)'. pyspark imports pandas only inside
    `mapInArrow`, so without this check a missing pandas fails minutes later, in a task."""
    unmet = []
    for requirement in metadata.requires("timbral") or []:
        spec, _, marker = requirement.partition(";")
        if not re.search(r"""extra\s*==\s*["']spark["']""", marker):
            continue
        name = re.match(r"[A-Za-z0-9_.-]+", spec.strip()).group(0)
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            unmet.append(f"{name} (not installed)")
            continue
        for minimum in re.findall(r">=\s*([0-9][0-9.]*)", spec):
            if _version(installed) < _version(minimum):
                unmet.append(f"{name} (version {installed} installed, >= {minimum} needed)")
    return unmet


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m timbral.spark", description=__doc__)
    parser.add_argument("command", choices=["ingest", "run"], help="ingest: analysis + features; run: ingest, fit on a sample, place, similarity")
    parser.add_argument("--master", required=True, help="Spark master URL: local-cluster[2,1,1024], spark://HOST:7077, yarn, ...")
    parser.add_argument("--audio", action="append", required=True, help="a directory of audio files (repeatable)")
    parser.add_argument("--metadata", help="CSV of path, artist, title, album, genre overrides (as `timbral ingest audio`)")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--segments", action="store_true", help="also write the interim segments table")
    parser.add_argument("--no-embed", action="store_true", help="skip the musicnn embeddings (as `timbral ingest audio --no-embed`)")
    parser.add_argument("--max-patches", type=int, default=DEFAULT_MAX_PATCHES, help="3-second patches embedded per song at most")
    parser.add_argument("--partitions", type=int, help="partitions of the file list (default: 2 x the cluster's cores)")
    parser.add_argument("--threads-per-task", type=int, default=1, help="analysis threads in each task (match spark.task.cpus)")
    parser.add_argument("--sample", type=int, default=100_000, help="run: songs the cluster model is fitted on (seeded)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quiet", action="store_true", help="no logs and no Spark progress bars")
    args = parser.parse_args(argv)
    unmet = unmet_spark_requirements()
    if unmet:
        print(f"error: the Spark job needs {', '.join(unmet)}; install them with\n  {INSTALL}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(asctime)s %(name)s %(message)s")

    started = time.time()
    spark = session(args.master, progress=not args.quiet)
    spark.sparkContext.setLogLevel("ERROR")
    options = dict(
        metadata=args.metadata,
        segments=args.segments,
        embed=not args.no_embed,
        max_patches=args.max_patches,
        partitions=args.partitions,
        threads_per_task=args.threads_per_task,
    )
    try:
        if args.command == "ingest":
            ingest(spark, args.audio, args.workdir, **options).unpersist()
        else:
            run(spark, args.audio, args.workdir, sample=args.sample, seed=args.seed, **options)
    finally:
        spark.stop()
    logging.getLogger("timbral.spark").info("%s finished in %.1f s", args.command, time.time() - started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
