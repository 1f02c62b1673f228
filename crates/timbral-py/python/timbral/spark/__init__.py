"""timbral on Spark: the same Rust code as the command line, scheduled by Spark.

* ``ingest``: one ``mapInArrow`` task per partition of audio paths runs ``timbral.analyze``
  (analysis and musicnn embedding of each file, decoded once) and ``timbral.features`` on its
  files (segments never cross the network) and yields one row per file; the rows are persisted
  and written as the interim and processed tables.
* ``run``: ingest, then fit ``timbral.cluster`` on a seeded sample on the driver, ship the
  fitted workdir to every executor (``SparkContext.addFile``), place every other song with
  ``mapInArrow`` (``timbral.Model.place``), and run ``timbral.similarity`` on the driver.

Tables are written where a single-machine run writes them, as directories of Parquet parts,
which every ``timbral`` command reads (``report``, ``sql``, ``eval``). See docs/scale-out.md.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import timbral

log = logging.getLogger("timbral.spark")

ERROR_FIELDS = ["source", "location", "stage", "error", "at"]
# Fit tables copied from the sample's workdir beside the placed embedding and clusters.
FIT_TABLES = ["scaler", "pca", "model_selection", "kdistance", "cluster_quality", "cluster_model"]
# What `timbral.Model` loads from a fitted workdir.
PLACEMENT_TABLES = ["features", "scaler", "cluster_model", "embedding", "clusters"]
# Files per `timbral.analyze` call: bounds a task's memory (~1,000 segments per song) while
# keeping its threads busy.
FILES_PER_CALL = 32
# Files per partition at most, so a lost task redoes minutes of work, not hours.
FILES_PER_PARTITION = 500
# Songs per placement batch: `knn="auto"` searches a batch's neighbours exactly (so a song's
# place does not depend on its batch) while batch x fitted songs < 4e8, i.e. fits up to 200k.
PLACE_BATCH = 2000
_models: dict = {}


def _model_of(key: str, shipped):
    """The model of a broadcast of fitted tables (``key`` names the fit), written to a
    task-local workdir and loaded once per Python worker."""
    if key not in _models:
        import tempfile

        processed = Path(tempfile.mkdtemp(prefix="timbral-model-")) / "data" / "processed"
        processed.mkdir(parents=True)
        for name, data in shipped.value.items():
            (processed / f"{name}.parquet").write_bytes(data)
        _models[key] = timbral.Model(processed.parent.parent)
    return _models[key]


def session(master: str, app: str = "timbral", progress: bool = True):
    """A SparkSession on ``master`` whose Python workers run this interpreter."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.task.maxFailures", "4")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(PLACE_BATCH))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", str(progress).lower())
        .getOrCreate()
    )


def _plain(t: pa.DataType) -> pa.DataType:
    """Arrow types Spark maps one to one: large strings and lists become ordinary ones, uint32
    becomes int64 (Spark has no unsigned integers; timbral casts back when it reads)."""
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(_plain(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(_plain(f.type)) for f in t])
    if pa.types.is_unsigned_integer(t):
        return pa.int64()
    return t


def _schema_of(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, _plain(f.type)) for f in schema])


def _file_schema(segments: bool, embed: bool, max_patches: int) -> pa.Schema:
    """The row a task yields per input file: the track, its features, optionally its
    segments and its embedding (a struct, null for a song without one), and the error of a file
    that failed (prefixed ``error_``). The probe checks the options on the driver, before any
    task could fail on them."""
    probe_tracks, probe_segments, probe_embeddings, probe_errors = timbral.analyze([], embed=embed, max_patches=max_patches)
    features = timbral.features(probe_segments).schema
    fields = list(_schema_of(probe_tracks.schema))
    fields += [f for f in _schema_of(features) if f.name != "track_id"]
    if segments:
        seg = pa.struct([f for f in _schema_of(probe_segments.schema) if f.name != "track_id"])
        fields.append(pa.field("segments", pa.list_(seg)))
    if embed:
        fields.append(pa.field("embedding", pa.struct([f for f in _schema_of(probe_embeddings.schema) if f.name != "track_id"])))
    fields += [pa.field(f"error_{f.name}", _plain(f.type)) for f in probe_errors.schema]
    return pa.schema(fields)


def _structs(table: pa.Table, mask: pa.Array | None = None) -> pa.StructArray:
    """The rows of ``table`` as one struct array, null where ``mask`` is true."""
    return pa.StructArray.from_arrays([c.combine_chunks() for c in table.columns], table.column_names, mask=mask)


def _rows_of(ids, table: pa.Table) -> pa.Array:
    """The row of ``table`` holding each of the track ``ids`` (null where it has none)."""
    row_of = {t: i for i, t in enumerate(table["track_id"].to_pylist())}
    return pa.array([row_of.get(t) for t in ids], pa.int64())


