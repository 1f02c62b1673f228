//! The `ingest_errors` table: one row per input that a stage could not use, with the reason.
//! A rerun replaces the rows of the same (source, location, stage), so the table always shows
//! the latest state of each input rather than a growing history.

use std::time::{SystemTime, UNIX_EPOCH};

use polars::prelude::*;

use crate::contract::Table;
use crate::error::{PolarsContext, Result};
use crate::workdir::Workdir;
use crate::cols;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestError {
    /// audio / spotify / json / msd / csv / synthetic, or the stage's own name.
    pub source: String,
    /// File path, URI or track id the error is about.
    pub location: String,
    /// Which stage failed: ingest, features, ...
    pub stage: String,
    pub error: String,
}

impl IngestError {
    pub fn new(
        source: impl Into<String>,
        location: impl Into<String>,
        stage: impl Into<String>,
        error: impl Into<String>,
    ) -> Self {
        IngestError {
            source: source.into(),
            location: location.into(),
            stage: stage.into(),
            error: error.into(),
        }
    }
}

/// Records `errors` for `stage`, first dropping earlier rows of that stage whose location is
/// in `retried` (inputs that were attempted again, successfully or not).
pub fn record(
    workdir: &Workdir,
    stage: &str,
    retried: &[String],
    errors: &[IngestError],
) -> Result<()> {
    let existing = workdir.read_table_if_exists(Table::IngestErrors)?;
    if existing.is_none() && errors.is_empty() {
        return Ok(());
    }
    let new = errors_frame(errors)?;
    let mut combined = match existing {
        Some(old) => {
            let retried = Series::new("retried".into(), retried);
            let keep = old
                .lazy()
                .filter(
                    col(cols::ingest_errors::STAGE)
                        .neq(lit(stage))
                        .or(col(cols::ingest_errors::LOCATION).is_in(lit(retried).implode(false), false).not()),
                )
                .collect()
                .ctx("filtering ingest_errors")?;
            keep.vstack(&new).ctx("appending ingest_errors")?
        }
        None => new,
    };
    workdir.write_table(Table::IngestErrors, &mut combined)?;
    Ok(())
}

/// `errors` as `ingest_errors` rows stamped with the current time.
pub fn errors_frame(errors: &[IngestError]) -> Result<DataFrame> {
    let at = utc_timestamp();
    df!(
        cols::ingest_errors::SOURCE => errors.iter().map(|e| e.source.as_str()).collect::<Vec<_>>(),
        cols::ingest_errors::LOCATION => errors.iter().map(|e| e.location.as_str()).collect::<Vec<_>>(),
        cols::ingest_errors::STAGE => errors.iter().map(|e| e.stage.as_str()).collect::<Vec<_>>(),
        cols::ingest_errors::ERROR => errors.iter().map(|e| e.error.as_str()).collect::<Vec<_>>(),
        cols::ingest_errors::AT => vec![at.as_str(); errors.len()],
    )
    .ctx("building ingest_errors rows")
}

/// Seconds-resolution RFC 3339 UTC timestamp, computed without a date library.
pub fn utc_timestamp() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil-date algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_416), (2025, 11, 24));
    }

    #[test]
    fn rerun_replaces_rows_of_retried_locations() {
        let dir = tempfile::tempdir().unwrap();
        let wd = Workdir::new(dir.path());
        let e = |loc: &str| IngestError::new("audio", loc, "ingest", "corrupt");
        record(&wd, "ingest", &["a".into(), "b".into()], &[e("a"), e("b")]).unwrap();
        record(&wd, "ingest", &["a".into()], &[]).unwrap();
        let table = wd.read_table(Table::IngestErrors).unwrap();
        assert_eq!(table.height(), 1);
        let loc = table.column("location").unwrap().str().unwrap().get(0);
        assert_eq!(loc, Some("b"));
    }
}
