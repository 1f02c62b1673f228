//! Scalar subqueries, such as the total in `count(*) * 100.0 / (SELECT count(*) FROM tracks)`.
//! Polars runs a subquery only as one side of a comparison, so each uncorrelated scalar
//! subquery is run first, through the whole layer, and its value put in as a literal. A
//! correlated one (it names a table of the outer query) cannot run alone: it gets an error
//! that shows the join that replaces it.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use polars::prelude::{AnyValue, DataFrame};
use sqlparser::ast::{
    Cte, Expr, Query, TableFactor, Value, Visit, Visitor, With, visit_expressions_mut,
};
use sqlparser::ast::helpers::attached_token::AttachedToken;

/// Runs a query through the whole layer, returning its result or the error to show.
pub(super) type Run<'a> = dyn FnMut(Query) -> Result<DataFrame, String> + 'a;

/// `query` with each scalar subquery replaced by its value. A subquery sees the CTEs declared
/// before it, whose own subqueries are replaced first.
pub(super) fn inline_scalar_subqueries(mut query: Query, run: &mut Run) -> Result<Query, String> {
    let mut scope: Vec<Cte> = Vec::new();
    if let Some(with) = query.with.as_mut() {
        for cte in &mut with.cte_tables {
            inline_in(cte.query.as_mut(), &scope, run)?;
            scope.push(cte.clone());
        }
    }
    inline_in(query.body.as_mut(), &scope, run)?;
    inline_in(&mut query.order_by, &scope, run)?;
    Ok(query)
}

fn inline_in<V: sqlparser::ast::VisitMut>(node: &mut V, scope: &[Cte], run: &mut Run) -> Result<(), String> {
    // Post-order: a subquery's own subqueries are replaced before it runs.
    let flow = visit_expressions_mut(node, |expr| {
        let Expr::Subquery(subquery) = expr else { return ControlFlow::Continue(()) };
        match value_of(subquery, scope, run) {
            Ok(Some(literal)) => *expr = literal,
            Ok(None) => {}
            Err(why) => return ControlFlow::Break(why),
        }
        ControlFlow::Continue(())
    });
    match flow {
        ControlFlow::Break(why) => Err(why),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// The literal a scalar subquery evaluates to; `None` for a value with no SQL literal (a
/// list, a date), which is left for Polars.
fn value_of(subquery: &Query, scope: &[Cte], run: &mut Run) -> Result<Option<Expr>, String> {
    let text = subquery.to_string();
    if let Some(outer) = outer_references(subquery).into_iter().next() {
        return Err(format!(
            "the subquery ({text}) refers to `{outer}` of the outer query (a correlated subquery), which \
             Polars cannot run: join a grouped subquery instead, e.g. `SELECT o.*, s.n FROM outer_table o \
             LEFT JOIN (SELECT key, count(*) AS n FROM inner_table GROUP BY key) s ON s.key = o.key`"
        ));
    }
    let mut standalone = subquery.clone();
    if !scope.is_empty() {
        let own = standalone.with.take().map(|w| w.cte_tables).unwrap_or_default();
        standalone.with = Some(With {
            with_token: AttachedToken::empty(),
            recursive: false,
            cte_tables: scope.iter().cloned().chain(own).collect(),
        });
    }
    let result = run(standalone).map_err(|why| format!("in the subquery ({text}): {why}"))?;
    if result.width() != 1 || result.height() > 1 {
        return Err(format!(
            "the subquery ({text}) gives {} row(s) of {} column(s); a subquery used as a value must give \
             one row of one column: select one aggregate (`SELECT count(*) ...`) or add `LIMIT 1`",
            result.height(),
            result.width()
        ));
    }
    let value = match result.height() {
        0 => AnyValue::Null,
        _ => result.columns()[0].get(0).map_err(|e| format!("reading the subquery ({text}): {e}"))?,
    };
    Ok(literal(&value))
}

/// A SQL literal of a scalar value: null, boolean, number or string.
fn literal(value: &AnyValue) -> Option<Expr> {
    let value = match value {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Boolean(*b),
        AnyValue::String(s) => Value::SingleQuotedString(s.to_string()),
        AnyValue::StringOwned(s) => Value::SingleQuotedString(s.to_string()),
        AnyValue::Float32(_) | AnyValue::Float64(_) => {
            let x = value.extract::<f64>()?;
            // Display gives the shortest text that reads back as the same f64, without an
            // exponent; the point keeps it a float literal.
            let text = x.to_string();
            if !x.is_finite() {
                return None;
            }
            Value::Number(if text.contains('.') { text } else { format!("{text}.0") }, false)
        }
        v if v.dtype().is_integer() => Value::Number(v.to_string(), false),
        _ => return None,
    };
    Some(Expr::value(value))
}

/// Qualifiers (`t` of `t.track_id`) that no table or alias of the subquery declares: names of
/// the outer query, which make it correlated.
fn outer_references(subquery: &Query) -> BTreeSet<String> {
    struct Names {
        declared: BTreeSet<String>,
        qualifiers: BTreeSet<String>,
    }
    impl Visitor for Names {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table { name, .. } = factor
                && let Some(last) = name.0.last().and_then(|part| part.as_ident())
            {
                self.declared.insert(last.value.clone());
            }
            if let TableFactor::Table { alias: Some(alias), .. }
            | TableFactor::Derived { alias: Some(alias), .. }
            | TableFactor::UNNEST { alias: Some(alias), .. } = factor
            {
                self.declared.insert(alias.name.value.clone());
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if let Expr::CompoundIdentifier(parts) = expr
                && parts.len() > 1
            {
                self.qualifiers.insert(parts[0].value.clone());
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            if let Some(with) = &query.with {
                self.declared.extend(with.cte_tables.iter().map(|cte| cte.alias.name.value.clone()));
            }
            ControlFlow::Continue(())
        }
    }
    let mut names = Names { declared: BTreeSet::new(), qualifiers: BTreeSet::new() };
    let _ = subquery.visit(&mut names);
    names.qualifiers.difference(&names.declared).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse;
    use sqlparser::ast::Statement;

    fn query(sql: &str) -> Query {
        let Ok(Statement::Query(query)) = parse(sql) else { panic!("{sql} is a query") };
        *query
    }

    #[test]
    fn a_correlated_subquery_is_told_apart_by_its_outer_qualifier() {
        let correlated = query("SELECT count(*) FROM recommendations r WHERE r.track_id = t.track_id");
        assert_eq!(outer_references(&correlated), BTreeSet::from(["t".to_string()]));
        let alone = query("WITH c AS (SELECT 1 AS n) SELECT max(c.n) FROM tracks t, c WHERE t.duration_s > 60");
        assert!(outer_references(&alone).is_empty());
    }

    #[test]
    fn values_become_literals_that_read_back_the_same() {
        let text = |v: AnyValue| literal(&v).map(|e| e.to_string());
        assert_eq!(text(AnyValue::Float64(1.0 / 3.0)).as_deref(), Some("0.3333333333333333"));
        assert_eq!(text(AnyValue::Float64(93.0)).as_deref(), Some("93.0"));
        assert_eq!(text(AnyValue::UInt32(93)).as_deref(), Some("93"));
        assert_eq!(text(AnyValue::String("it's")).as_deref(), Some("'it''s'"));
        assert_eq!(text(AnyValue::Null).as_deref(), Some("NULL"));
        assert_eq!(text(AnyValue::Float64(f64::NAN)), None);
    }
}
