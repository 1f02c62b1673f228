//! Read-only SQL over a workdir's tables (`timbral sql`), with Polars' SQL engine. Every
//! existing table is registered under its contract name as a lazy scan, so a query reads only
//! the columns and row groups it needs.
//!
//! Polars' SQL rejects several shapes analysts type every day. Before Polars runs a query, this
//! layer rewrites its parsed form (the same sqlparser AST Polars parses into): scalar
//! subqueries are run first and put in as literals ([`subquery`]), unnamed expressions are
//! named by their SQL text and ORDER BY expressions are resolved to the SELECT list
//! ([`rewrite`]). A shape that still fails gets an error naming it and the rewrite that works
//! ([`explain`]). docs/sql.md lists both.

mod explain;
mod rewrite;
mod subquery;

use std::collections::BTreeMap;

use polars::prelude::*;
use polars::sql::SQLContext;
use sqlparser::ast::{Query, Statement};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserOptions};

use crate::error::{Error, PolarsContext, Result};
use crate::{Table, Workdir};

/// The statements accepted: the tables on disk are never changed by SQL.
pub const READ_ONLY: &str = "SELECT, WITH, VALUES, SHOW TABLES, EXPLAIN";

/// A SQL session over one workdir.
pub struct SqlSession {
    context: SQLContext,
    /// The registered tables, for the columns an error lists.
    tables: BTreeMap<String, LazyFrame>,
}

impl SqlSession {
    /// Registers every table of `workdir` that can be scanned; an unreadable one is logged and
    /// left out, so one damaged file does not stop queries on the others.
    pub fn open(workdir: &Workdir) -> SqlSession {
        let context = SQLContext::new();
        let mut tables = BTreeMap::new();
        for table in workdir.existing_tables() {
            match workdir.scan_table(table) {
                Ok(frame) => {
                    context.register(table.name(), frame.clone());
                    tables.insert(table.name().to_string(), frame);
                }
                Err(err) => tracing::warn!("table `{}` skipped: {err}", table.name()),
            }
        }
        SqlSession { context, tables }
    }

    /// Names of the registered tables.
    pub fn tables(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    /// Runs one read-only statement.
    pub fn query(&mut self, text: &str) -> Result<DataFrame> {
        let bad = |why: String| Error::BadQuery { query: text.trim().to_string(), why };
        let statement = parse(text).map_err(bad)?;
        match statement {
            Statement::Query(query) => self.run(*query),
            Statement::Explain { .. } | Statement::ShowTables { .. } => self.execute(&statement.to_string()),
            other => Err(format!(
                "only read-only queries are allowed ({READ_ONLY}); got `{}`",
                other.to_string().split_whitespace().next().unwrap_or_default()
            )),
        }
        .map_err(bad)
    }

    /// Runs a query through the rewrites, then Polars.
    fn run(&mut self, query: Query) -> std::result::Result<DataFrame, String> {
        let query = subquery::inline_scalar_subqueries(query, &mut |subquery| self.run(subquery))?;
        let query = rewrite::standardise(query);
        self.execute(&query.to_string())
    }

    fn execute(&mut self, sql: &str) -> std::result::Result<DataFrame, String> {
        self.context
            .execute(sql)
            .and_then(|lazy| lazy.collect())
            .map_err(|err| explain::explain(&err, sql, &self.tables))
    }
}

/// The one statement of `text`, parsed as Polars parses it.
fn parse(text: &str) -> std::result::Result<Statement, String> {
    let options = ParserOptions::new().with_trailing_commas(true);
    let mut statements = Parser::new(&GenericDialect)
        .with_options(options)
        .try_with_sql(text)
        .and_then(|mut parser| parser.parse_statements())
        .map_err(|err| format!("the query does not parse: {}", err.to_string().trim_start_matches("sql parser error: ")))?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        0 => Err("the query is empty: give one SELECT statement".to_string()),
        n => Err(format!("{n} statements given: run one at a time (separate calls, or one per prompt line)")),
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
