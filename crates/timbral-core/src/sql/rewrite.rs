//! Rewrites of a parsed query into shapes Polars' SQL answers, applied to every query level
//! (CTEs, derived tables and subqueries included):
//!
//! - an unnamed expression is named by its SQL text, as standard engines do: Polars names
//!   `max(distance)` and `min(distance)` both `distance` and then refuses the duplicate;
//! - `FROM tracks t CROSS JOIN UNNEST(t.genres) AS g(genre)` (or `, UNNEST(...)`): Polars
//!   unnests only literal arrays in FROM, so the table becomes one row per element,
//!   `(SELECT *, UNNEST(t.genres) AS genre FROM tracks AS t WHERE array_length(t.genres) > 0) AS t`,
//!   and `g.genre` becomes `t.genre` (the filter drops empty lists, as the join does);
//! - `ORDER BY ALL` is spelled out as every SELECT item by name;
//! - an ORDER BY expression or ordinal of an aggregating query is resolved to the SELECT item
//!   it repeats, by name; one the SELECT list lacks (`ORDER BY count(*)` without
//!   `count(*)` selected) becomes a hidden item, sorted on and then dropped by an outer query.
//!   Polars evaluates such expressions against the grouped rows and fails.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, GroupByExpr, Ident, JoinOperator, ObjectName, ObjectNamePart, OrderBy, OrderByExpr, OrderByKind, Query, Select, SelectItem, SetExpr, Statement,
    TableFactor, Value, VisitMut, VisitorMut, visit_expressions, visit_expressions_mut,
};

use super::parse;

/// Aggregate functions, by lower-case name: a call to one without OVER makes a SELECT aggregating.
const AGGREGATES: [&str; 22] = [
    "count", "sum", "avg", "mean", "min", "max", "median", "first", "last", "stddev", "stddev_samp",
    "stddev_pop", "std", "variance", "var_samp", "var_pop", "var", "array_agg", "string_agg", "bool_and",
    "bool_or", "quantile_cont",
];

/// Prefix of the hidden SELECT items that carry an ORDER BY expression the query does not select.
const HIDDEN: &str = "__timbral_order_";

/// `query` with every level rewritten (see the module documentation).
pub(super) fn standardise(mut query: Query) -> Query {
    let _ = query.visit(&mut Standardise);
    query
}

struct Standardise;

impl VisitorMut for Standardise {
    type Break = ();

    fn post_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        name_unnamed_items(select);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        unnest_laterally(query);
        resolve_order_by(query);
        ControlFlow::Continue(())
    }
}

/// Names every unnamed SELECT item that is not a plain column by its SQL text (`max(distance)`);
/// a name already taken gets `_2`, `_3`, ...
fn name_unnamed_items(select: &mut Select) {
    let mut taken: Vec<String> = select.projection.iter().filter_map(output_name).collect();
    for item in &mut select.projection {
        let SelectItem::UnnamedExpr(expr) = item else { continue };
        if matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
            continue;
        }
        let text = expr.to_string();
        let name = (1..)
            .map(|n| if n == 1 { text.clone() } else { format!("{text}_{n}") })
            .find(|candidate| !taken.contains(candidate))
            .unwrap_or(text);
        taken.push(name.clone());
        *item = SelectItem::ExprWithAlias { expr: expr.clone(), alias: quoted(&name) };
    }
}

/// The column name a SELECT item gives its result, when it can be told without the tables.
fn output_name(item: &SelectItem) -> Option<String> {
    match item {
        SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
        SelectItem::UnnamedExpr(Expr::Identifier(ident)) => Some(ident.value.clone()),
        SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => parts.last().map(|p| p.value.clone()),
        _ => None,
    }
}

fn quoted(name: &str) -> Ident {
    Ident::with_quote('"', name)
}

/// An `UNNEST(array) AS alias(column)` table of one array and one column.
struct Lateral {
    array: Expr,
    column: Ident,
    alias: Ident,
}

fn lateral(factor: &TableFactor) -> Option<Lateral> {
    let TableFactor::UNNEST { alias: Some(alias), array_exprs, with_offset: false, with_offset_alias: None, with_ordinality: false } =
        factor
    else {
        return None;
    };
    let ([array], [column]) = (array_exprs.as_slice(), alias.columns.as_slice()) else { return None };
    Some(Lateral { array: array.clone(), column: column.name.clone(), alias: alias.name.clone() })
}

