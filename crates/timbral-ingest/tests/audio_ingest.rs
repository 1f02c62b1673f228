//! `ingest_audio` on real files: WAV files synthesised here and a real OGG Vorbis clip
//! (tests/fixtures/clip.ogg, see tests/fixtures/README.md), run through the real analyzer.

use std::f32::consts::TAU;
use std::fs;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use timbral_core::{Table, Workdir, ids};
use timbral_ingest::audio::{AudioIngestOptions, AudioIngestSummary, UNKNOWN_ARTIST, ingest_audio};

const RATE: u32 = 22_050;

fn clip() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip.ogg")
}

/// Writes mono 16-bit PCM WAV: the RIFF header, one `fmt ` chunk and one `data` chunk.
fn write_wav(path: &Path, samples: &[f32]) {
    let data_len = (samples.len() * 2) as u32;
    let mut bytes = Vec::with_capacity(44 + samples.len() * 2);
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&1u16.to_le_bytes()); // mono
    bytes.extend_from_slice(&RATE.to_le_bytes());
    bytes.extend_from_slice(&(RATE * 2).to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        bytes.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32_767.0) as i16).to_le_bytes());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, bytes).unwrap();
}

/// Three seconds of decaying notes, one every 250 ms; `variant` changes the melody, so
/// different variants are different content.
fn melody(variant: u32) -> Vec<f32> {
    let note_len = RATE as usize / 4;
    (0..12)
        .flat_map(|note| {
            let semitone = ((note * 5 + variant * 7) % 12) as f32;
            let freq = 220.0 * 2f32.powf(semitone / 12.0);
            (0..note_len).map(move |i| {
                let t = i as f32 / RATE as f32;
                0.4 * (-t * 12.0).exp() * (TAU * freq * t).sin()
            })
        })
        .collect()
}

fn options(dirs: &[&Path]) -> AudioIngestOptions {
    AudioIngestOptions {
        dirs: dirs.iter().map(|d| d.to_path_buf()).collect(),
        jobs: 2,
        ..Default::default()
    }
}

fn ingest(wd: &Workdir, dirs: &[&Path]) -> AudioIngestSummary {
    ingest_audio(wd, &options(dirs)).unwrap()
}

fn strings(frame: &DataFrame, column: &str) -> Vec<String> {
    timbral_core::matrix::strings(frame, "test", column).unwrap()
}

fn table_bytes(wd: &Workdir, table: Table) -> Vec<u8> {
    fs::read(wd.table_path(table)).unwrap()
}

/// tracks filtered to one location.
fn track_at(wd: &Workdir, location: &str) -> DataFrame {
    wd.read_table(Table::Tracks)
        .unwrap()
        .lazy()
        .filter(col("location").eq(lit(location)))
        .collect()
        .unwrap()
}

#[test]
fn corrupt_truncated_empty_and_non_audio_files_become_error_rows() {
    let music = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let wd = Workdir::new(work.path());
    let good = fs::read(clip()).unwrap();
    fs::write(music.path().join("good.ogg"), &good).unwrap();
    fs::write(music.path().join("truncated.ogg"), &good[..good.len() * 6 / 10]).unwrap();
    fs::write(music.path().join("notes.mp3"), "these are liner notes, not audio\n".repeat(50)).unwrap();
    fs::write(music.path().join("empty.flac"), b"").unwrap();

    let summary = ingest(&wd, &[music.path()]);
    assert_eq!(
        (summary.found, summary.analysed, summary.skipped, summary.failed),
        (4, 1, 0, 3),
        "{summary:?}"
    );

    let errors = wd.read_table(Table::IngestErrors).unwrap();
    assert_eq!(errors.height(), 3);
    let mut locations = strings(&errors, "location");
    locations.sort();
    let expected: Vec<String> = ["empty.flac", "notes.mp3", "truncated.ogg"]
        .iter()
        .map(|f| music.path().join(f).to_string_lossy().into_owned())
        .collect();
    assert_eq!(locations, expected);
    assert!(strings(&errors, "source").iter().all(|s| s == "audio"));
    assert!(strings(&errors, "stage").iter().all(|s| s == "ingest"));
    assert!(strings(&errors, "error").iter().all(|e| !e.is_empty()));

    let tracks = wd.read_table(Table::Tracks).unwrap();
    assert_eq!(tracks.height(), 1);
    assert_eq!(strings(&tracks, "location"), ["good.ogg"]);
    assert_eq!(strings(&tracks, "track_id"), [ids::hash_id("tr", &good)]);
    // Vorbis comments of the fixture.
    assert_eq!(strings(&tracks, "artist_name"), ["Doug Kaufman"]);
    assert_eq!(strings(&tracks, "title"), ["Battle Epic (excerpt)"]);
    assert_eq!(strings(&tracks, "album"), ["Battle for Wesnoth 1.16 music"]);
    let duration = tracks.column("duration_s").unwrap().f64().unwrap().get(0).unwrap();
    assert!((duration - 4.0).abs() < 0.1, "duration {duration}");
    let segments = wd.read_table(Table::Segments).unwrap();
    assert_eq!(segments.height(), summary.segments);
    assert!(segments.height() >= 4, "{} segments in 4 s of music", segments.height());
}

