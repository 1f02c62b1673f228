"""The notebooks' access to a timbral workdir: find or make one, read its tables with polars.

Not the future `timbral` Python module: only what the notebooks here share.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
# Where a notebook run without a workdir puts the bundled sample's workdir. `timbral run` skips
# the stages that are up to date, so later notebooks reuse it at little cost.
SAMPLE_WORKDIR = Path(tempfile.gettempdir()) / "timbral-notebooks-sample"


def timbral_binary() -> Path:
    """env TIMBRAL_BIN, else `timbral` on PATH, else the repo's release or debug build."""
    if os.environ.get("TIMBRAL_BIN"):
        binary = Path(os.environ["TIMBRAL_BIN"])
        if not binary.is_file():
            raise FileNotFoundError(f"TIMBRAL_BIN={binary} is not a file")
        return binary
    on_path = shutil.which("timbral")
    if on_path:
        return Path(on_path)
    for profile in ("release", "debug"):
        binary = REPO / "target" / profile / "timbral"
        if binary.is_file():
            return binary
    raise FileNotFoundError(
        "no timbral binary: set TIMBRAL_BIN, put `timbral` on PATH, or run `cargo build --release` "
        f"in {REPO} (or set TIMBRAL_WORKDIR to a workdir that `timbral run` made)"
    )


def resolve(workdir: str | os.PathLike) -> Path:
    """The workdir to read: `workdir` when given, else one made by `timbral run` on the sample.

    Says which, and prints the exact command it ran.
    """
    if str(workdir):
        path = Path(workdir).expanduser().resolve()
        print(f"workdir: {path}")
    else:
        path = SAMPLE_WORKDIR
        command = [str(timbral_binary()), "--quiet", "--workdir", str(path), "run"]
        print(f"no workdir given (TIMBRAL_WORKDIR is unset): running the bundled sample\n"
              f"  $ {shlex.join(command)}")
        subprocess.run(command, check=True)
        print(f"workdir: {path}")
    if not (path / "data" / "processed").is_dir():
        raise FileNotFoundError(
            f"{path} has no data/processed: run `timbral --workdir {path} run` first"
        )
    return path


def table_path(workdir: Path, name: str) -> Path:
    """A table's Parquet file: data/interim/<name>.parquet, else data/processed/<name>.parquet."""
    for stage in ("interim", "processed"):
        path = workdir / "data" / stage / f"{name}.parquet"
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"table `{name}` not found in {workdir}/data/interim or data/processed "
        f"(see docs/data-contract.md for which command writes it)"
    )


def read(workdir: Path, name: str, columns: list[str] | None = None) -> pl.DataFrame:
    """Read one table of the workdir, optionally only some columns."""
    return pl.read_parquet(table_path(workdir, name), columns=columns)


def ingest_errors(workdir: Path) -> pl.DataFrame:
    """The `ingest_errors` table; no stage writes it until one rejects an input, so absent = empty."""
    try:
        return read(workdir, "ingest_errors")
    except FileNotFoundError:
        return pl.DataFrame(schema={c: pl.String for c in ("source", "location", "stage", "error", "at")})


def scan(workdir: Path, name: str) -> pl.LazyFrame:
    """A lazy scan of one table, for the large ones (segments)."""
    return pl.scan_parquet(table_path(workdir, name))
