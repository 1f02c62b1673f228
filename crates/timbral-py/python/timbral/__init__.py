"""timbral from Python: the Rust crates' audio analysis and embeddings, features, placement and
similarity.

Every function takes Arrow data (anything with ``__arrow_c_stream__``: a pyarrow Table,
a polars DataFrame, a pandas DataFrame) and returns ``pyarrow.Table`` objects in timbral's
table contract (docs/data-contract.md). Each releases the GIL and runs in a pool of
``threads`` workers (0: one per core). Errors raise :class:`TimbralError`, whose message names
the file, table, column or value at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike, fspath

import pyarrow as pa

from . import _timbral
from ._timbral import TimbralError

__version__ = _timbral.__version__
# Patches embedded per song at most by default (`timbral ingest audio --max-patches`).
DEFAULT_MAX_PATCHES: int = _timbral.DEFAULT_MAX_PATCHES
__all__ = [
    "DEFAULT_MAX_PATCHES",
    "Model",
    "TimbralError",
    "analyze",
    "artist_moments",
    "cluster",
    "feature_moments",
    "features",
    "merge_moments",
    "place",
    "scan",
    "similarity",
]


def _arrow(data, what: str):
    """``data`` as an object the Rust side can stream; pandas frames go through pyarrow."""
    if hasattr(data, "__arrow_c_stream__"):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    try:
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            return pa.Table.from_pandas(data, preserve_index=False)
    except ImportError:
        pass
    raise TypeError(f"`{what}`: expected Arrow data (pyarrow, polars or pandas), got {type(data).__name__}")


def _table(stream) -> pa.Table:
    return pa.RecordBatchReader.from_stream(stream).read_all()


def scan(dirs: Sequence[str | PathLike]) -> tuple[pa.Table, pa.Table]:
    """Audio files under ``dirs`` as ``timbral ingest audio`` finds them: ``(files, errors)``;
    ``files`` has ``path`` (as found) and ``relative`` (the ``tracks.location``)."""
    files, errors = _timbral.scan([fspath(d) for d in dirs])
    return _table(files), _table(errors)


def analyze(
    paths: Sequence[str | PathLike],
    relative: Sequence[str] | None = None,
    metadata: str | PathLike | None = None,
    threads: int = 0,
    file_timeout: float = 600.0,
    embed: bool = True,
    max_patches: int = DEFAULT_MAX_PATCHES,
) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    """Analyses audio files as ``timbral ingest audio`` does: ``(tracks, segments, embeddings,
    errors)``.

    ``relative`` gives each file's ``location`` (and its key in the ``metadata`` CSV);
    default: the file name. A file that cannot be analysed becomes an ``errors`` row.
    ``embeddings`` holds each song's musicnn embedding (``model``, ``patches``, ``top_tags``,
    ``emb_0..emb_199``) over at most ``max_patches`` 3-second patches, as ``ingest audio
    --max-patches``; with ``embed=False`` (``--no-embed``) it has no rows."""
    tracks, segments, embeddings, errors = _timbral.analyze(
        [fspath(p) for p in paths],
        None if relative is None else list(relative),
        None if metadata is None else fspath(metadata),
        threads,
        file_timeout,
        embed,
        max_patches,
    )
    return _table(tracks), _table(segments), _table(embeddings), _table(errors)


def features(segments, set: str = "seed", sections=None, threads: int = 0, errors: bool = False):
    """The ``features`` rows of ``segments`` (all segments of each track), ``set`` "seed" (the
    study's 90) or "extended". With ``errors``, ``(features, errors)``: also the
    ``ingest_errors`` rows (stage ``features``) of the tracks left out, as ``timbral features``
    records them."""
    sections = None if sections is None else _arrow(sections, "sections")
    rows, excluded = _timbral.features(_arrow(segments, "segments"), set, sections, threads)
    return (_table(rows), _table(excluded)) if errors else _table(rows)


def feature_moments(segments, threads: int = 0) -> pa.Table:
    """Per-track partial sums of the seed features over any subset of segment rows."""
    return _table(_timbral.feature_moments(_arrow(segments, "segments"), threads))


def merge_moments(parts, threads: int = 0) -> pa.Table:
    """Seed features from ``feature_moments`` pieces (a table or a list of tables)."""
    if isinstance(parts, (list, tuple)):
        parts = [_arrow(p, f"parts[{i}]") for i, p in enumerate(parts)]
    else:
        parts = _arrow(parts, "parts")
    return _table(_timbral.merge_moments(parts, threads))


def cluster(workdir: str | PathLike, seed: int = 42, knn: str = "auto", threads: int = 0) -> dict:
    """``timbral cluster`` on ``workdir``: fits on its ``features`` table."""
    return _timbral.cluster(fspath(workdir), seed, knn, threads)


class Model:
    """A fit of ``timbral cluster``, loaded once from its workdir, that places new songs."""

    def __init__(self, model_dir: str | PathLike):
        self._model = _timbral.Model(fspath(model_dir))

    @property
    def fitted_track_ids(self) -> list[str]:
        return self._model.fitted_track_ids

    def place(
        self,
        features,
        seed: int = 42,
        knn: str = "auto",
        catalogue_songs: int | None = None,
        threads: int = 0,
    ) -> tuple[pa.Table, pa.Table]:
        """``(embedding, clusters)`` rows of the songs of ``features``, without refitting.

        A song's place depends only on the model, ``seed``, its features and
        ``catalogue_songs`` (the songs placed in all, which sets the UMAP epochs; default: this
        batch), not on the other songs of the batch (with an exact neighbour search, which
        ``knn="auto"`` is while batch x fitted songs stay under 4 x 10^8)."""
        embedding, clusters = self._model.place(
            _arrow(features, "features"), seed, knn, catalogue_songs, threads
        )
        return _table(embedding), _table(clusters)


def place(model_dir: str | PathLike, features, **options) -> tuple[pa.Table, pa.Table]:
    """:meth:`Model.place` with the model in ``model_dir`` loaded for this call."""
    return Model(model_dir).place(features, **options)


def artist_moments(values, tracks, columns: Sequence[str] | None = None, threads: int = 0) -> pa.Table:
    """Per-artist ``songs``, ``sum_<column>`` and ``sum_sq`` of ``values`` (features or an
    embedding), summable across partitions by ``artist_id``."""
    return _table(
        _timbral.artist_moments(
            _arrow(values, "values"),
            _arrow(tracks, "tracks"),
            None if columns is None else list(columns),
            threads,
        )
    )


def similarity(workdir: str | PathLike, seed: int = 42, threads: int = 0) -> dict:
    """``timbral similarity`` on ``workdir`` (tracks, features, embedding, clusters)."""
    return _timbral.similarity(fspath(workdir), seed, threads)
