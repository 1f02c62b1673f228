//! Section 4: choosing k for K-Means and eps for DBSCAN.

use plotters::prelude::RGBColor;
use polars::prelude::{col, lit, DataType};
use timbral_core::{Result, Table, cols};

use super::{Ctx, Figures};
use crate::format::{num, pct};
use crate::html::Section;
use crate::inputs::{bools, f64s, has, strs};
use crate::plot::charts::{draw_xy, Mark, Marker, Series, Style, XyChart};
use crate::plot::Size;

/// The validity indices of `model_selection` with their axis names and which way is better.
const METRICS: [(&str, &str, bool); 4] = [
    (cols::model_selection::INERTIA, "Inertia (within-cluster sum of squares)", false),
    (cols::model_selection::SILHOUETTE, "Silhouette", true),
    (cols::model_selection::CALINSKI_HARABASZ, "Calinski-Harabasz", true),
    (cols::model_selection::DAVIES_BOULDIN, "Davies-Bouldin", false),
];

pub fn build(ctx: &Ctx, figures: &mut Figures) -> Result<Section> {
    let mut s = Section::new("model-selection", "Model selection");
    let mut reading = Vec::new();
    kmeans_panels(ctx, figures, &mut s, &mut reading)?;
    kdistance_curve(ctx, figures, &mut s, &mut reading)?;
    if reading.is_empty() {
        reading.push("This section shows how the number of K-Means clusters and the DBSCAN radius were chosen.".to_string());
    }
    for r in reading {
        s.read(r);
    }
    Ok(s)
}

/// The k that K-Means was run with: the `chosen` flag in `model_selection`, else the number of
/// distinct K-Means labels in `clusters`.
fn chosen_k(ctx: &Ctx, frame: &polars::prelude::DataFrame, ks: &[Option<f64>]) -> Option<f64> {
    if let Ok(flags) = bools(frame, Table::ModelSelection, cols::model_selection::CHOSEN)
        && let Some(i) = flags.iter().position(|f| *f == Some(true))
    {
        return ks[i];
    }
    let kmeans = col(cols::clusters::KMEANS);
    let distinct = ctx.inputs.scalar(Table::Clusters, kmeans.clone().filter(kmeans.gt_eq(lit(0))).n_unique()).ok()??;
    (distinct > 0.0).then_some(distinct)
}

