//! Scatter plots of the 2-D map, coloured by category or by a continuous value.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::canvas::{padded_range, px, text, Area, DrawResult};
use super::charts::{colorbar, legend_swatch};
use super::colors::{category, viridis, GREY};

/// At most this many categories get a legend entry; the rest are summarised in one line.
const LEGEND_ENTRIES: usize = 12;

type MapChart<'a, 'b> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Point radius in device pixels: smaller points for denser maps.
fn radius(points: usize) -> u32 {
    match points {
        0..=600 => px(3),
        601..=6000 => px(2),
        _ => px(1),
    }
}

fn map_axes<'a, 'b>(area: &'a Area<'b>, title: &str, xy: &[(f64, f64)]) -> Result<MapChart<'a, 'b>, Box<dyn std::error::Error + Send + Sync>> {
    let (x0, x1) = padded_range(xy.iter().map(|p| p.0), 0.03);
    let (y0, y1) = padded_range(xy.iter().map(|p| p.1), 0.03);
    let mut ctx = ChartBuilder::on(area)
        .caption(title, text(16))
        .margin(px(10))
        .x_label_area_size(px(44))
        .y_label_area_size(px(56))
        .build_cartesian_2d(x0..x1, y0..y1)?;
    ctx.configure_mesh()
        .x_desc("UMAP 1")
        .y_desc("UMAP 2")
        .label_style(text(11))
        .axis_desc_style(text(13))
        .light_line_style(RGBColor(245, 245, 245))
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()?;
    Ok(ctx)
}

/// Points coloured by `category[i]` (an index into `labels`); `None` is drawn grey under
/// the others and named `none_label` in the legend.
pub fn scatter_categories(
    area: &Area,
    title: &str,
    xy: &[(f64, f64)],
    categories: &[Option<usize>],
    labels: &[String],
    none_label: &str,
) -> DrawResult {
    let mut ctx = map_axes(area, title, xy)?;
    let r = radius(xy.len());
    let mut counts = vec![0usize; labels.len()];
    for c in categories.iter().flatten() {
        if let Some(n) = counts.get_mut(*c) {
            *n += 1;
        }
    }
    let uncategorised: Vec<(f64, f64)> = xy
        .iter()
        .zip(categories)
        .filter(|(_, c)| c.is_none())
        .map(|(p, _)| *p)
        .collect();
    if !uncategorised.is_empty() {
        ctx.draw_series(uncategorised.iter().map(|&p| Circle::new(p, r, GREY.filled())))?
            .label(format!("{none_label} ({})", uncategorised.len()))
            .legend(|(x, y)| legend_swatch(x, y, GREY));
    }
    // Largest categories first, so that small ones stay visible on top.
    let mut order: Vec<usize> = (0..labels.len()).filter(|&c| counts[c] > 0).collect();
    order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
    for (rank, &c) in order.iter().enumerate() {
        let color = category(c);
        let points = xy
            .iter()
            .zip(categories)
            .filter(|(_, k)| **k == Some(c))
            .map(|(p, _)| Circle::new(*p, r, color.mix(0.8).filled()));
        let drawn = ctx.draw_series(points)?;
        if rank < LEGEND_ENTRIES {
            drawn
                .label(format!("{} ({})", labels[c], counts[c]))
                .legend(move |(x, y)| legend_swatch(x, y, color));
        }
    }
    if order.len() > LEGEND_ENTRIES {
        let hidden = order.len() - LEGEND_ENTRIES;
        ctx.draw_series(std::iter::empty::<Circle<(f64, f64), u32>>())?
            .label(format!("+ {hidden} smaller groups"))
            .legend(|(x, y)| legend_swatch(x, y, WHITE));
    }
    ctx.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(text(11))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .margin(px(4))
        .draw()?;
    Ok(())
}

/// Points coloured by `values[i]` on the viridis scale with a colour bar; `None` in grey.
pub fn scatter_values(
    area: &Area,
    title: &str,
    xy: &[(f64, f64)],
    values: &[Option<f64>],
    value_label: &str,
) -> DrawResult {
    let (plot, bar) = area.split_horizontally(area.dim_in_pixel().0 - px(100));
    let mut ctx = map_axes(&plot, title, xy)?;
    let r = radius(xy.len());
    let (lo, hi) = padded_range(values.iter().flatten().copied(), 0.0);
    let missing: Vec<(f64, f64)> = xy
        .iter()
        .zip(values)
        .filter(|(_, v)| v.is_none())
        .map(|(p, _)| *p)
        .collect();
    if !missing.is_empty() {
        ctx.draw_series(missing.iter().map(|&p| Circle::new(p, r, GREY.filled())))?
            .label(format!("no value ({})", missing.len()))
            .legend(|(x, y)| legend_swatch(x, y, GREY));
        ctx.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(text(11))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .draw()?;
    }
    // Sorted by value so that extremes are not hidden under the bulk.
    let mut valued: Vec<((f64, f64), f64)> = xy
        .iter()
        .zip(values)
        .filter_map(|(p, v)| v.filter(|v| v.is_finite()).map(|v| (*p, v)))
        .collect();
    valued.sort_by(|a, b| a.1.total_cmp(&b.1));
    ctx.draw_series(
        valued
            .iter()
            .map(|&(p, v)| Circle::new(p, r, viridis((v - lo) / (hi - lo)).filled())),
    )?;
    colorbar(&bar, lo, hi, value_label)
}
