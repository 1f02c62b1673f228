"""The binding against the command line: the same audio, segments and fits through
`import timbral` and through the `timbral` binary must give the same tables."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import timbral

REPO = Path(__file__).resolve().parents[3]
BIN = os.environ.get("TIMBRAL_BIN", str(REPO / "target" / "debug" / "timbral"))
# Real recordings committed as test fixtures (see each crate's tests/fixtures).
AUDIO_FIXTURES = [
    REPO / "crates/timbral-ingest/tests/fixtures/clip.ogg",
    REPO / "crates/timbral-audio/tests/fixtures/chord.ogg",
    REPO / "crates/timbral-audio/tests/fixtures/chord.flac",
    REPO / "crates/timbral-audio/tests/fixtures/chord.mp3",
    REPO / "crates/timbral-fuzz/seeds/audio/seed.wav",
]


def cli(workdir: Path, *args: str) -> None:
    subprocess.run([BIN, "--quiet", "--workdir", str(workdir), *args], check=True)


def read(workdir: Path, layer: str, table: str) -> pa.Table:
    """A table as the CLI wrote it, with polars' string views as plain strings (which every
    pyarrow compute kernel takes)."""
    return plain(pq.read_table(workdir / "data" / layer / f"{table}.parquet"))


def plain(table: pa.Table) -> pa.Table:
    def of(t: pa.DataType) -> pa.DataType:
        if t == pa.string_view():
            return pa.large_string()
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return pa.large_list(of(t.value_type))
        return t

    return table.cast(pa.schema([f.with_type(of(f.type)) for f in table.schema]))


def by_track(table: pa.Table, *more: str) -> pa.Table:
    return table.sort_by([("track_id", "ascending"), *((m, "ascending") for m in more)])


def assert_frames_close(got: pa.Table, want: pa.Table, rtol: float = 1e-9) -> None:
    got, want = pl.from_arrow(got), pl.from_arrow(want)
    assert got.columns == want.columns
    assert got.height == want.height
    for name in want.columns:
        a, b = got[name], want[name]
        if a.dtype.is_float():
            scale = b.abs().clip(lower_bound=1e-3)
            worst = ((a - b).abs() / scale).max()
            assert worst <= rtol, f"{name}: relative difference {worst}"
        else:
            assert a.to_list() == b.to_list(), name


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """The audio fixtures in one folder, with a metadata CSV and a corrupt file."""
    folder = tmp_path_factory.mktemp("audio")
    for i, src in enumerate(AUDIO_FIXTURES):
        shutil.copy(src, folder / f"{i:02d}-{src.name}")
    (folder / "broken.ogg").write_bytes(b"OggS" + bytes(range(256)) * 8)
    names = sorted(p.name for p in folder.iterdir() if p.name != "broken.ogg")
    rows = [f"{n},Artist {i % 2},Song {i},folk" for i, n in enumerate(names)]
    (folder / "meta.csv").write_text("path,artist,title,genre\n" + "\n".join(rows) + "\n")
    return folder


@pytest.fixture(scope="module")
def ingested(library, tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("cli-ingest")
    cli(workdir, "ingest", "audio", str(library), "--metadata", str(library / "meta.csv"), "--jobs", "2")
    cli(workdir, "features")
    return workdir


def test_analyze_equals_ingest_audio(library, ingested):
    files, scan_errors = timbral.scan([library])
    assert scan_errors.num_rows == 0
    assert "broken.ogg" in files["relative"].to_pylist()
    tracks, segments, embeddings, errors = timbral.analyze(
        files["path"].to_pylist(), files["relative"].to_pylist(), metadata=library / "meta.csv", threads=2
    )
    assert_frames_close(by_track(tracks), read(ingested, "interim", "tracks"))
    assert_frames_close(by_track(segments, "seg"), read(ingested, "interim", "segments"), rtol=0)
    assert_frames_close(by_track(embeddings), read(ingested, "interim", "embeddings"), rtol=0)
    # The corrupt file is an errors row, as in the CLI's ingest_errors.
    cli_errors = read(ingested, "interim", "ingest_errors")
    assert errors.column_names == cli_errors.column_names
    assert errors["location"].to_pylist() == cli_errors["location"].to_pylist() == [str(library / "broken.ogg")]
    assert errors["error"].to_pylist() == cli_errors["error"].to_pylist()


def test_analysis_ignores_the_thread_count(library):
    paths = sorted(str(p) for p in library.glob("0*"))
    one = timbral.analyze(paths, threads=1)
    two = timbral.analyze(paths, threads=2)
    assert one[0].equals(two[0]) and one[1].equals(two[1]) and one[2].equals(two[2])


def test_analyze_embeds_each_song_unless_told_not_to(library):
    path = [library / "00-clip.ogg"]
    tracks, _, embeddings, _ = timbral.analyze(path)
    assert embeddings["track_id"].to_pylist() == tracks["track_id"].to_pylist()
    assert embeddings["model"].to_pylist() == ["MSD_musicnn"]
    assert embeddings.column_names[4:] == [f"emb_{i}" for i in range(200)]
    assert len(embeddings["top_tags"][0]) == 3
    assert 1 <= embeddings["patches"][0].as_py() <= timbral.DEFAULT_MAX_PATCHES
    assert timbral.analyze(path, max_patches=1)[2]["patches"].to_pylist() == [1]
    # `ingest audio --no-embed`: the same analysis, an empty table of the same schema.
    plain_tracks, _, none, errors = timbral.analyze(path, embed=False)
    assert plain_tracks.equals(tracks) and errors.num_rows == 0
    assert none.num_rows == 0 and none.schema == embeddings.schema
    with pytest.raises(timbral.TimbralError, match="max_patches"):
        timbral.analyze(path, max_patches=0)


def test_features_and_merged_moments_equal_the_features_stage(ingested):
    segments = read(ingested, "interim", "segments")
    want = read(ingested, "processed", "features")
    assert_frames_close(timbral.features(segments), want, rtol=0)
    # The same from polars and pandas inputs.
    assert_frames_close(timbral.features(pl.from_arrow(segments)), want, rtol=0)
    assert_frames_close(timbral.features(segments.to_pandas()), want, rtol=0)
    # A track left with one segment is left out with the `features` stage's error row.
    rows, excluded = timbral.features(segments.slice(0, 1), errors=True)
    assert rows.num_rows == 0
    assert excluded["location"].to_pylist() == segments["track_id"].to_pylist()[:1]
    assert excluded["stage"].to_pylist() == ["features"]
    assert excluded["error"].to_pylist() == ["1 segment(s); the covariance needs at least 2"]
    # Pieces of an arbitrary row split (every third row), merged in reverse order.
    index = pa.array(range(segments.num_rows))
    parts = [
        timbral.feature_moments(segments.filter(pc.equal(pc.bit_wise_and(index, 3), r)))
        for r in range(4)
    ]
    assert_frames_close(timbral.merge_moments(parts[::-1]), want)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> tuple[Path, Path]:
    """A synthetic catalogue: `fit` holds a fit on 4/5 of it; `cli` the CLI's placement of
    the rest (`timbral place`)."""
    synth = tmp_path_factory.mktemp("synth")
    cli(synth, "synth", "--songs", "300", "--artists", "40", "--genres", "6", "--level", "features")
    features = read(synth, "processed", "features")
    late = pc.equal(pc.bit_wise_and(pa.array(range(features.num_rows)), 7), 7)
    fit = tmp_path_factory.mktemp("fit")
    (fit / "data" / "processed").mkdir(parents=True)
    pq.write_table(features.filter(pc.invert(late)), fit / "data/processed/features.parquet")
    cli(fit, "cluster", "--stability-seeds", "1")
    placed = tmp_path_factory.mktemp("cli-place")
    shutil.copytree(fit / "data", placed / "data", dirs_exist_ok=True)
    shutil.copytree(synth / "data" / "interim", placed / "data" / "interim", dirs_exist_ok=True)
    pq.write_table(features, placed / "data/processed/features.parquet")
    cli(placed, "place")
    return fit, placed


def test_place_equals_timbral_place_in_any_batches(fitted):
    fit, placed = fitted
    model = timbral.Model(fit)
    fitted_ids = set(model.fitted_track_ids)
    features = read(placed, "processed", "features")
    new = features.filter(pc.invert(pc.is_in(features["track_id"], pa.array(sorted(fitted_ids)))))
    embedding = read(placed, "processed", "embedding")
    clusters = read(placed, "processed", "clusters")
    want_embedding = by_track(embedding.filter(embedding["placed"]))
    want_clusters = by_track(clusters.filter(pc.is_in(clusters["track_id"], new["track_id"])))
    whole = model.place(new, catalogue_songs=new.num_rows)
    assert_frames_close(by_track(whole[0]), want_embedding, rtol=1e-12)
    assert_frames_close(by_track(whole[1]), want_clusters, rtol=0)
    # Two uneven batches (as two Spark partitions would place them) give the same rows.
    halves = [model.place(new.slice(0, 7), catalogue_songs=new.num_rows),
              model.place(new.slice(7), catalogue_songs=new.num_rows)]
    assert_frames_close(by_track(pa.concat_tables(h[0] for h in halves)), want_embedding, rtol=1e-12)
    # The function form loads the same model.
    assert timbral.place(fit, new, catalogue_songs=new.num_rows)[1].equals(whole[1])


def test_cluster_and_similarity_equal_the_commands(fitted, tmp_path):
    fit, placed = fitted
    (tmp_path / "data" / "processed").mkdir(parents=True)
    shutil.copy(fit / "data/processed/features.parquet", tmp_path / "data/processed/features.parquet")
    summary = timbral.cluster(tmp_path, seed=42)
    assert summary["songs"] == read(fit, "processed", "features").num_rows
    for table in ["embedding", "clusters", "model_selection", "scaler"]:
        assert read(tmp_path, "processed", table).equals(read(fit, "processed", table)), table
    cli(placed, "similarity")
    mine = tmp_path / "sim"
    shutil.copytree(placed, mine)
    (mine / "data/processed/artist_similarity.parquet").unlink()
    timbral.similarity(mine, seed=42)
    for table in ["artist_similarity", "recommendations", "intra_artist", "genre_density"]:
        assert read(mine, "processed", table).equals(read(placed, "processed", table)), table


def test_artist_moments_sum_to_each_artists_centroid(fitted):
    _, placed = fitted
    features = read(placed, "processed", "features")
    tracks = read(placed, "interim", "tracks")
    parts = [timbral.artist_moments(features.slice(0, 100), tracks),
             timbral.artist_moments(features.slice(100), tracks)]
    total = pl.concat([pl.from_arrow(p) for p in parts]).group_by("artist_id").sum().sort("artist_id")
    joined = pl.from_arrow(features).join(pl.from_arrow(tracks).select("track_id", "artist_id"), on="track_id")
    want = joined.group_by("artist_id").agg(pl.len().alias("songs"), pl.col("t0").sum()).sort("artist_id")
    assert total["songs"].to_list() == want["songs"].to_list()
    assert ((total["sum_t0"] - want["t0"]).abs() <= 1e-9 * want["t0"].abs().clip(lower_bound=1)).all()


def test_errors_name_the_file_table_or_column(tmp_path, ingested):
    segments = read(ingested, "interim", "segments")
    with pytest.raises(timbral.TimbralError, match="timbre_3"):
        timbral.features(segments.drop(["timbre_3"]))
    with pytest.raises(timbral.TimbralError, match="table `features` not found"):
        timbral.Model(tmp_path)
    (tmp_path / "data" / "processed").mkdir(parents=True)
    shutil.copy(ingested / "data/processed/features.parquet", tmp_path / "data/processed/features.parquet")
    with pytest.raises(timbral.TimbralError, match="table `cluster_model` not found"):
        timbral.Model(tmp_path)
    with pytest.raises(timbral.TimbralError, match="nonexistent"):
        timbral.scan([tmp_path / "nonexistent"])
    with pytest.raises(timbral.TimbralError, match="`set`|feature set|wide"):
        timbral.features(segments, set="wide")
    with pytest.raises(TypeError, match="segments"):
        timbral.features([1, 2, 3])
    moments = timbral.feature_moments(segments)
    broken = moments.set_column(moments.schema.get_field_index("count"), "count", pa.array([0] * moments.num_rows, pa.int64()))
    with pytest.raises(timbral.TimbralError, match="count"):
        timbral.merge_moments(broken)
    # A frame with the right columns but a wrong type is named too.
    wrong = segments.set_column(segments.schema.get_field_index("timbre_0"), "timbre_0", pc.cast(segments["timbre_0"], pa.string()))
    with pytest.raises(timbral.TimbralError, match="timbre_0"):
        timbral.features(wrong)


def test_pandas_input_and_polars_output_interoperate(ingested):
    tracks = read(ingested, "interim", "tracks")
    features = read(ingested, "processed", "features")
    table = timbral.artist_moments(pd.DataFrame(features.to_pandas()), tracks, columns=["t0", "t1"])
    assert table.column_names == ["artist_id", "songs", "sum_t0", "sum_t1", "sum_sq"]
    assert pl.from_arrow(table)["songs"].sum() == features.num_rows