def _rows_of_files(paths, relative, metadata, threads, max_patches, schema: pa.Schema) -> pa.Table:
    """The analysis of some files, as rows of ``schema``: one per track, one per failure."""
    embed = "embedding" in schema.names
    tracks, segments, embeddings, errors = timbral.analyze(
        paths, relative, metadata, threads, embed=embed, max_patches=max_patches
    )
    features, excluded = timbral.features(segments, threads=threads, errors=True)
    ids = tracks["track_id"].to_pylist()
    rows = _rows_of(ids, features)
    columns = {name: tracks[name] for name in tracks.column_names}
    for name in features.column_names[1:]:
        columns[name] = features[name].take(rows)
    if embed:
        rows = _rows_of(ids, embeddings)
        columns["embedding"] = _structs(embeddings.drop_columns(["track_id"]).take(rows), mask=rows.is_null())
    if "segments" in schema.names:
        # `analyze` emits each track's segments as one contiguous run of rows.
        first, counts = {}, {}
        for i, t in enumerate(segments["track_id"].to_pylist()):
            first.setdefault(t, i)
            counts[t] = counts.get(t, 0) + 1
        order = [j for t in ids for j in range(first.get(t, 0), first.get(t, 0) + counts.get(t, 0))]
        offsets = [0]
        for t in ids:
            offsets.append(offsets[-1] + counts.get(t, 0))
        body = segments.drop_columns(["track_id"]).take(pa.array(order, pa.int64()))
        columns["segments"] = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), _structs(body))
    good = pa.table(columns)
    # Tracks `features` leaves out get the row `timbral features` writes (stage `features`).
    failures = pa.concat_tables([errors, excluded])
    bad = failures.rename_columns([f"error_{name}" for name in failures.column_names])
    return pa.concat_tables([_conform(good, schema), _conform(bad, schema)])


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with ``schema``'s columns in order, absent ones null."""
    return pa.table(
        [table[f.name].cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type) for f in schema],
        schema=schema,
    )