fn kmeans_panels(ctx: &Ctx, figures: &mut Figures, s: &mut Section, reading: &mut Vec<String>) -> Result<()> {
    let frame = match ctx.inputs.get(Table::ModelSelection) {
        Ok(f) => f,
        Err(why) => {
            s.notice(why);
            return Ok(());
        }
    };
    let ks = match f64s(frame, Table::ModelSelection, cols::model_selection::K) {
        Ok(k) => k,
        Err(e) => {
            s.notice(format!("The K-Means curves cannot be drawn: {e}."));
            return Ok(());
        }
    };
    let chosen = chosen_k(ctx, frame, &ks);
    let mut charts = Vec::new();
    let mut missing = Vec::new();
    for (column, title, higher_is_better) in METRICS {
        if !has(frame, column) {
            missing.push(column);
            continue;
        }
        let Ok(values) = f64s(frame, Table::ModelSelection, column) else {
            missing.push(column);
            continue;
        };
        let mut points: Vec<(f64, f64)> = ks.iter().zip(&values).filter_map(|(k, v)| Some(((*k)?, (*v)?))).collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if points.is_empty() {
            missing.push(column);
            continue;
        }
        if column != cols::model_selection::INERTIA {
            let best = points
                .iter()
                .copied()
                .reduce(|a, b| if (b.1 > a.1) == higher_is_better && b.1 != a.1 { b } else { a });
            if let Some((k, v)) = best {
                reading.push(format!(
                    "{title} is best at k = {k:.0} ({}; {} is better).",
                    num(v),
                    if higher_is_better { "higher" } else { "lower" }
                ));
            }
        }
        let mut chart = XyChart::new(title, "k (number of clusters)", column);
        chart.integer_x = true;
        chart.series.push(Series {
            label: String::new(),
            points,
            color: RGBColor(31, 119, 180),
            style: Style::LineWithPoints,
        });
        if let Some(k) = chosen {
            chart.markers.push(Marker::accent(Mark::Vertical(k), format!("chosen k = {k:.0}")));
        }
        charts.push(chart);
    }
    if !missing.is_empty() {
        s.notice(format!(
            "model_selection has no usable column(s) {}, so their panels are left out.",
            missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    if charts.is_empty() {
        return Ok(());
    }
    reading.insert(
        0,
        format!(
            "K-Means was run on the standardised features (the study's \"K-Means before UMAP\") for each k. Inertia always falls as k grows; the other three indices weigh how compact and how separated the clusters are.{}",
            chosen.map(|k| format!(" The run kept k = {k:.0}.")).unwrap_or_default()
        ),
    );
    let columns = if charts.len() == 1 { 1 } else { 2 };
    let rows = charts.len().div_ceil(columns);
    let size = Size { width: 1120, height: 330 * rows as u32 };
    figures.add(
        s,
        "model_selection.png",
        size,
        (
            "Inertia, silhouette, Calinski-Harabasz and Davies-Bouldin against k",
            "K-Means validity indices against the number of clusters k; the dashed line marks the k the run kept.",
        ),
        |area| {
            for (chart, panel) in charts.iter().zip(area.split_evenly((rows, columns))) {
                draw_xy(&panel, chart)?;
            }
            Ok(())
        },
    )
}

/// Points kept of the k-distance curve: a figure 2,240 pixels wide shows no more.
const CURVE_POINTS: usize = 2_000;

/// At most about `keep` points of a sorted curve: every n-th point, and always the last.
fn thin_curve(points: Vec<(f64, f64)>, keep: usize) -> Vec<(f64, f64)> {
    let step = points.len().div_ceil(keep.max(1)).max(1);
    if step == 1 {
        return points;
    }
    let last = points.len() - 1;
    points.into_iter().enumerate().filter(|(i, _)| i % step == 0 || *i == last).map(|(_, p)| p).collect()
}

/// The DBSCAN eps the run chose: `dbscan_eps` in `cluster_quality` (or `eval`), else the
/// distance at the `knee` flag of `kdistance`.
fn chosen_eps(ctx: &Ctx, frame: &polars::prelude::DataFrame, distances: &[Option<f64>]) -> Option<f64> {
    for table in [Table::ClusterQuality, Table::Eval] {
        let Ok(metrics) = ctx.inputs.get(table) else { continue };
        let (Ok(names), Ok(values)) = (strs(metrics, table, cols::cluster_quality::METRIC), f64s(metrics, table, cols::cluster_quality::VALUE)) else {
            continue;
        };
        let found = names.iter().zip(&values).find(|(n, _)| n.as_deref() == Some("dbscan_eps"));
        if let Some((_, Some(eps))) = found {
            return Some(*eps);
        }
    }
    let flags = bools(frame, Table::KDistance, cols::kdistance::KNEE).ok()?;
    let knee = flags.iter().position(|f| *f == Some(true))?;
    distances[knee]
}

fn noise_share(ctx: &Ctx, method: &str) -> Option<f64> {
    ctx.inputs.scalar(Table::Clusters, col(method).lt(lit(0)).cast(DataType::Float64).mean()).ok()?
}

fn kdistance_curve(ctx: &Ctx, figures: &mut Figures, s: &mut Section, reading: &mut Vec<String>) -> Result<()> {
    let frame = match ctx.inputs.columns(Table::KDistance, &[cols::kdistance::RANK, cols::kdistance::DISTANCE, cols::kdistance::KNEE]) {
        Ok(f) => f,
        Err(why) => {
            s.notice(why);
            return Ok(());
        }
    };
    let (ranks, distances) = match (f64s(&frame, Table::KDistance, cols::kdistance::RANK), f64s(&frame, Table::KDistance, cols::kdistance::DISTANCE)) {
        (Ok(r), Ok(d)) => (r, d),
        (Err(e), _) | (_, Err(e)) => {
            s.notice(format!("The k-distance curve cannot be drawn: {e}."));
            return Ok(());
        }
    };
    let mut points: Vec<(f64, f64)> = ranks.iter().zip(&distances).filter_map(|(r, d)| Some(((*r)?, (*d)?))).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    if points.is_empty() {
        s.notice("The kdistance table has no rows, so there is no k-distance curve.");
        return Ok(());
    }
    let points = thin_curve(points, CURVE_POINTS);
    let eps = chosen_eps(ctx, &frame, &distances);
    let (dbscan_noise, hdbscan_noise) = (noise_share(ctx, cols::clusters::DBSCAN), noise_share(ctx, cols::clusters::HDBSCAN));
    let mut chart = XyChart::new("DBSCAN k-distance curve", "songs sorted by distance", "distance to k-th neighbour");
    chart.legend_at = plotters::prelude::SeriesLabelPosition::UpperLeft;
    chart.series.push(Series {
        label: "k-distance".into(),
        points,
        color: RGBColor(31, 119, 180),
        style: Style::Line,
    });
    match eps {
        Some(e) => chart.markers.push(Marker::accent(Mark::Horizontal(e), format!("chosen eps = {}", num(e)))),
        None => s.notice("No chosen eps was found (no `dbscan_eps` in cluster_quality, no knee flag in kdistance), so the curve has no eps line."),
    }
    let noise_text = match dbscan_noise {
        Some(n) => format!("DBSCAN leaves {} of the songs as noise (the study: about a quarter).", pct(n)),
        None => "The DBSCAN noise share is unknown (no clusters table).".to_string(),
    };
    let caption = format!("Each song's distance to its k-th nearest neighbour on the 2-D map, sorted. {noise_text}");
    figures.add(
        s,
        "kdistance.png",
        Size { width: 1120, height: 420 },
        ("DBSCAN k-distance curve with the chosen eps", &caption),
        |area| draw_xy(area, &chart),
    )?;
    let mut text = format!(
        "DBSCAN runs on the 2-D map (the study's \"DBSCAN after UMAP\"). Its radius eps is read off the knee of the k-distance curve, where distances start to climb steeply: songs beyond it are too isolated to join a cluster.{}",
        eps.map(|e| format!(" Here eps = {}.", num(e))).unwrap_or_default()
    );
    text.push(' ');
    text.push_str(&noise_text);
    if let Some(h) = hdbscan_noise {
        text.push_str(&format!(" HDBSCAN, the default clustering, leaves {} as noise.", pct(h)));
    }
    reading.push(text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_curve_keeps_every_nth_point_and_the_last() {
        let points: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, i as f64)).collect();
        let xs = |p: Vec<(f64, f64)>| p.into_iter().map(|p| p.0).collect::<Vec<_>>();
        assert_eq!(xs(thin_curve(points.clone(), 4)), vec![0.0, 3.0, 6.0, 9.0]);
        assert_eq!(xs(thin_curve(points.clone(), 3)), vec![0.0, 4.0, 8.0, 9.0]);
        assert_eq!(thin_curve(points.clone(), 10), points);
    }
}
