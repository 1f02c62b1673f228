"""The documented installs, tried as a new user would: the install lines of README's Python
section and of docs/scale-out.md run as written in fresh venvs, then `python -m timbral.spark
ingest` on a few songs; and without the `spark` extra the job names what is missing."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[3]
README = REPO / "README.md"
SCALE_OUT = REPO / "docs" / "scale-out.md"
SONGS = 3
# Real recordings committed as fixtures, when the development corpus is not fetched.
FIXTURE_AUDIO = [
    REPO / "crates/timbral-ingest/tests/fixtures/clip.ogg",
    REPO / "crates/timbral-audio/tests/fixtures/chord.ogg",
    REPO / "crates/timbral-audio/tests/fixtures/chord.flac",
]


def shell_blocks(markdown: Path) -> list[list[str]]:
    """The command lines of each ```sh block, indented ones included."""
    return [
        [line.strip() for line in block.splitlines() if line.strip()]
        for block in re.findall(r"^\s*```sh\n(.*?)^\s*```", markdown.read_text(), flags=re.M | re.S)
    ]


def install_lines(markdown: Path) -> list[str]:
    """The documented lines that pip-install timbral itself."""
    return [
        line
        for block in shell_blocks(markdown)
        for line in block
        if "pip install" in line and re.search(r"timbral-py|timbral\[|timbral-\*\.whl", line)
    ]


def run(command: str, cwd: Path, venv: Path | None = None) -> subprocess.CompletedProcess:
    """`command` in bash, with `venv` activated as the docs assume."""
    env = dict(os.environ)
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
        env["VIRTUAL_ENV"] = str(venv)
    return subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=cwd, env=env, capture_output=True, text=True)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"{result.args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def fresh_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Path:
    """A few songs: the first files of the development corpus, else committed recordings."""
    folder = tmp_path_factory.mktemp("install-audio")
    corpus = os.environ.get("TIMBRAL_DEV_AUDIO")
    if corpus:
        rows = sorted(csv.DictReader(open(Path(corpus) / "METADATA.csv")), key=lambda r: r["path"])[:SONGS]
        sources = [Path(corpus) / r["path"] for r in rows]
    else:
        sources = FIXTURE_AUDIO[:SONGS]
    for index, source in enumerate(sources):
        shutil.copy(source, folder / f"{index:02d}-{source.name}")
    return folder


@pytest.fixture(scope="module")
def readme_venv(tmp_path_factory) -> Path:
    """A fresh venv after README's Python block, run as written."""
    venv = fresh_venv(tmp_path_factory.mktemp("readme") / "venv")
    (block,) = [b for b in shell_blocks(README) if any("timbral-py[spark]" in line for line in b)]
    ok(run("\n".join(block), REPO, venv))
    return venv


@pytest.fixture(scope="module")
def wheel_dir(readme_venv, tmp_path_factory) -> Path:
    """dist/ holding the wheel, as docs/scale-out.md step 1 builds it, but in the dev profile and
    by the README venv's interpreter, so cargo reuses the build the README install made."""
    dist = tmp_path_factory.mktemp("dist")
    ok(run(f"pip wheel --quiet --no-deps ./crates/timbral-py -w {dist}", REPO, readme_venv))
    return dist


def test_every_documented_install_of_the_package_includes_the_spark_extra():
    lines = install_lines(README) + install_lines(SCALE_OUT)
    assert len(lines) >= 2, lines
    missing = [line for line in lines if not re.search(r"\[(\w+,)*spark(,\w+)*\]", line)]
    assert not missing, f"documented installs without the spark extra: {missing}"


def test_readme_install_runs_the_spark_ingest(readme_venv, songs, tmp_path):
    workdir = tmp_path / "wd"
    command = f"python -m timbral.spark ingest --master 'local[2]' --audio {songs} --workdir {workdir} --quiet"
    ok(run(command, REPO, readme_venv))
    tracks = pl.read_parquet(workdir / "data/interim/tracks.parquet" / "*.parquet")
    features = pl.read_parquet(workdir / "data/processed/features.parquet" / "*.parquet")
    assert tracks.height == SONGS and features.height == SONGS


def test_scale_out_install_brings_what_the_job_imports(wheel_dir, tmp_path):
    (line,) = [line for line in install_lines(SCALE_OUT) if "python -m venv env" in line]
    shutil.copytree(wheel_dir, tmp_path / "dist")
    ok(run(line.replace("python -m venv", f"{sys.executable} -m venv"), tmp_path))
    check = "from timbral.spark.__main__ import unmet_spark_requirements as u; import pyspark, pandas; print(u())"
    assert ok(run(f"env/bin/python -c '{check}'", tmp_path)).strip() == "[]"


def test_without_the_extra_the_job_names_the_missing_packages_and_the_install_line(wheel_dir, songs, tmp_path):
    venv = fresh_venv(tmp_path / "venv")
    ok(run(f"pip install --quiet {next(wheel_dir.glob('timbral-*.whl'))}", tmp_path, venv))
    result = run(f"python -m timbral.spark ingest --master 'local[2]' --audio {songs} --workdir {tmp_path / 'wd'}", tmp_path, venv)
    assert result.returncode == 2, result
    assert "pyspark (not installed)" in result.stderr and "pandas (not installed)" in result.stderr, result.stderr
    assert "timbral-py[spark]" in result.stderr, result.stderr


def test_an_old_package_is_named_with_the_version_the_extra_needs(monkeypatch):
    import timbral.spark.__main__ as job

    requires = ['pyspark<5,>=4 ; extra == "spark"', 'pandas<3,>=2.2 ; extra == "spark"', 'pytest>=8 ; extra == "test"']
    installed = {"pyspark": "4.0.1", "pandas": "2.1.4"}
    monkeypatch.setattr(job.metadata, "requires", lambda name: requires)
    monkeypatch.setattr(job.metadata, "version", lambda name: installed[name])
    assert job.unmet_spark_requirements() == ["pandas (version 2.1.4 installed, >= 2.2 needed)"]
    installed["pandas"] = "2.2.3"
    assert job.unmet_spark_requirements() == []
