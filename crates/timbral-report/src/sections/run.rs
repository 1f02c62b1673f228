//! Section 8: how the tables were made (parameters, versions, timings) and the quality checks.

use polars::prelude::AnyValue;
use timbral_core::manifest::Manifest;
use timbral_core::{Result, Table, cols};

use super::Ctx;
use crate::format::{int, num};
use crate::html::{Block, Section, TableBlock};
use crate::inputs::{bools, f64s, has, strs};

/// The order in which `timbral run` executes its stages.
const STAGE_ORDER: [&str; 6] = ["ingest", "features", "cluster", "similarity", "eval", "report"];

pub fn build(ctx: &Ctx) -> Result<Section> {
    let mut s = Section::new("run", "Run");
    s.read(
        "How these results were produced: the parameters and wall time of each stage of the last `timbral run`, the library versions, and the quality metrics of `timbral eval` against the thresholds of the checks file. A failed check means a metric missed its threshold.",
    );
    stage_table(ctx, &mut s);
    versions(ctx, &mut s);
    quality_table(ctx, &mut s);
    model_table(ctx, &mut s);
    eval_table(ctx, &mut s);
    Ok(s)
}

fn stage_table(ctx: &Ctx, s: &mut Section) {
    let path = Manifest::path(ctx.inputs.workdir());
    if !path.is_file() {
        s.notice(format!(
            "There is no run manifest ({}): `timbral run` writes one; stages run one by one leave no timings.",
            path.display()
        ));
        return;
    }
    let manifest = Manifest::load(ctx.inputs.workdir());
    if manifest.stages.is_empty() {
        s.notice(format!("The run manifest {} is empty or could not be parsed.", path.display()));
        return;
    }
    let mut names: Vec<&String> = manifest.stages.keys().collect();
    names.sort_by_key(|n| (STAGE_ORDER.iter().position(|o| *o == n.as_str()).unwrap_or(STAGE_ORDER.len()), n.to_string()));
    let total: f64 = manifest.stages.values().map(|r| r.seconds).sum();
    s.push(Block::Subheading("Stages".into()));
    s.push(Block::Table(TableBlock {
        caption: format!("Per-stage wall time ({} s in all)", num(total)),
        header: ["stage", "seconds", "finished (UTC)", "parameters"].map(String::from).to_vec(),
        rows: names
            .iter()
            .map(|name| {
                let r = &manifest.stages[*name];
                vec![name.to_string(), num(r.seconds), r.finished_at.clone(), r.params_text.clone()]
            })
            .collect(),
        half: false,
    }));
    if manifest.stages.contains_key("report") {
        s.push(Block::Paragraph(
            "The report stage's own time is from the previous run: it is recorded after this page is written.".into(),
        ));
    }
}

fn versions(ctx: &Ctx, s: &mut Section) {
    let opts = ctx.opts;
    let mut rows = vec![
        vec!["timbral".to_string(), env!("CARGO_PKG_VERSION").to_string()],
        vec!["libraries".to_string(), env!("TIMBRAL_LIBRARY_VERSIONS").to_string()],
    ];
    rows.push(vec![
        "report options".to_string(),
        format!(
            "top genres {}, heatmap genres {}, heatmap artists {}, prolific artists {}, neighbours {}, example songs {}, cohesion rows {}, seed {}",
            opts.top_genres,
            opts.heatmap_genres,
            opts.heatmap_artists,
            opts.prolific_artists,
            opts.neighbours,
            opts.example_songs,
            opts.cohesion_rows,
            opts.seed
        ),
    ]);
    s.push(Block::Subheading("Versions and report parameters".into()));
    s.push(Block::Table(TableBlock {
        caption: String::new(),
        header: vec!["what".into(), "value".into()],
        rows,
        half: false,
    }));
}

/// Opens a subsection titled `title` and returns `table`, or says in it why it is missing.
fn titled_input<'a>(ctx: &'a Ctx, s: &mut Section, title: &str, table: Table) -> Option<&'a polars::prelude::DataFrame> {
    s.push(Block::Subheading(title.into()));
    ctx.inputs.get(table).map_err(|why| s.notice(why)).ok()
}