/// A plain table of FROM: its name and the name its columns are qualified by.
fn base_table(factor: &TableFactor) -> Option<(ObjectName, Ident)> {
    let TableFactor::Table { name, alias, args: None, .. } = factor else { return None };
    let qualifier = match alias {
        Some(alias) => alias.name.clone(),
        None => name.0.last()?.as_ident()?.clone(),
    };
    Some((name.clone(), qualifier))
}

/// Whether `array` is a column of the table qualified by `qualifier` (or unqualified).
fn unnests_from(array: &Expr, qualifier: &Ident) -> bool {
    match array {
        Expr::Identifier(_) => true,
        Expr::CompoundIdentifier(parts) => parts.len() == 2 && parts[0].value == qualifier.value,
        _ => false,
    }
}

/// `table AS qualifier` with one row per element of the lateral's array.
fn exploded(table: &ObjectName, qualifier: &Ident, lateral: &Lateral) -> Option<TableFactor> {
    let Lateral { array, column, .. } = lateral;
    let sql = format!(
        "SELECT * FROM (SELECT *, UNNEST({array}) AS {column} FROM {table} AS {qualifier} \
         WHERE array_length({array}) > 0) AS {qualifier}"
    );
    let Ok(Statement::Query(query)) = parse(&sql) else { return None };
    let SetExpr::Select(select) = *query.body else { return None };
    select.from.into_iter().next().map(|from| from.relation)
}

/// Rewrites lateral UNNEST joins (see the module documentation).
fn unnest_laterally(query: &mut Query) {
    let SetExpr::Select(select) = query.body.as_mut() else { return };
    // (UNNEST alias, the table's qualifier that replaces it)
    let mut renames: Vec<(Ident, Ident)> = Vec::new();
    for from in &mut select.from {
        let Some((table, qualifier)) = base_table(&from.relation) else { continue };
        let found = from.joins.iter().enumerate().find_map(|(index, join)| {
            let lateral = lateral(&join.relation)?;
            let crossed = matches!(join.join_operator, JoinOperator::CrossJoin(_));
            (crossed && unnests_from(&lateral.array, &qualifier)).then_some((index, lateral))
        });
        if let Some((index, lateral)) = found
            && let Some(relation) = exploded(&table, &qualifier, &lateral)
        {
            from.joins.remove(index);
            from.relation = relation;
            renames.push((lateral.alias, qualifier));
        }
    }
    let mut index = 1;
    while index < select.from.len() {
        let separate = select.from[index].joins.is_empty();
        let replaced = separate
            && lateral(&select.from[index].relation).is_some_and(|lateral| {
                let base = select.from[..index].iter_mut().find_map(|from| {
                    let (table, qualifier) = base_table(&from.relation)?;
                    unnests_from(&lateral.array, &qualifier).then_some((from, table, qualifier))
                });
                let Some((from, table, qualifier)) = base else { return false };
                let Some(relation) = exploded(&table, &qualifier, &lateral) else { return false };
                from.relation = relation;
                renames.push((lateral.alias, qualifier));
                true
            });
        if replaced {
            select.from.remove(index);
        } else {
            index += 1;
        }
    }
    if renames.is_empty() {
        return;
    }
    let rename = |expr: &mut Expr| {
        if let Expr::CompoundIdentifier(parts) = expr
            && let Some((_, qualifier)) = renames.iter().find(|(alias, _)| parts.first().is_some_and(|p| p.value == alias.value))
        {
            parts[0] = qualifier.clone();
        }
        ControlFlow::<()>::Continue(())
    };
    let _ = visit_expressions_mut(query.body.as_mut(), rename);
    let _ = visit_expressions_mut(&mut query.order_by, rename);
}

