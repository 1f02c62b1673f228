"""The Spark job on a real 2-executor cluster on loopback (`local-cluster[2,1,1024]`: a master,
two workers and their executor JVMs), against the single-machine command line on the same
audio: same tables, a corrupt file recorded, and a killed executor retried."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import polars as pl
import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import timbral
import timbral.spark as tspark

REPO = Path(__file__).resolve().parents[3]
BIN = os.environ.get("TIMBRAL_BIN", str(REPO / "target" / "debug" / "timbral"))
# Files of the development corpus in the default (CI) run: the first file of each of this
# many artists, by sorted path. TIMBRAL_SPARK_FULL=1 takes the whole corpus.
SUBSET_ARTISTS = 14
SAMPLE = 10
# Without the corpus: generated recordings (distinct tones, chords and noise bursts per
# "artist"), written as WAV and decoded by the real analyzer.
GENERATED_SONGS = 12


def cli(workdir: Path, *args: str) -> None:
    subprocess.run([BIN, "--quiet", "--workdir", str(workdir), *args], check=True)


def table(workdir: Path, layer: str, name: str) -> pl.DataFrame:
    """A table as a file or as Spark's directory of parts, sorted by its natural key."""
    path = workdir / "data" / layer / f"{name}.parquet"
    frame = pl.read_parquet(path / "*.parquet" if path.is_dir() else path)
    keys = [k for k in ["track_id", "seg", "artist_id", "relation", "rank", "location"] if k in frame.columns]
    return frame.sort(keys)


def assert_same(got: pl.DataFrame, want: pl.DataFrame, rtol: float = 0.0, skip=()) -> None:
    assert got.columns == want.columns
    assert got.height == want.height
    for name in want.columns:
        if name in skip:
            continue
        a, b = got[name], want[name]
        if a.dtype.is_float():
            worst = ((a - b).abs() / b.abs().clip(lower_bound=1e-3)).max() or 0.0
            assert worst <= rtol, f"{name}: relative difference {worst}"
        else:
            assert a.cast(b.dtype).to_list() == b.to_list(), name


