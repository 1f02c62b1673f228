//! Read-only SQL over a workdir's tables (`timbral sql`), with Polars' SQL engine. Every
//! existing table is registered under its contract name as a lazy scan, so a query reads only
//! the columns and row groups it needs.

use polars::prelude::*;
use polars::sql::SQLContext;

use crate::error::{Error, PolarsContext, Result};
use crate::{Table, Workdir};

/// The statements accepted: the tables on disk are never changed by SQL.
pub const READ_ONLY: [&str; 5] = ["SELECT", "WITH", "SHOW", "EXPLAIN", "VALUES"];

/// A SQL session over one workdir.
pub struct SqlSession {
    context: SQLContext,
}

impl SqlSession {
    /// Registers every table of `workdir` that can be scanned; an unreadable one is logged and
    /// left out, so one damaged file does not stop queries on the others.
    pub fn open(workdir: &Workdir) -> SqlSession {
        let context = SQLContext::new();
        for table in workdir.existing_tables() {
            match workdir.scan_table(table) {
                Ok(frame) => context.register(table.name(), frame),
                Err(err) => tracing::warn!("table `{}` skipped: {err}", table.name()),
            }
        }
        SqlSession { context }
    }

    /// Names of the registered tables.
    pub fn tables(&self) -> Vec<String> {
        self.context.get_tables()
    }

    /// Runs one read-only statement.
    pub fn query(&mut self, query: &str) -> Result<DataFrame> {
        let first_word = query
            .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if !READ_ONLY.contains(&first_word.as_str()) {
            return Err(Error::BadQuery {
                query: query.to_string(),
                why: format!("only read-only queries are allowed ({}); got `{first_word}`", READ_ONLY.join(", ")),
            });
        }
        let tables = self.tables().join(", ");
        self.context.execute(query).and_then(|lazy| lazy.collect()).map_err(|e| Error::BadQuery {
            query: query.to_string(),
            why: format!("{e} (tables: {tables})"),
        })
    }
}

/// Rows and schema of `table`, read from the Parquet footer and one column.
pub fn table_summary(workdir: &Workdir, table: Table) -> Result<(u64, Schema)> {
    let mut lazy = workdir.scan_table(table)?;
    let context = || format!("reading table `{}`", table.name());
    let schema = lazy.collect_schema().ctx(context())?;
    let rows = lazy.select([len()]).collect().ctx(context())?;
    let rows = rows.columns()[0].get(0).ctx(context())?.extract::<u64>().unwrap_or(0);
    Ok((rows, schema.as_ref().clone()))
}
