"""``python -m timbral.spark ingest|run --master URL --audio DIR [--metadata CSV] --workdir WD``."""

from __future__ import annotations

import argparse
import logging
import time

from . import ingest, run, session


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m timbral.spark", description=__doc__)
    parser.add_argument("command", choices=["ingest", "run"], help="ingest: analysis + features; run: ingest, fit on a sample, place, similarity")
    parser.add_argument("--master", required=True, help="Spark master URL: local-cluster[2,1,1024], spark://HOST:7077, yarn, ...")
    parser.add_argument("--audio", action="append", required=True, help="a directory of audio files (repeatable)")
    parser.add_argument("--metadata", help="CSV of path, artist, title, album, genre overrides (as `timbral ingest audio`)")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--segments", action="store_true", help="also write the interim segments table")
    parser.add_argument("--partitions", type=int, help="partitions of the file list (default: 2 x the cluster's cores)")
    parser.add_argument("--threads-per-task", type=int, default=1, help="analysis threads in each task (match spark.task.cpus)")
    parser.add_argument("--sample", type=int, default=100_000, help="run: songs the cluster model is fitted on (seeded)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quiet", action="store_true", help="no logs and no Spark progress bars")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(asctime)s %(name)s %(message)s")

    started = time.time()
    spark = session(args.master, progress=not args.quiet)
    spark.sparkContext.setLogLevel("ERROR")
    options = dict(metadata=args.metadata, segments=args.segments, partitions=args.partitions, threads_per_task=args.threads_per_task)
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