#[test]
fn a_fixed_file_clears_its_error_row() {
    let music = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let wd = Workdir::new(work.path());
    write_wav(&music.path().join("a.wav"), &melody(0));
    fs::write(music.path().join("b.wav"), "not a wave file").unwrap();
    assert_eq!(ingest(&wd, &[music.path()]).failed, 1);
    assert_eq!(wd.read_table(Table::IngestErrors).unwrap().height(), 1);

    write_wav(&music.path().join("b.wav"), &melody(1));
    let summary = ingest(&wd, &[music.path()]);
    assert_eq!((summary.analysed, summary.skipped, summary.failed), (1, 1, 0));
    assert_eq!(wd.read_table(Table::IngestErrors).unwrap().height(), 0);
    assert_eq!(wd.read_table(Table::Tracks).unwrap().height(), 2);
}

#[test]
fn reingest_skips_every_file_and_changes_nothing() {
    let music = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let wd = Workdir::new(work.path());
    fs::copy(clip(), music.path().join("clip.ogg")).unwrap();
    write_wav(&music.path().join("x/one.wav"), &melody(1));
    write_wav(&music.path().join("x/two.WAV"), &melody(2));
    let first = ingest(&wd, &[music.path()]);
    assert_eq!((first.analysed, first.failed), (3, 0));
    let tables = [Table::Tracks, Table::Artists, Table::Segments];
    let before: Vec<Vec<u8>> = tables.iter().map(|t| table_bytes(&wd, *t)).collect();

    let again = ingest(&wd, &[music.path()]);
    assert_eq!((again.found, again.analysed, again.skipped, again.failed), (3, 0, 3, 0));
    assert_eq!(again.tables, None);
    let after: Vec<Vec<u8>> = tables.iter().map(|t| table_bytes(&wd, *t)).collect();
    assert!(before == after, "a re-ingest rewrote a table");
    assert!(!wd.has_table(Table::IngestErrors));
}

#[test]
fn force_reanalyses_to_identical_tables_whatever_the_number_of_jobs() {
    let music = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let wd = Workdir::new(work.path());
    fs::copy(clip(), music.path().join("clip.ogg")).unwrap();
    for v in 0..3 {
        write_wav(&music.path().join(format!("s{v}.wav")), &melody(v));
    }
    ingest(&wd, &[music.path()]);
    let before = [Table::Tracks, Table::Segments].map(|t| wd.read_table(t).unwrap());
    let forced = AudioIngestOptions {
        force: true,
        jobs: 1,
        ..options(&[music.path()])
    };
    let summary = ingest_audio(&wd, &forced).unwrap();
    assert_eq!((summary.analysed, summary.skipped), (4, 0));
    let after = [Table::Tracks, Table::Segments].map(|t| wd.read_table(t).unwrap());
    for (b, a) in before.iter().zip(&after) {
        assert!(b.equals_missing(a), "tables differ after --force with another --jobs");
    }
}

