//! A short seeded campaign over every input kind (the CI share of `bench/fuzz.sh`), and the
//! replay of every committed regression input: each must end accepted or rejected with an error
//! naming its input, never a panic or a hang.

use std::path::Path;

use timbral_fuzz::campaign::{Limits, install_panic_hook, replay, run_kind};
use timbral_fuzz::targets::{Kind, Outcome};

/// Per kind: seconds of CI time each, a few hundred inputs in all.
const ITERATIONS: usize = 24;

fn campaign(kind: Kind) {
    install_panic_hook();
    let scratch = tempfile::tempdir().unwrap();
    let report = run_kind(kind, ITERATIONS, 42, &Limits::default(), scratch.path(), None).unwrap();
    assert!(report.is_clean(), "{}: {:#?}", kind.name(), (&report.panics, &report.hangs, &report.unclear));
    assert_eq!(report.accepted + report.rejected, ITERATIONS);
    // Mutations must actually break inputs, or the campaign tests nothing.
    assert!(report.rejected > 0, "{}: every mutated input was accepted", kind.name());
}

#[test]
fn audio_inputs_never_panic_or_hang() {
    for kind in [Kind::Ogg, Kind::Mp3, Kind::Flac, Kind::Wav, Kind::M4a, Kind::Opus] {
        campaign(kind);
    }
}

#[test]
fn analysis_json_never_panics() {
    campaign(Kind::AnalysisJson);
}

#[test]
fn audio_features_never_panic() {
    campaign(Kind::AudioFeatures);
}

#[test]
fn metadata_and_features_csvs_never_panic() {
    campaign(Kind::MetadataCsv);
    campaign(Kind::FeaturesCsv);
}

#[test]
fn spotify_bodies_never_panic() {
    campaign(Kind::Spotify);
}

#[cfg(feature = "msd")]
#[test]
fn msd_files_never_panic() {
    campaign(Kind::Msd);
}

/// Every file of `regressions/<kind>/` (inputs that once broke the rules, named
/// `<what>-<iteration>.seed<index>.bin` as `timbral-fuzz --findings` writes them) and of
/// `hostile/<kind>/` (hand-made inputs of the shapes that break parsers, written by
/// `hostile/make_hostile.py`) must end cleanly: accepted, or rejected naming its input.
#[test]
fn committed_inputs_end_cleanly() {
    install_panic_hook();
    let scratch = tempfile::tempdir().unwrap();
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut replayed = Vec::new();
    for folder in ["regressions", "hostile"] {
        for kind in Kind::all() {
            let Ok(entries) = std::fs::read_dir(crate_dir.join(folder).join(kind.name())) else { continue };
            for entry in entries {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                let index: usize = name
                    .rsplit_once(".seed")
                    .and_then(|(_, rest)| rest.strip_suffix(".bin"))
                    .and_then(|i| i.parse().ok())
                    .unwrap_or_else(|| panic!("{name}: expected <what>.seed<index>.bin"));
                let input = std::fs::read(&path).unwrap();
                let outcome = replay(kind, &input, index, scratch.path(), &Limits::default()).unwrap();
                let shown = format!("{folder}/{}/{name}", kind.name());
                match outcome {
                    Some(Ok(Outcome::Accepted)) => {}
                    Some(Ok(Outcome::Rejected(why))) => {
                        assert!(kind.names_its_input(&why), "{shown}: unclear error: {why}")
                    }
                    Some(Err(panic)) => panic!("{shown} panics: {panic}"),
                    None => panic!("{shown} hangs"),
                }
                replayed.push(shown);
            }
        }
    }
    assert!(replayed.iter().filter(|p| p.starts_with("hostile/")).count() >= 9, "hostile inputs missing: {replayed:?}");
}