def ingest(
    spark,
    dirs,
    workdir,
    metadata=None,
    segments=False,
    embed=True,
    max_patches=timbral.DEFAULT_MAX_PATCHES,
    partitions=None,
    threads_per_task=1,
):
    """Analysis, embeddings (unless not ``embed``) and features of the audio under ``dirs``
    into ``workdir``; returns the persisted per-file DataFrame (the caller unpersists it)."""
    from pyspark import SparkFiles, StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    wd = Path(workdir)
    files, scan_errors = timbral.scan(dirs)
    if files.num_rows == 0:
        raise timbral.TimbralError(f"no audio files found under {', '.join(map(str, dirs))}")
    sc = spark.sparkContext
    meta_name = None
    if metadata is not None:
        sc.addFile(str(Path(metadata).resolve()))
        meta_name = Path(metadata).name
    partitions = partitions or min(files.num_rows, max(2 * sc.defaultParallelism, -(-files.num_rows // FILES_PER_PARTITION)))
    schema = _file_schema(segments, embed, max_patches)
    log.info("%d audio files in %d partitions", files.num_rows, partitions)
    paths = sc.parallelize(list(zip(files["path"].to_pylist(), files["relative"].to_pylist())), partitions)

    def analyse(batches):
        meta = SparkFiles.get(meta_name) if meta_name else None
        for batch in batches:
            for at in range(0, batch.num_rows, FILES_PER_CALL):
                chunk = batch.slice(at, FILES_PER_CALL)
                rows = _rows_of_files(
                    chunk["path"].to_pylist(), chunk["relative"].to_pylist(), meta, threads_per_task, max_patches, schema
                )
                yield from rows.to_batches()

    per_file = (
        paths.toDF("path string, relative string")
        .mapInArrow(analyse, from_arrow_schema(schema))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    track_cols = [f.name for f in _schema_of(timbral.analyze([])[0].schema)]
    nested = ["segments", "embedding"]
    feature_cols = ["track_id"] + [n for n in schema.names if n not in track_cols + nested and not n.startswith("error_")]
    ok = per_file.filter(F.col("track_id").isNotNull())
    # The same content in two partitions: keep the first file, as `timbral ingest audio` does.
    # Only the (rare) duplicated ids are broadcast; segments are never shuffled.
    dups = ok.groupBy("track_id").agg(F.count("*").alias("n"), F.min("location").alias("_keep")).filter("n > 1")
    if dups.take(1):
        keep = F.broadcast(dups.select("track_id", "_keep"))
        ok = ok.join(keep, "track_id", "left").filter(F.col("_keep").isNull() | (F.col("location") == F.col("_keep"))).drop("_keep")

    def write(frame, layer, table):
        started = time.time()
        frame.write.mode("overwrite").parquet(str(wd / "data" / layer / f"{table}.parquet"))
        log.info("wrote %s/%s in %.1f s", layer, table, time.time() - started)

    write(ok.select(track_cols), "interim", "tracks")
    write(ok.filter(F.col("t0").isNotNull()).select(feature_cols), "processed", "features")
    if segments:
        write(ok.select("track_id", F.posexplode("segments")).select("track_id", "col.*"), "interim", "segments")
    if embed:
        write(ok.filter(F.col("embedding").isNotNull()).select("track_id", "embedding.*"), "interim", "embeddings")
    # An optional table left by an earlier ingest would describe another library (and decide
    # `similarity`'s `auto` space): the tables written here replace the workdir's.
    for table in [name for name, wanted in [("segments", segments), ("embeddings", embed)] if not wanted]:
        stale = wd / "data" / "interim" / f"{table}.parquet"
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink(missing_ok=True)
    artists = ok.groupBy("artist_id").agg(
        F.min_by("artist_name", "track_id").alias("artist_name"),
        F.array_sort(F.array_distinct(F.flatten(F.collect_list("genres")))).alias("genres"),
    )
    write(artists, "interim", "artists")
    failed = (
        per_file.filter(F.col("error_location").isNotNull())
        .select([F.col(f"error_{k}").alias(k) for k in ERROR_FIELDS])
        .dropDuplicates(["source", "location", "stage", "error"])
    )
    if scan_errors.num_rows:
        failed = failed.unionByName(spark.createDataFrame(scan_errors.cast(_schema_of(scan_errors.schema))))
    write(failed, "interim", "ingest_errors")
    return per_file


def run(spark, dirs, workdir, metadata=None, sample=100_000, seed=42, **ingest_options):
    """Ingest, fit on a seeded sample of ``sample`` songs, place the rest, similarity."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    wd = Path(workdir)
    threads = ingest_options.get("threads_per_task", 1)
    per_file = ingest(spark, dirs, wd, metadata, **ingest_options)
    features = spark.read.parquet(str(wd / "data/processed/features.parquet"))
    picked = features.withColumn("_h", F.xxhash64(F.lit(seed), "track_id")).orderBy("_h", "track_id").limit(sample).drop("_h")
    fit = wd / "fit"
    shutil.rmtree(fit, ignore_errors=True)
    (fit / "data" / "processed").mkdir(parents=True)
    pq.write_table(picked.toArrow().sort_by("track_id"), fit / "data/processed/features.parquet")
    log.info("fitting on %d songs: %s", pq.read_metadata(fit / "data/processed/features.parquet").num_rows, timbral.cluster(fit, seed=seed))

    fitted_embedding = pq.read_table(fit / "data/processed/embedding.parquet")
    fitted_clusters = pq.read_table(fit / "data/processed/clusters.parquet")
    placed_schema = _schema_of(pa.unify_schemas([fitted_embedding.schema, fitted_clusters.schema]))
    rest = features.join(picked.select("track_id"), "track_id", "left_anti")
    to_place = rest.count()
    # The fitted tables travel as a broadcast (addFile refuses directories on a cluster).
    tables = {name: (fit / "data/processed" / f"{name}.parquet").read_bytes() for name in PLACEMENT_TABLES}
    key = hashlib.sha256(b"".join(tables.values())).hexdigest()
    shipped = spark.sparkContext.broadcast(tables)

    def place(batches):
        model = _model_of(key, shipped)
        for batch in batches:
            if batch.num_rows:
                embedding, clusters = model.place(batch, seed=seed, catalogue_songs=to_place, threads=threads)
                both = pa.table({**{n: embedding[n] for n in embedding.column_names}, **{n: clusters[n] for n in clusters.column_names[1:]}})
                yield from _conform(both, placed_schema).to_batches()

    placed = rest.mapInArrow(place, from_arrow_schema(placed_schema)).persist()
    for table, fitted in [("embedding", fitted_embedding), ("clusters", fitted_clusters)]:
        columns = fitted.column_names
        rows = spark.createDataFrame(fitted.cast(_schema_of(fitted.schema))).unionByName(placed.select(columns))
        rows.write.mode("overwrite").parquet(str(wd / "data/processed" / f"{table}.parquet"))
    for table in FIT_TABLES:
        shutil.copy(fit / "data/processed" / f"{table}.parquet", wd / "data/processed" / f"{table}.parquet")
    placed.unpersist()
    log.info("similarity: %s", timbral.similarity(wd, seed=seed))
    per_file.unpersist()