#[test]
fn metadata_csv_overrides_tags_and_unknown_artists_are_counted() {
    let music = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let wd = Workdir::new(work.path());
    fs::copy(clip(), music.path().join("clip.ogg")).unwrap();
    write_wav(&music.path().join("sub/a.wav"), &melody(1));
    write_wav(&music.path().join("b.wav"), &melody(2));
    write_wav(&music.path().join("c.wav"), &melody(3));
    // Shaped like the development corpus' METADATA.csv: extra columns are ignored.
    let csv = music.path().join("META.csv");
    fs::write(
        &csv,
        "path,artist,title,genre,genre_tag,license\n\
         sub/a.wav,Alice,Song A,folk; ambient,Folk,CC-BY\n\
         ./clip.ogg,\"Kaufman, Doug\",,,Classical,GPL\n\
         b.wav,,,,,\n\
         missing.ogg,Nobody,,,,\n",
    )
    .unwrap();
    let summary = ingest_audio(
        &wd,
        &AudioIngestOptions {
            metadata: Some(csv),
            ..options(&[music.path()])
        },
    )
    .unwrap();
    assert_eq!((summary.analysed, summary.unknown_artist), (4, 2));

    let a = track_at(&wd, "sub/a.wav");
    assert_eq!(strings(&a, "artist_name"), ["Alice"]);
    assert_eq!(strings(&a, "title"), ["Song A"]);
    let genres = a.column("genres").unwrap().list().unwrap().get_as_series(0).unwrap();
    let genres: Vec<&str> = genres.str().unwrap().iter().flatten().collect();
    assert_eq!(genres, ["folk", "ambient"]);
    let clip_row = track_at(&wd, "clip.ogg");
    assert_eq!(strings(&clip_row, "artist_name"), ["Kaufman, Doug"]);
    assert_eq!(strings(&clip_row, "title"), ["Battle Epic (excerpt)"], "title falls back to the tag");
    for stem in ["b", "c"] {
        let row = track_at(&wd, &format!("{stem}.wav"));
        assert_eq!(strings(&row, "artist_name"), [UNKNOWN_ARTIST]);
        assert_eq!(strings(&row, "title"), [stem]);
    }

    let artists = wd.read_table(Table::Artists).unwrap();
    let mut names = strings(&artists, "artist_name");
    names.sort();
    assert_eq!(names, ["Alice", "Kaufman, Doug", UNKNOWN_ARTIST]);
    assert!(strings(&artists, "artist_id").contains(&ids::artist_id(UNKNOWN_ARTIST)));
}

#[test]
fn a_moved_file_keeps_its_track_id_and_is_not_reanalysed() {
    let old_home = tempfile::tempdir().unwrap();
    let new_home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let wd = Workdir::new(work.path());
    write_wav(&old_home.path().join("song.wav"), &melody(4));
    ingest(&wd, &[old_home.path()]);
    let moved = new_home.path().join("deeper/renamed.wav");
    fs::create_dir_all(moved.parent().unwrap()).unwrap();
    fs::rename(old_home.path().join("song.wav"), &moved).unwrap();

    let fresh_work = tempfile::tempdir().unwrap();
    let fresh = Workdir::new(fresh_work.path());
    ingest(&fresh, &[new_home.path()]);
    let original = wd.read_table(Table::Tracks).unwrap();
    let relocated = fresh.read_table(Table::Tracks).unwrap();
    assert_eq!(strings(&original, "track_id"), strings(&relocated, "track_id"));
    assert_eq!(strings(&original, "track_id"), [ids::hash_id("tr", &fs::read(&moved).unwrap())]);
    assert_eq!(strings(&relocated, "location"), ["deeper/renamed.wav"]);

    let summary = ingest(&wd, &[new_home.path()]);
    assert_eq!((summary.analysed, summary.skipped), (0, 1));
}

#[test]
fn a_library_grows_and_duplicate_content_is_analysed_once() {
    let music = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let wd = Workdir::new(work.path());
    write_wav(&music.path().join("a.wav"), &melody(5));
    let first = ingest(&wd, &[music.path()]);
    write_wav(&music.path().join("b.wav"), &melody(6));
    write_wav(&music.path().join("copies/b.wav"), &melody(6));
    let second = ingest(&wd, &[music.path()]);
    assert_eq!((second.found, second.analysed, second.skipped), (3, 1, 2));
    let tables = second.tables.unwrap();
    assert_eq!((tables.tracks, tables.artists), (2, 1));
    assert_eq!(tables.segments, first.segments + second.segments);
    assert_eq!(wd.read_table(Table::Segments).unwrap().height(), tables.segments);
}

#[test]
fn several_directories_are_scanned_and_locations_are_relative_to_each() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let wd = Workdir::new(work.path());
    write_wav(&one.path().join("x/a.wav"), &melody(7));
    write_wav(&two.path().join("b.wav"), &melody(8));
    let summary = ingest(&wd, &[one.path(), two.path()]);
    assert_eq!(summary.analysed, 2);
    let mut locations = strings(&wd.read_table(Table::Tracks).unwrap(), "location");
    locations.sort();
    assert_eq!(locations, ["b.wav", "x/a.wav"]);
}

