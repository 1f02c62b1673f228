//! Polars' SQL errors as a reader can act on them: the shape that failed, the value it names
//! (table, column, output name) and the rewrite that works, instead of the engine's message
//! alone (which also carries the query plan).

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use polars::prelude::{LazyFrame, PolarsError};
use sqlparser::ast::{TableFactor, Visit, Visitor, visit_relations};

use super::parse;

/// The error to show for `error`, raised by Polars on `sql` over `tables`.
pub(super) fn explain(error: &PolarsError, sql: &str, tables: &BTreeMap<String, LazyFrame>) -> String {
    let message = engine_message(error);
    if let Some(column) = message.split("unable to find column ").nth(1).and_then(first_quoted) {
        return format!(
            "no column `{column}` in the tables the query reads ({}): check the spelling; `timbral tables` lists every column",
            columns_of(&read_tables(sql), tables)
        );
    }
    if has_lateral_unnest(sql)
        && (message.contains("Expected array expression") || message.contains("no table or struct column named"))
    {
        return "this UNNEST in FROM (with ORDINALITY or OFFSET, several arrays or columns, or a join other than \
                CROSS JOIN or a comma) cannot run: write `FROM tracks t CROSS JOIN UNNEST(t.genres) AS g(genre)`, \
                one array and one column, or unnest in the SELECT list, `SELECT t.title, UNNEST(t.genres) AS genre \
                FROM tracks t`"
            .to_string();
    }
    if let Some(qualifier) = message.strip_prefix("no table or struct column named ").and_then(first_quoted) {
        return format!(
            "`{qualifier}.` names no table or alias of the query: qualify columns with a table name or an alias \
             declared in FROM (`FROM tracks t` ... `t.title`)"
        );
    }
    if let Some(table) = message.strip_prefix("relation ").and_then(first_quoted) {
        return format!(
            "no table `{table}` in this workdir; its tables: {} (docs/data-contract.md says which command writes each)",
            tables.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    if message.contains("duplicate output name") {
        let name = first_quoted(&message).unwrap_or_default();
        return format!(
            "two result columns are named `{name}`: give one an alias (`... AS {name}_2`); \
             `SELECT a.*, b.*` over a join repeats the key, so list the columns instead"
        );
    }
    if message.contains("sort expressions must have same length") {
        return "an ORDER BY expression cannot be computed on the result rows: add it to the SELECT list \
                with an alias (`count(*) AS n`) and ORDER BY the alias"
            .to_string();
    }
    if message.contains("OVER does not (yet) support mixed asc/desc") {
        return "a window's ORDER BY mixes ASC and DESC, which Polars cannot run: order every key the same \
                way, negating a numeric one (`OVER (PARTITION BY artist_name ORDER BY -duration_s, track_id)` \
                for `ORDER BY duration_s DESC, track_id`)"
            .to_string();
    }
    if let Some(function) = message.strip_prefix("unsupported function ").and_then(first_quoted) {
        return format!(
            "Polars SQL has no function `{function}`: docs/sql.md lists the usual replacements \
             (`quantile_cont(x, 0.9)` for `percentile_cont(0.9) WITHIN GROUP (ORDER BY x)`, \
             `array_length(list)` for `cardinality(list)`)"
        );
    }
    format!("Polars SQL: {message}")
}

/// Whether `sql` has UNNEST as a table of its FROM clause.
fn has_lateral_unnest(sql: &str) -> bool {
    struct FindUnnest;
    impl Visitor for FindUnnest {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
            match factor {
                TableFactor::UNNEST { .. } => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            }
        }
    }
    parse(sql).is_ok_and(|statement| statement.visit(&mut FindUnnest).is_break())
}

/// The engine's own message: its first paragraph, without the error kind's prefix or the plan
/// Polars appends.
fn engine_message(error: &PolarsError) -> String {
    let text = match error {
        PolarsError::ColumnNotFound(s)
        | PolarsError::ComputeError(s)
        | PolarsError::Duplicate(s)
        | PolarsError::InvalidOperation(s)
        | PolarsError::SchemaMismatch(s)
        | PolarsError::SQLInterface(s)
        | PolarsError::SQLSyntax(s) => s.to_string(),
        other => other.to_string(),
    };
    text.split("\n\n").next().unwrap_or_default().trim().to_string()
}

/// The text between the first pair of double or single quotes.
fn first_quoted(message: &str) -> Option<String> {
    let start = message.find(['"', '\''])?;
    let quote = message[start..].chars().next()?;
    let rest = &message[start + 1..];
    rest.find(quote).map(|end| rest[..end].to_string())
}

/// The tables `sql` reads, by name.
fn read_tables(sql: &str) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(statement) = parse(sql) {
        let _ = visit_relations(&statement, |relation| {
            if let Some(ident) = relation.0.last().and_then(|part| part.as_ident()) {
                names.push(ident.value.clone());
            }
            ControlFlow::<()>::Continue(())
        });
    }
    names.sort();
    names.dedup();
    names
}

/// `table: col, col; table: ...` for the registered tables among `names`.
fn columns_of(names: &[String], tables: &BTreeMap<String, LazyFrame>) -> String {
    names
        .iter()
        .filter_map(|name| {
            let schema = tables.get(name)?.clone().collect_schema().ok()?;
            let columns: Vec<&str> = schema.iter_names().map(|c| c.as_str()).collect();
            Some(format!("{name}: {}", columns.join(", ")))
        })
        .collect::<Vec<_>>()
        .join("; ")
}
