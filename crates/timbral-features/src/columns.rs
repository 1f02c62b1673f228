//! Column names of the `features` table, in output order. Documented in `docs/features.md`.

use timbral_core::contract::seed_feature_names;

use timbral_core::FeatureSet;

/// Columns of the section statistics, null for a track without sections.
pub(crate) const SECTION_COLUMNS: [&str; 5] = [
    "section_count",
    "section_duration_mean",
    "section_duration_std",
    "section_loudness_range",
    "section_tempo_std",
];

/// Every feature column of `set`, in table order (without `track_id`).
pub fn feature_names(set: FeatureSet) -> Vec<String> {
    let mut names = seed_feature_names();
    if set == FeatureSet::Extended {
        names.extend(extended_feature_names());
    }
    names
}

/// The columns the extended set adds after the 90 seed features.
pub fn extended_feature_names() -> Vec<String> {
    let mut names: Vec<String> = (0..12).map(|i| format!("dt{i}_abs_mean")).collect();
    names.extend((0..12).map(|i| format!("dt{i}_std")));
    names.extend(["dt_norm_mean".into(), "dt_norm_std".into()]);
    names.extend((0..12).map(|i| format!("pc{i}_mean")));
    names.push("pc_entropy".into());
    names.extend(
        [
            "loudness_max_mean",
            "loudness_max_std",
            "dynamic_range",
            "segment_count",
            "segment_rate",
        ]
        .map(String::from),
    );
    names.extend(SECTION_COLUMNS.map(String::from));
    names
}