#[test]
fn a_directory_without_audio_is_an_error_naming_it() {
    let music = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    fs::write(music.path().join("cover.jpg"), b"jpeg").unwrap();
    let err = ingest_audio(&Workdir::new(work.path()), &options(&[music.path()])).unwrap_err();
    let message = err.to_string();
    assert!(message.contains(&music.path().display().to_string()), "{message}");
    assert!(message.contains("no audio files"), "{message}");
    let missing = music.path().join("nope");
    let err = ingest_audio(&Workdir::new(work.path()), &options(&[&missing])).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn nothing_analysable_fails_after_recording_every_failure() {
    let music = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let wd = Workdir::new(work.path());
    fs::write(music.path().join("notes.mp3"), "text").unwrap();
    write_wav(&music.path().join("silence.wav"), &vec![0.0; RATE as usize * 3]);
    let err = ingest_audio(&wd, &options(&[music.path()])).unwrap_err();
    assert!(err.to_string().contains("none of the 2 audio files"), "{err}");
    let errors = wd.read_table(Table::IngestErrors).unwrap();
    assert_eq!(errors.height(), 2);
    assert!(!wd.has_table(Table::Tracks));
}

#[test]
fn files_over_the_time_limit_become_error_rows_and_the_ingest_goes_on() {
    let music = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let wd = Workdir::new(work.path());
    write_wav(&music.path().join("a.wav"), &melody(1));
    write_wav(&music.path().join("b.wav"), &melody(2));
    let mut limited = options(&[music.path()]);
    limited.analyzer.time_limit = Some(std::time::Duration::ZERO);
    let err = ingest_audio(&wd, &limited).unwrap_err();
    assert!(matches!(err, timbral_core::Error::NoUsableInput(_)), "{err}");
    let errors = wd.read_table(Table::IngestErrors).unwrap();
    let mut locations = strings(&errors, "location");
    locations.sort();
    let expected: Vec<String> = ["a.wav", "b.wav"].iter().map(|f| music.path().join(f).to_string_lossy().into_owned()).collect();
    assert_eq!(locations, expected, "each file is recorded, the first failure ends nothing");
    assert!(strings(&errors, "error").iter().all(|e| e.contains("time limit")), "{errors}");
    // Without the limit the same files are analysed.
    assert_eq!(ingest(&wd, &[music.path()]).analysed, 2);
}

#[test]
fn embeddings_are_written_per_song_and_an_old_workdir_gains_them_on_reingest() {
    let dir = tempfile::tempdir().unwrap();
    let music = dir.path().join("music");
    write_wav(&music.join("a.wav"), &melody(0));
    fs::create_dir_all(&music).unwrap();
    fs::copy(clip(), music.join("clip.ogg")).unwrap();
    let wd = Workdir::new(dir.path().join("wd"));
    // A workdir ingested without embeddings, as before they existed.
    ingest(&wd, &[&music]);
    assert!(!wd.has_table(Table::Embeddings));
    let embed = AudioIngestOptions { embed: Some(Default::default()), ..options(&[&music]) };
    let summary = ingest_audio(&wd, &embed).unwrap();
    assert_eq!((summary.analysed, summary.skipped), (2, 0), "songs without an embedding are analysed again");
    let embeddings = wd.read_table(Table::Embeddings).unwrap();
    assert_eq!(strings(&embeddings, "track_id"), strings(&wd.read_table(Table::Tracks).unwrap(), "track_id"));
    assert_eq!(strings(&embeddings, "model"), ["MSD_musicnn", "MSD_musicnn"]);
    // 3 s of melody (188 frames at 16 kHz) and 4 s of clip: one 187-frame patch each.
    let patches: Vec<u32> = embeddings.column("patches").unwrap().u32().unwrap().into_no_null_iter().collect();
    assert_eq!(patches, [1, 1]);
    let vector = embeddings.column("emb_0").unwrap().f32().unwrap();
    assert!(vector.into_no_null_iter().all(f32::is_finite));
    let tags = embeddings.column("top_tags").unwrap().list().unwrap().get_as_series(0).unwrap();
    assert_eq!(tags.len(), 3);
    // Embedded now: a third ingest skips both and leaves the table as it was.
    let before = table_bytes(&wd, Table::Embeddings);
    assert_eq!(ingest_audio(&wd, &embed).unwrap().skipped, 2);
    assert_eq!(table_bytes(&wd, Table::Embeddings), before);
}
