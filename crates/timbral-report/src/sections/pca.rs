//! Section 2: how the variance of the standardised features spreads over PCA components.

use plotters::prelude::{SeriesLabelPosition, RGBColor};
use timbral_core::{Result, Table, cols};

use super::{Ctx, Figures};
use crate::format::pct;
use crate::html::Section;
use crate::inputs::f64s;
use crate::plot::charts::{draw_xy, Mark, Marker, Series, Style, XyChart};
use crate::plot::Size;

/// The study's reference point: two components held 25% of the variance.
const STUDY_COMPONENTS: f64 = 2.0;
const STUDY_SHARE: f64 = 0.25;

pub fn build(ctx: &Ctx, figures: &mut Figures) -> Result<Section> {
    let mut s = Section::new("pca", "Features and PCA");
    let frame = match ctx.inputs.get(Table::Pca) {
        Ok(f) => f,
        Err(why) => {
            s.read("This section shows how much of the songs' timbre variation a few linear components capture.");
            s.notice(why);
            return Ok(s);
        }
    };
    let columns = (
        f64s(frame, Table::Pca, cols::pca::COMPONENT),
        f64s(frame, Table::Pca, cols::pca::EXPLAINED_VARIANCE_RATIO),
    );
    let (components, ratios) = match columns {
        (Ok(c), Ok(r)) => (c, r),
        (Err(e), _) | (_, Err(e)) => {
            s.notice(format!("The scree plot cannot be drawn: {e}."));
            return Ok(s);
        }
    };
    let mut rows: Vec<(f64, f64)> = components
        .into_iter()
        .zip(ratios)
        .filter_map(|(c, r)| Some((c?, r?)))
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    if rows.is_empty() {
        s.notice("The pca table has no rows, so there is no scree plot.");
        return Ok(s);
    }
    // Recomputed from the ratios so that the curve and the reading always agree.
    let mut cumulative = Vec::with_capacity(rows.len());
    let mut total = 0.0;
    for &(c, r) in &rows {
        total += r;
        cumulative.push((c, total));
    }
    let reach = |share: f64| cumulative.iter().find(|p| p.1 >= share - 1e-12).map(|p| p.0 as usize);
    let two = cumulative.iter().find(|p| p.0 >= STUDY_COMPONENTS).map(|p| p.1);

    let mut chart = XyChart::new("Explained variance by component", "principal component", "share of variance");
    chart.integer_x = true;
    chart.y_range = Some((0.0, 1.02));
    chart.legend_at = SeriesLabelPosition::MiddleRight;
    chart.series.push(Series {
        label: "per component".into(),
        points: rows.clone(),
        color: RGBColor(31, 119, 180),
        style: Style::Bars { width: 0.8 },
    });
    chart.series.push(Series {
        label: "cumulative".into(),
        points: cumulative.clone(),
        color: RGBColor(255, 127, 14),
        style: if rows.len() <= 30 { Style::LineWithPoints } else { Style::Line },
    });
    chart.markers.push(Marker::accent(Mark::Point(STUDY_COMPONENTS, STUDY_SHARE), "study: 2 components held 25%"));
    for (share, grey) in [(0.8, 150u8), (0.9, 100u8)] {
        chart.markers.push(Marker {
            at: Mark::Horizontal(share),
            label: format!("{} of variance", pct(share)),
            color: RGBColor(grey, grey, grey),
        });
    }
    figures.add(
        &mut s,
        "pca_scree.png",
        Size { width: 1120, height: 460 },
        (
            "Scree plot with cumulative explained variance",
            "Bars: share of the variance of the standardised features along each principal component. Line: the running total. Red cross: the study's two components at 25%.",
        ),
        |area| draw_xy(area, &chart),
    )?;

    let mut reading = match two {
        Some(share) => format!(
            "The first two principal components hold {} of the variance of the standardised features; in the study they held 25%.",
            pct(share)
        ),
        None => "There is only one component, so the two-component share cannot be compared with the study's 25%.".to_string(),
    };
    let describe = |share: f64| match reach(share) {
        Some(k) => format!("{k} components reach {}", pct(share)),
        None => format!("the {} stored components do not reach {}", rows.len(), pct(share)),
    };
    reading.push_str(&format!(" {} and {}.", capitalise(&describe(0.8)), describe(0.9)));
    reading.push_str(
        " The variance is spread over many directions, so a flat two-dimensional projection loses most of the structure; that is why the map below uses UMAP, which keeps neighbourhoods rather than variance.",
    );
    s.read(reading);
    Ok(s)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