/// Resolves the ORDER BY of a query over one SELECT: an expression the SELECT list repeats
/// becomes that item's name; in an aggregating SELECT, an ordinal becomes its item's name and
/// any other expression a hidden item, which an outer query then drops.
fn resolve_order_by(query: &mut Query) {
    let SetExpr::Select(select) = query.body.as_mut() else { return };
    let Some(order_by) = query.order_by.as_mut() else { return };
    let names: Vec<Option<String>> = select.projection.iter().map(output_name).collect();
    expand_order_by_all(order_by, &names);
    let OrderByKind::Expressions(order) = &mut order_by.kind else { return };
    let aggregating = is_aggregating(select);
    // Hidden items would change what DISTINCT compares, and a wildcard's names are unknown here.
    let may_hide = aggregating
        && select.distinct.is_none()
        && names.iter().all(Option::is_some);
    let mut hidden = Vec::new();
    for item in order.iter_mut() {
        let expr = &item.expr;
        let resolved = if let Some(position) = ordinal(expr) {
            match names.get(position.wrapping_sub(1)) {
                Some(Some(name)) if aggregating => Some(name.clone()),
                _ => None,
            }
        } else if is_output_name(expr, &names) {
            None
        } else if let Some(index) = select.projection.iter().position(|p| selected_expr(p).is_some_and(|e| same(e, expr))) {
            names[index].clone()
        } else if may_hide {
            let name = format!("{HIDDEN}{}", hidden.len() + 1);
            hidden.push(SelectItem::ExprWithAlias { expr: expr.clone(), alias: quoted(&name) });
            Some(name)
        } else {
            None
        };
        if let Some(name) = resolved {
            item.expr = Expr::Identifier(quoted(&name));
        }
    }
    if hidden.is_empty() {
        return;
    }
    select.projection.extend(hidden);
    wrap_dropping_hidden(query, names.into_iter().flatten().collect());
}

/// `ORDER BY ALL` (every SELECT item, left to right) spelled out by name: Polars takes `ALL`
/// for a column of an aggregating query.
fn expand_order_by_all(order_by: &mut OrderBy, names: &[Option<String>]) {
    let options = match &order_by.kind {
        OrderByKind::All(options) => options.clone(),
        OrderByKind::Expressions(items)
            if items.len() == 1
                && matches!(&items[0].expr, Expr::Identifier(i) if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("all"))
                && !names.iter().flatten().any(|n| n.eq_ignore_ascii_case("all")) =>
        {
            items[0].options.clone()
        }
        OrderByKind::Expressions(_) => return,
    };
    let Some(names) = names.iter().cloned().collect::<Option<Vec<String>>>() else { return };
    order_by.kind = OrderByKind::Expressions(
        names
            .iter()
            .map(|name| OrderByExpr { expr: Expr::Identifier(quoted(name)), options: options.clone(), with_fill: None })
            .collect(),
    );
}

/// Replaces `query` by `SELECT <visible> FROM (<query>)`, the WITH clause moved outside. Polars
/// keeps row order through a projection, so the inner ORDER BY and LIMIT hold.
fn wrap_dropping_hidden(query: &mut Query, visible: Vec<String>) {
    const WRAPPER: &str = "SELECT 1 FROM (SELECT 1) AS __timbral_sorted";
    let Ok(Statement::Query(outer)) = parse(WRAPPER) else { unreachable!("a constant query parses") };
    let with = query.with.take();
    let inner = std::mem::replace(query, *outer);
    query.with = with;
    if let SetExpr::Select(select) = query.body.as_mut() {
        select.projection = visible.iter().map(|name| SelectItem::UnnamedExpr(Expr::Identifier(quoted(name)))).collect();
        if let Some(TableFactor::Derived { subquery, .. }) = select.from.first_mut().map(|f| &mut f.relation) {
            **subquery = inner;
        }
    }
}

fn selected_expr(item: &SelectItem) -> Option<&Expr> {
    match item {
        SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => Some(expr),
        _ => None,
    }
}