/// The clustering stage's own quality figures (trustworthiness, stability, noise shares...).
fn quality_table(ctx: &Ctx, s: &mut Section) {
    let Some(frame) = titled_input(ctx, s, "Clustering quality", Table::ClusterQuality) else {
        return;
    };
    let t = Table::ClusterQuality;
    match (strs(frame, t, cols::cluster_quality::METRIC), f64s(frame, t, cols::cluster_quality::VALUE)) {
        (Ok(names), Ok(values)) => s.push(Block::Table(TableBlock {
            caption: "Measured by `timbral cluster`".into(),
            header: vec!["metric".into(), "value".into()],
            rows: names
                .into_iter()
                .zip(values)
                .map(|(n, v)| vec![n.unwrap_or_default(), v.map(num).unwrap_or_else(|| "–".into())])
                .collect(),
            half: false,
        })),
        (Err(e), _) | (_, Err(e)) => s.notice(format!("The clustering quality cannot be shown: {e}.")),
    }
}

/// The settings of the fit (`cluster_model`, one row) as setting-value rows.
fn model_table(ctx: &Ctx, s: &mut Section) {
    let Some(frame) = titled_input(ctx, s, "Fitted model", Table::ClusterModel) else {
        return;
    };
    let rows = frame
        .columns()
        .iter()
        .map(|column| {
            let value = match column.get(0) {
                Ok(AnyValue::String(text)) => text.to_string(),
                Ok(AnyValue::Float64(v)) => num(v),
                Ok(value) => value.to_string(),
                Err(_) => "–".into(),
            };
            vec![column.name().to_string(), value]
        })
        .collect();
    s.push(Block::Table(TableBlock {
        caption: "The settings `timbral place` extends the fit with".into(),
        header: vec!["setting".into(), "value".into()],
        rows,
        half: false,
    }));
}

/// "≥ 0.3", "≤ 0.5", "0.2 to 0.5" or empty.
fn threshold(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("{} to {}", num(lo), num(hi)),
        (Some(lo), None) => format!("≥ {}", num(lo)),
        (None, Some(hi)) => format!("≤ {}", num(hi)),
        (None, None) => String::new(),
    }
}

fn eval_table(ctx: &Ctx, s: &mut Section) {
    let Some(frame) = titled_input(ctx, s, "Evaluation", Table::Eval) else {
        return;
    };
    let t = Table::Eval;
    let optional_f64 = |name: &str| f64s(frame, t, name).unwrap_or_else(|_| vec![None; frame.height()]);
    let (metrics, values) = match (strs(frame, t, cols::cluster_quality::METRIC), f64s(frame, t, cols::cluster_quality::VALUE)) {
        (Ok(m), Ok(v)) => (m, v),
        (Err(e), _) | (_, Err(e)) => {
            s.notice(format!("The eval metrics cannot be shown: {e}."));
            return;
        }
    };
    let (mins, maxs) = (optional_f64(cols::eval::THRESHOLD_MIN), optional_f64(cols::eval::THRESHOLD_MAX));
    let passed = bools(frame, t, cols::eval::PASSED).unwrap_or_else(|_| vec![None; frame.height()]);
    let descriptions = if has(frame, cols::eval::DESCRIPTION) {
        strs(frame, t, cols::eval::DESCRIPTION).unwrap_or_else(|_| vec![None; frame.height()])
    } else {
        vec![None; frame.height()]
    };
    if metrics.is_empty() {
        s.notice("The eval table has no metrics.");
        return;
    }
    let checked = passed.iter().flatten().count();
    let failed = passed.iter().filter(|p| **p == Some(false)).count();
    s.push(Block::Facts(vec![
        ("Metrics".into(), int(metrics.len())),
        ("Checked against a threshold".into(), int(checked)),
        ("Failed".into(), int(failed)),
    ]));
    if checked == 0 {
        s.notice("No metric has a threshold: run `timbral eval --checks FILE` to check them.");
    }
    s.push(Block::Table(TableBlock {
        caption: "Quality metrics".into(),
        header: ["metric", "value", "threshold", "result", "meaning"].map(String::from).to_vec(),
        rows: (0..metrics.len())
            .map(|i| {
                vec![
                    metrics[i].clone().unwrap_or_default(),
                    values[i].map(num).unwrap_or_else(|| "–".into()),
                    threshold(mins[i], maxs[i]),
                    match passed[i] {
                        Some(true) => "pass".into(),
                        Some(false) => "FAIL".into(),
                        None => "not checked".into(),
                    },
                    descriptions[i].clone().unwrap_or_default(),
                ]
            })
            .collect(),
        half: false,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_read_naturally() {
        assert_eq!(threshold(Some(0.3), None), "≥ 0.3000");
        assert_eq!(threshold(None, Some(2.0)), "≤ 2.000");
        assert_eq!(threshold(Some(0.2), Some(0.5)), "0.2000 to 0.5000");
        assert_eq!(threshold(None, None), "");
    }
}