def write_song(path: Path, index: int, seconds: float = 6.0, rate: int = 22050) -> None:
    """A 16-bit mono WAV: a chord whose root depends on the song, with notes every quarter
    second and seeded noise bursts, so every song has distinct content and segments."""
    import math
    import random
    import struct
    import wave

    rng = random.Random(index)
    root = 110.0 * 2 ** ((index % 4) * 3 / 12) * (1 + index // 4)
    frames = bytearray()
    for n in range(int(seconds * rate)):
        t = n / rate
        note = int(t * 4)
        envelope = math.exp(-6 * (t * 4 - note))
        tone = sum(math.sin(2 * math.pi * root * r * (1 + (note % 3) / 12) * t) for r in (1, 1.25, 1.5))
        noise = rng.uniform(-1, 1) * (0.6 if note % (2 + index % 3) == 0 else 0.05)
        frames += struct.pack("<h", int(6000 * (envelope * tone + noise)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))


@pytest.fixture(scope="module")
def audio(tmp_path_factory) -> Path:
    """The audio of the test, a metadata CSV and a corrupt file."""
    folder = tmp_path_factory.mktemp("spark-audio")
    corpus = os.environ.get("TIMBRAL_DEV_AUDIO")
    with open(folder / "METADATA.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["path", "artist", "title", "genre"])
        if corpus:
            rows = sorted(csv.DictReader(open(Path(corpus) / "METADATA.csv")), key=lambda r: r["path"])
            firsts = {}
            for r in rows:
                firsts.setdefault(r["artist"], r)
            full = os.environ.get("TIMBRAL_SPARK_FULL") == "1"
            chosen = rows if full else [firsts[a] for a in sorted(firsts)[:SUBSET_ARTISTS]]
            for r in chosen:
                (folder / r["path"]).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(Path(corpus) / r["path"], folder / r["path"])
                writer.writerow([r["path"], r["artist"], r["title"], r["genre"]])
        else:
            for i in range(GENERATED_SONGS):
                name = f"song-{i:02d}.wav"
                write_song(folder / name, i)
                writer.writerow([name, f"Artist {i % 4}", f"Song {i}", ["folk", "metal"][i % 2]])
    (folder / "broken.ogg").write_bytes(b"OggS" + bytes(range(256)) * 8)
    return folder


@pytest.fixture(scope="module")
def spark():
    started = time.time()
    session = tspark.session("local-cluster[2,1,1024]", progress=False)
    session.sparkContext.setLogLevel("ERROR")
    print(f"\n[spark] 2-worker loopback cluster started in {time.time() - started:.1f} s")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def reference(audio, tmp_path_factory) -> Path:
    """`timbral ingest audio --jobs 2` and `timbral features` on the same audio."""
    workdir = tmp_path_factory.mktemp("cli")
    started = time.time()
    cli(workdir, "ingest", "audio", str(audio), "--metadata", str(audio / "METADATA.csv"), "--jobs", "2")
    seconds = time.time() - started
    cli(workdir, "features")
    songs = table(workdir, "interim", "tracks").height
    print(f"\n[cli] ingest audio --jobs 2: {songs} songs in {seconds:.1f} s ({songs / seconds:.2f} songs/s)")
    return workdir


def spark_ingest(spark, audio: Path, workdir: Path, partitions: int) -> float:
    started = time.time()
    tspark.ingest(spark, [audio], workdir, audio / "METADATA.csv", partitions=partitions).unpersist()
    return time.time() - started


@pytest.fixture(scope="module")
def ingested(spark, audio, tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("spark-ingest")
    seconds = spark_ingest(spark, audio, workdir, partitions=6)
    songs = table(workdir, "interim", "tracks").height
    print(f"\n[spark] ingest on 2 executors: {songs} songs in {seconds:.1f} s ({songs / seconds:.2f} songs/s)")
    return workdir


def assert_ingest_equal(workdir: Path, reference: Path) -> None:
    assert_same(table(workdir, "interim", "tracks"), table(reference, "interim", "tracks"))
    assert_same(table(workdir, "interim", "artists"), table(reference, "interim", "artists"))
    assert_same(table(workdir, "processed", "features"), table(reference, "processed", "features"), rtol=1e-9)
    # The same Rust code on the same decoded signal: equal to the last bit.
    assert_same(table(workdir, "interim", "embeddings"), table(reference, "interim", "embeddings"))
    errors = table(workdir, "interim", "ingest_errors")
    assert_same(errors, table(reference, "interim", "ingest_errors"), skip={"at"})
    assert errors["location"].to_list()[-1].endswith("broken.ogg")


def test_a_task_nests_each_files_segments_and_embedding_in_its_row(audio):
    """What an ingest task yields (no Spark needed): per track one row with its features, its
    segments and its embedding, equal to `timbral.analyze`'s tables; per failure an error row."""
    relative = [r for r in timbral.scan([audio])[0]["relative"].to_pylist() if r != "broken.ogg"][:2] + ["broken.ogg"]
    paths = [str(audio / r) for r in relative]
    schema = tspark._file_schema(segments=True, embed=True, max_patches=timbral.DEFAULT_MAX_PATCHES)
    rows = tspark._rows_of_files(paths, relative, None, 1, timbral.DEFAULT_MAX_PATCHES, schema)
    assert rows.schema == schema
    _, segments, embeddings, errors = timbral.analyze(paths, relative)
    ok = rows.filter(pc.is_valid(rows["track_id"])).sort_by("track_id")
    for nested, want in [
        (ok["embedding"], embeddings.sort_by("track_id")),
        (pc.list_flatten(ok["segments"]), segments.sort_by([("track_id", "ascending"), ("seg", "ascending")])),
    ]:
        got = pa.Table.from_struct_array(nested)
        assert got.column_names == want.column_names[1:]
        for name in got.column_names:
            assert got[name].to_pylist() == want[name].to_pylist(), name
    assert rows.filter(pc.is_valid(rows["error_location"]))["error_location"].to_pylist() == errors["location"].to_pylist()


def test_spark_ingest_equals_the_single_machine_ingest(ingested, reference):
    assert_ingest_equal(ingested, reference)
    # timbral itself reads the partitioned tables, Spark's int64 `patches` cast back to u32.
    for query in ["SELECT count(*) AS n FROM features", "SELECT track_id, patches FROM embeddings ORDER BY track_id"]:
        spark_out, cli_out = (
            subprocess.run([BIN, "--workdir", str(wd), "sql", query, "--format", "csv"], check=True, capture_output=True, text=True).stdout
            for wd in (ingested, reference)
        )
        assert spark_out == cli_out, query


def test_spark_run_equals_fit_on_the_sample_then_place(spark, audio, reference, tmp_path):
    workdir = tmp_path / "wd"
    tspark.run(spark, [audio], workdir, audio / "METADATA.csv", sample=SAMPLE, seed=42, partitions=6)
    sample = table(workdir / "fit", "processed", "features")["track_id"]
    assert sample.len() == SAMPLE

    # The single-machine equivalent: fit on the same sample, then `timbral place`.
    fit = tmp_path / "fit"
    (fit / "data" / "processed").mkdir(parents=True)
    table(reference, "processed", "features").filter(pl.col("track_id").is_in(sample.implode())).write_parquet(
        fit / "data/processed/features.parquet"
    )
    cli(fit, "cluster")
    single = tmp_path / "single"
    shutil.copytree(reference, single)
    for f in (fit / "data" / "processed").iterdir():
        if f.name != "features.parquet":
            shutil.copy(f, single / "data" / "processed" / f.name)
    cli(single, "place")
    # The Spark workdir has every song's embedding (and, without `--segments`, no segments), so
    # `auto` recommends in the musicnn space.
    cli(single, "similarity", "--space", "musicnn")
    for name in ["embedding", "clusters", "scaler", "model_selection"]:
        assert_same(table(workdir, "processed", name), table(single, "processed", name), rtol=1e-12)
    for name in ["artist_similarity", "recommendations", "intra_artist", "genre_density"]:
        assert_same(table(workdir, "processed", name), table(single, "processed", name), rtol=1e-9)
    assert table(workdir, "processed", "embedding")["placed"].sum() == table(reference, "processed", "features").height - SAMPLE
    # The commands that read a finished run work on the Spark workdir unchanged.
    cli(workdir, "eval")
    cli(workdir, "report")
    assert (workdir / "reports" / "index.html").stat().st_size > 0


def test_a_killed_executor_is_retried_and_the_output_is_complete(spark, audio, ingested, tmp_path):
    workdir = tmp_path / "wd"
    outcome = {}

    def job():
        try:
            outcome["seconds"] = spark_ingest(spark, audio, workdir, partitions=12)
        except Exception as e:  # reported by the assertion below
            outcome["error"] = e

    worker = threading.Thread(target=job)
    worker.start()
    tracker = spark.sparkContext.statusTracker()
    victim = None
    deadline = time.time() + 120
    while victim is None and time.time() < deadline and worker.is_alive():
        running = [s for s in (tracker.getStageInfo(i) for i in tracker.getActiveStageIds()) if s and s.numActiveTasks > 0]
        executors = [p for p in psutil.process_iter(["cmdline"]) if "CoarseGrainedExecutorBackend" in " ".join(p.info["cmdline"] or [])]
        if running and len(executors) == 2:
            victim = executors[0]
            victim.kill()
        time.sleep(0.2)
    worker.join()
    assert victim is not None, "no executor was running a task to kill"
    assert "error" not in outcome, outcome.get("error")
    print(f"\n[spark] ingest with an executor killed mid-job: {outcome['seconds']:.1f} s")
    assert_ingest_equal(workdir, ingested)
