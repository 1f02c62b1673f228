//! The checks file: TOML thresholds on eval metrics, e.g.
//!
//! ```toml
//! [metrics.artist_precision_at_5_lift]
//! min = 1.0
//! [metrics.noise_share_hdbscan]
//! max = 0.5
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use timbral_core::{Error, Result};

/// Thresholds by metric name.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    #[serde(default)]
    pub metrics: BTreeMap<String, Bound>,
}

/// A metric passes when `min <= value <= max` (either side optional, one required).
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Bound {
    /// A missing value (the metric could not be computed) fails any bound.
    pub fn passes(&self, value: Option<f64>) -> bool {
        let Some(v) = value else {
            return false;
        };
        self.min.is_none_or(|min| v >= min) && self.max.is_none_or(|max| v <= max)
    }
}

impl Checks {
    pub fn load(path: &Path) -> Result<Checks> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Checks::parse(&text, &path.display().to_string())
    }

    /// Parses TOML; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Checks> {
        let checks: Checks =
            toml::from_str(text).map_err(|e| Error::bad_input(origin, format!("not a checks file: {e}")))?;
        for (metric, bound) in &checks.metrics {
            let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
            if bound.min.is_none() && bound.max.is_none() || !finite(bound.min) || !finite(bound.max) {
                return Err(Error::bad_input(origin, format!("metric `{metric}` needs a finite `min` and/or `max`")));
            }
        }
        Ok(checks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bounds_and_rejects_empty_or_unknown_keys() {
        let checks = Checks::parse("[metrics.a]\nmin = 1.0\n[metrics.b]\nmax = 0.5\nmin = 0.1\n", "t").unwrap();
        assert_eq!(checks.metrics["a"], Bound { min: Some(1.0), max: None });
        assert!(checks.metrics["b"].passes(Some(0.3)));
        assert!(!checks.metrics["b"].passes(Some(0.6)));
        assert!(!checks.metrics["a"].passes(None));
        let err = Checks::parse("[metrics.a]\n", "f.toml").unwrap_err().to_string();
        assert!(err.contains("f.toml") && err.contains("`a`"), "{err}");
        let err = Checks::parse("[metrics.a]\nminimum = 1\n", "f.toml").unwrap_err().to_string();
        assert!(err.contains("minimum"), "{err}");
        assert!(Checks::parse("[metrics.a\n", "f.toml").is_err());
    }
}
