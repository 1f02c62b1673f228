//! Faults around the `timbral` binary: SIGKILL at seeded points of `ingest audio` and `run`
//! (a rerun must end with the tables of an uninterrupted run), the workdir lock (a second
//! writer fails naming the holder, or waits; a killed holder's lock is taken over), libraries
//! of 1 to 9 songs, and plain-text logs when stderr is not a terminal.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{INGEST_TABLES, analysis_tables, ok, read, table_path};
use timbral_core::{Table, WhenHeld, Workdir, WorkdirLock, cols};

mod common;

const SR: u32 = 22_050;

fn command(workdir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_timbral"));
    command.arg("--workdir").arg(workdir).args(args).env_remove("RUST_LOG");
    command
}

fn timbral(workdir: &Path, args: &[&str]) -> Output {
    command(workdir, args).output().expect("timbral starts")
}

/// A 16-bit mono WAV of `seconds` of two decaying tones struck `rate` times a second, plus a
/// little noise: each song differs in pitch and rhythm, so their features differ.
fn write_wav(path: &Path, song: u32, seconds: f64) {
    let n = (seconds * f64::from(SR)) as usize;
    let (f1, f2) = (220.0 * 1.09f64.powi(song as i32), 330.0 * 1.13f64.powi(song as i32 % 7));
    let strikes = 2.0 + f64::from(song % 5);
    let mut state = u64::from(song) * 2_654_435_761 + 1;
    let mut data = Vec::with_capacity(n * 2);
    for i in 0..n {
        let t = i as f64 / f64::from(SR);
        let envelope = (-6.0 * (t * strikes).fract()).exp();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state >> 40) as f64 / f64::from(1u32 << 24) - 0.5;
        let x = envelope * (0.4 * (2.0 * std::f64::consts::PI * f1 * t).sin() + 0.2 * (2.0 * std::f64::consts::PI * f2 * t).sin())
            + 0.02 * noise;
        data.extend_from_slice(&((x.clamp(-1.0, 1.0) * 32_000.0) as i16).to_le_bytes());
    }
    let mut bytes = Vec::with_capacity(44 + data.len());
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&1u16.to_le_bytes()); // mono
    bytes.extend_from_slice(&SR.to_le_bytes());
    bytes.extend_from_slice(&(SR * 2).to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&(data.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&data);
    std::fs::write(path, bytes).unwrap();
}

/// A folder of `songs` distinct WAV songs by three artists, with its metadata CSV.
fn library(songs: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("path,artist,title,genre\n");
    for song in 0..songs {
        let name = format!("song{song:02}.wav");
        write_wav(&dir.path().join(&name), song, 4.0);
        csv.push_str(&format!("{name},Artist {},Song {song},genre{}\n", song % 3, song % 2));
    }
    let metadata = dir.path().join("metadata.csv");
    std::fs::write(&metadata, csv).unwrap();
    (dir, metadata)
}

fn assert_same_tables(reference: &Path, resumed: &Path, tables: &[Table], what: &str) {
    for &name in tables {
        let (expected, actual) = (read(reference, name), read(resumed, name));
        assert!(expected.equals_missing(&actual), "{what}: `{}` differs from an uninterrupted run", name.name());
    }
    let tracks = read(resumed, Table::Tracks);
    let ids = tracks.column(cols::tracks::TRACK_ID).unwrap().n_unique().unwrap();
    assert_eq!(ids, tracks.height(), "{what}: a track is duplicated");
}

/// Seeded kill delays, spread over `span` (xorshift, so the points are the same every run).
fn kill_points(seed: u64, count: usize, span: Duration) -> Vec<Duration> {
    let mut state = seed;
    (0..count)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // One point in each of `count` equal slices of the span, at a seeded offset.
            let offset = (state % 1000) as f64 / 1000.0;
            span.mul_f64((i as f64 + offset) / count as f64)
        })
        .collect()
}