/// A positive integer literal: an ordinal of the SELECT list.
fn ordinal(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::Number(digits, _) => digits.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

fn is_output_name(expr: &Expr, names: &[Option<String>]) -> bool {
    matches!(expr, Expr::Identifier(ident) if names.iter().flatten().any(|n| *n == ident.value))
}

/// Whether the SELECT groups or aggregates its rows.
fn is_aggregating(select: &Select) -> bool {
    let grouped = match &select.group_by {
        GroupByExpr::All(_) => true,
        GroupByExpr::Expressions(keys, _) => !keys.is_empty(),
    };
    grouped
        || select.having.is_some()
        || select.projection.iter().filter_map(selected_expr).any(contains_aggregate)
}

/// Whether `expr` calls an aggregate function outside a window.
pub(super) fn contains_aggregate(expr: &Expr) -> bool {
    visit_expressions(expr, |e| match e {
        Expr::Function(f) if f.over.is_none() && AGGREGATES.contains(&function_name(f).as_str()) => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

fn function_name(function: &sqlparser::ast::Function) -> String {
    match function.name.0.last() {
        Some(ObjectNamePart::Identifier(ident)) => ident.value.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Equal as SQL: unquoted identifiers and function names compare without case.
fn same(a: &Expr, b: &Expr) -> bool {
    a == b || folded(a) == folded(b)
}

fn folded(expr: &Expr) -> Expr {
    fn fold(ident: &mut Ident) {
        if ident.quote_style.is_none() {
            ident.value = ident.value.to_ascii_lowercase();
        }
    }
    let mut copy = expr.clone();
    let _ = visit_expressions_mut(&mut copy, |e| {
        match e {
            Expr::Identifier(ident) => fold(ident),
            Expr::CompoundIdentifier(parts) => parts.iter_mut().for_each(fold),
            Expr::Function(f) => f.name.0.iter_mut().for_each(|part| {
                if let ObjectNamePart::Identifier(ident) = part {
                    fold(ident)
                }
            }),
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        let Ok(Statement::Query(query)) = parse(sql) else { panic!("{sql} is a query") };
        standardise(*query).to_string()
    }

    #[test]
    fn unnamed_expressions_are_named_by_their_text_and_columns_keep_theirs() {
        assert_eq!(
            rewritten("SELECT t.title, max(distance), min(distance), max(distance) FROM t"),
            r#"SELECT t.title, max(distance) AS "max(distance)", min(distance) AS "min(distance)", max(distance) AS "max(distance)_2" FROM t"#
        );
    }

    #[test]
    fn order_by_a_selected_aggregate_or_ordinal_sorts_on_its_name() {
        assert_eq!(
            rewritten("SELECT a, COUNT(*) FROM t GROUP BY a ORDER BY count(*) DESC, 1"),
            r#"SELECT a, COUNT(*) AS "COUNT(*)" FROM t GROUP BY a ORDER BY "COUNT(*)" DESC, "a""#
        );
    }

    #[test]
    fn order_by_an_aggregate_not_selected_sorts_on_a_hidden_item_then_drops_it() {
        assert_eq!(
            rewritten("WITH x AS (SELECT * FROM t) SELECT a AS artist FROM x GROUP BY a ORDER BY avg(d) LIMIT 3"),
            r#"WITH x AS (SELECT * FROM t) SELECT "artist" FROM (SELECT a AS artist, avg(d) AS "__timbral_order_1" FROM x GROUP BY a ORDER BY "__timbral_order_1" LIMIT 3) AS __timbral_sorted"#
        );
    }

    #[test]
    fn a_lateral_unnest_becomes_an_exploded_table() {
        let exploded = r#"SELECT t.genre, count(*) AS "count(*)" FROM (SELECT *, UNNEST(t.genres) AS genre FROM tracks AS t WHERE array_length(t.genres) > 0) AS t GROUP BY t.genre ORDER BY "genre""#;
        assert_eq!(rewritten("SELECT g.genre, count(*) FROM tracks t CROSS JOIN UNNEST(t.genres) AS g(genre) GROUP BY g.genre ORDER BY g.genre"), exploded);
        assert_eq!(rewritten("SELECT g.genre, count(*) FROM tracks AS t, UNNEST(genres) AS g(genre) GROUP BY g.genre ORDER BY g.genre").replace("UNNEST(genres)", "UNNEST(t.genres)").replace("array_length(genres)", "array_length(t.genres)"), exploded);
    }

    #[test]
    fn a_plain_query_is_left_as_it_is() {
        let sql = "SELECT title, duration_s FROM tracks WHERE duration_s > 60 ORDER BY duration_s DESC, 2 LIMIT 5";
        assert_eq!(rewritten(sql), sql);
    }
}
