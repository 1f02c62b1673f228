//! Which feature set `features` holds and the later stages read.

use std::fmt;
use std::str::FromStr;

/// The feature sets `timbral features --set` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum FeatureSet {
    /// The study's 90 timbre features.
    #[default]
    Seed,
    /// The seed features plus the "timbre over time" columns.
    Extended,
}

impl FeatureSet {
    pub const ALL: [FeatureSet; 2] = [FeatureSet::Seed, FeatureSet::Extended];

    pub fn name(self) -> &'static str {
        match self {
            FeatureSet::Seed => "seed",
            FeatureSet::Extended => "extended",
        }
    }
}

impl fmt::Display for FeatureSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FeatureSet {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FeatureSet::ALL
            .into_iter()
            .find(|set| set.name() == s)
            .ok_or_else(|| crate::Error::InvalidParameter {
                name: "set",
                why: format!("unknown feature set `{s}`; expected `seed` or `extended`"),
            })
    }
}