/// Starts `args`, kills it with SIGKILL after `delay` (if still running); true if it was killed.
fn kill_after(workdir: &Path, args: &[&str], delay: Duration) -> bool {
    let mut child = command(workdir, args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + delay;
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    kill(&mut child)
}

fn kill(child: &mut Child) -> bool {
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    running
}

#[test]
fn ingest_audio_killed_at_seeded_points_resumes_to_the_uninterrupted_tables() {
    let (audio, metadata) = library(12);
    let dir = audio.path().to_str().unwrap();
    let args = ["--quiet", "ingest", "audio", dir, "--metadata", metadata.to_str().unwrap(), "--jobs", "1"];
    let reference = tempfile::tempdir().unwrap();
    let started = Instant::now();
    ok(&timbral(reference.path(), &args));
    // The shorter of two runs: a run slowed by a busy machine would put the kills past the end.
    let again = tempfile::tempdir().unwrap();
    let restarted = Instant::now();
    ok(&timbral(again.path(), &args));
    let span = restarted.duration_since(started).min(restarted.elapsed());
    assert_same_tables(reference.path(), again.path(), &INGEST_TABLES, "a second uninterrupted run");

    let mut killed = 0;
    for (i, delay) in kill_points(16, 5, span).into_iter().enumerate() {
        let workdir = tempfile::tempdir().unwrap();
        killed += usize::from(kill_after(workdir.path(), &args, delay));
        // A second kill of the rerun, then the rerun to completion.
        kill_after(workdir.path(), &args, delay / 2);
        ok(&timbral(workdir.path(), &args));
        assert_same_tables(reference.path(), workdir.path(), &INGEST_TABLES, &format!("kill {i} at {delay:?}"));
    }
    assert!(killed >= 3, "only {killed} of 5 kills hit a running ingest");
}

#[test]
fn run_killed_at_seeded_points_and_between_stages_resumes_to_the_uninterrupted_tables() {
    let (audio, metadata) = library(12);
    let dir = audio.path().to_str().unwrap();
    let args = ["--quiet", "run", "--audio", dir, "--metadata", metadata.to_str().unwrap()];
    let reference = tempfile::tempdir().unwrap();
    let started = Instant::now();
    ok(&timbral(reference.path(), &args));
    let span = started.elapsed();
    let all: Vec<Table> = INGEST_TABLES.into_iter().chain(analysis_tables()).collect();

    let mut killed = 0;
    for (i, delay) in kill_points(17, 4, span).into_iter().enumerate() {
        let workdir = tempfile::tempdir().unwrap();
        killed += usize::from(kill_after(workdir.path(), &args, delay));
        ok(&timbral(workdir.path(), &args));
        assert_same_tables(reference.path(), workdir.path(), &all, &format!("kill {i} at {delay:?}"));
    }
    assert!(killed >= 3, "only {killed} of 4 kills hit a running pipeline");

    // Between stages: killed as soon as the manifest records `features`, before `cluster` starts.
    let workdir = tempfile::tempdir().unwrap();
    let mut child = command(workdir.path(), &args).spawn().unwrap();
    let manifest = workdir.path().join("data/processed/run_manifest.json");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !std::fs::read_to_string(&manifest).is_ok_and(|m| m.contains("\"features\"")) {
        assert!(Instant::now() < deadline && child.try_wait().unwrap().is_none(), "features never finished");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(kill(&mut child), "run ended before it could be killed");
    ok(&timbral(workdir.path(), &args));
    assert_same_tables(reference.path(), workdir.path(), &all, "kill after features");
}

#[test]
fn a_second_writer_fails_naming_the_holder_or_waits_and_readers_need_no_lock() {
    let dir = tempfile::tempdir().unwrap();
    ok(&timbral(dir.path(), &["--quiet", "synth", "--songs", "40", "--artists", "20"]));
    let lock = WorkdirLock::acquire(&Workdir::new(dir.path()), "test", WhenHeld::Fail).unwrap();

    let refused = timbral(dir.path(), &["--quiet", "features"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains(&format!("pid {}", std::process::id())), "{message}");
    assert!(message.contains("--wait"), "{message}");
    assert!(!dir.path().join("data/processed/features.parquet").exists());

    // Readers go on while the lock is held.
    ok(&timbral(dir.path(), &["--quiet", "tables"]));
    ok(&timbral(dir.path(), &["--quiet", "sql", "SELECT count(*) FROM tracks"]));

    // --wait queues behind the holder and runs once it lets go.
    let mut waiting = command(dir.path(), &["--quiet", "--wait", "features"]).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(waiting.try_wait().unwrap().is_none(), "--wait did not wait for the lock");
    drop(lock);
    assert!(waiting.wait().unwrap().success());
    assert!(dir.path().join("data/processed/features.parquet").is_file());
}

#[test]
fn the_lock_of_a_killed_writer_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let mut holder = command(dir.path(), &["--quiet", "synth", "--songs", "20000", "--artists", "2000"])
        .spawn()
        .unwrap();
    let lock_file = dir.path().join("data/.timbral.lock");
    let holder_pid = format!("pid {} ", holder.id());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&lock_file).is_ok_and(|text| text.starts_with(&holder_pid)) {
        assert!(Instant::now() < deadline && holder.try_wait().unwrap().is_none(), "the holder never took the lock");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(kill(&mut holder), "the holder finished before it could be killed");

    let output = timbral(dir.path(), &["synth", "--songs", "40", "--artists", "20"]);
    ok(&output);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains(&format!("taking over the workdir lock left by {}", holder_pid.trim())), "{log}");
    // A clean exit clears the holder, so the next writer reports no take-over.
    let next = timbral(dir.path(), &["synth", "--songs", "40", "--artists", "20"]);
    assert!(!String::from_utf8_lossy(&next.stderr).contains("taking over"));
}

#[test]
fn a_library_of_five_songs_gets_every_table_it_can_and_a_report_saying_why_not_the_rest() {
    let (audio, metadata) = library(5);
    let workdir = tempfile::tempdir().unwrap();
    let args = ["run", "--audio", audio.path().to_str().unwrap(), "--metadata", metadata.to_str().unwrap()];
    let output = timbral(workdir.path(), &args);
    let stdout = ok(&output);
    let all = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("cluster: skipped: clustering needs at least 10 songs; the library has 5"), "{stdout}");
    assert!(!all.contains("is empty"), "{all}");
    for name in [Table::Tracks, Table::Segments, Table::Features, Table::IntraArtist, Table::ArtistSimilarity, Table::Recommendations] {
        assert!(read(workdir.path(), name).height() > 0, "{} is missing or empty", name.name());
    }
    assert_eq!(read(workdir.path(), Table::Features).height(), 5);
    // Exact search: each song's 4 others, nearest first, in the standardised features.
    let recs = read(workdir.path(), Table::Recommendations);
    assert_eq!(recs.height(), 5 * 4);
    assert!(!table_path(workdir.path(), Table::Clusters).exists());
    let report = std::fs::read_to_string(workdir.path().join("reports/index.html")).unwrap();
    assert!(report.contains("clustering needs at least 10 songs; the library has 5"));

    // The cluster command alone names the count rather than calling the table empty.
    let cluster = timbral(workdir.path(), &["--quiet", "cluster"]);
    assert!(!cluster.status.success());
    let message = String::from_utf8_lossy(&cluster.stderr);
    assert!(message.contains("has 5 row(s)") && !message.contains("empty"), "{message}");
}

#[test]
fn libraries_of_one_and_nine_songs_run_to_a_report() {
    for songs in [1, 9] {
        let (audio, metadata) = library(songs);
        let workdir = tempfile::tempdir().unwrap();
        let args = ["--quiet", "run", "--audio", audio.path().to_str().unwrap(), "--metadata", metadata.to_str().unwrap()];
        ok(&timbral(workdir.path(), &args));
        assert_eq!(read(workdir.path(), Table::Features).height(), songs as usize);
        assert!(workdir.path().join("reports/index.html").is_file());
        assert_eq!(table_path(workdir.path(), Table::Recommendations).exists(), songs >= 2);
    }
}

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let output = timbral(dir.path(), &["synth", "--songs", "40", "--artists", "20"]);
    ok(&output);
    assert!(!output.stderr.is_empty(), "synth logs nothing to check");
    assert!(!output.stderr.contains(&0x1b), "{}", String::from_utf8_lossy(&output.stderr));
}
