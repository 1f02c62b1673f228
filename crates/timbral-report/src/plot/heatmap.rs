//! Heatmaps: a labelled matrix (genre x cluster, artist x artist) and small multiples of
//! densities over the map.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{padded_range, px, text, Area, DrawResult};
use super::charts::{colorbar, format_tick};
use super::colors::{viridis, GREY};

/// Axis labels longer than this are cut with an ellipsis.
const LABEL_CHARS: usize = 24;

/// A labelled matrix; `values[row][col]`, `None` drawn grey. Column labels are drawn
/// horizontally, so they should be short (cluster ids, row numbers).
#[derive(Debug, Clone)]
pub struct Matrix {
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    pub values: Vec<Vec<Option<f64>>>,
}

/// Shortens a label for an axis.
pub fn short_label(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_string()
    } else {
        let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
        format!("{cut}…")
    }
}

/// Draws `matrix` with a colour bar named `value_label`. Cells show their value when
/// `annotate` is set and there is room.
pub fn draw_matrix(
    area: &Area,
    title: &str,
    matrix: &Matrix,
    (row_title, col_title): (&str, &str),
    value_label: &str,
    annotate: bool,
) -> DrawResult {
    let (n_rows, n_cols) = (matrix.rows.len(), matrix.cols.len());
    let (plot, bar) = area.split_horizontally(area.dim_in_pixel().0 - px(100));
    let (lo, hi) = padded_range(matrix.values.iter().flatten().flatten().copied(), 0.0);
    let longest_row = matrix.rows.iter().map(|c| short_label(c).chars().count()).max().unwrap_or(1);
    let mut ctx = ChartBuilder::on(&plot)
        .caption(title, text(16))
        .margin(px(10))
        .x_label_area_size(px(44))
        .y_label_area_size(px(30 + 7 * longest_row as u32))
        .build_cartesian_2d(0.0..n_cols as f64, 0.0..n_rows as f64)?;
    let col_name = |v: &f64| label_at(&matrix.cols, *v);
    // Row 0 at the top.
    let row_name = |v: &f64| label_at_reversed(&matrix.rows, *v);
    ctx.configure_mesh()
        .disable_mesh()
        .x_labels(n_cols * 2 + 1)
        .y_labels(n_rows * 2 + 1)
        .x_label_formatter(&col_name)
        .y_label_formatter(&row_name)
        .x_label_style(text(11))
        .y_label_style(text(11))
        .x_desc(col_title)
        .y_desc(row_title)
        .axis_desc_style(text(13))
        .draw()?;
    ctx.draw_series(matrix.values.iter().enumerate().flat_map(|(i, row)| {
        let top = (n_rows - i) as f64;
        row.iter().enumerate().map(move |(j, v)| {
            let color = match v {
                Some(v) if v.is_finite() => viridis((v - lo) / (hi - lo)),
                _ => GREY,
            };
            Rectangle::new([(j as f64, top - 1.0), (j as f64 + 1.0, top)], color.filled())
        })
    }))?;
    let (width, height) = plot.dim_in_pixel();
    let cell_w = width as f64 / (n_cols.max(1) as f64 + 4.0);
    let cell_h = height as f64 / (n_rows.max(1) as f64 + 4.0);
    if annotate && cell_w > f64::from(px(34)) && cell_h > f64::from(px(16)) {
        ctx.draw_series(matrix.values.iter().enumerate().flat_map(|(i, row)| {
            let centre_y = (n_rows - i) as f64 - 0.5;
            row.iter().enumerate().filter_map(move |(j, v)| {
                let v = (*v)?;
                let dark = (v - lo) / (hi - lo) < 0.6;
                let style = text(10)
                    .color(if dark { &WHITE } else { &BLACK })
                    .pos(Pos::new(HPos::Center, VPos::Center));
                Some(Text::new(format_tick(v), (j as f64 + 0.5, centre_y), style))
            })
        }))?;
    }
    colorbar(&bar, lo, hi, value_label)
}

/// The label of the cell whose centre is at `v` (ticks fall on halves), else nothing.
fn label_at(labels: &[String], v: f64) -> String {
    let shifted = v - 0.5;
    if (shifted - shifted.round()).abs() > 1e-6 || shifted < -1e-6 {
        return String::new();
    }
    labels.get(shifted.round() as usize).map(|l| short_label(l)).unwrap_or_default()
}

fn label_at_reversed(labels: &[String], v: f64) -> String {
    let n = labels.len() as f64;
    label_at(&labels.iter().rev().cloned().collect::<Vec<_>>(), v.min(n))
}

/// One panel of a small-multiples density plot: grid cells with their density.
#[derive(Debug, Clone)]
pub struct DensityPanel {
    pub title: String,
    /// (x, y, density) at the centres of a regular grid.
    pub cells: Vec<(f64, f64, f64)>,
}

/// Small multiples sharing the same extent; each panel is scaled to its own maximum, so the
/// colour shows where a genre concentrates rather than how large it is.
pub fn draw_density_panels(area: &Area, panels: &[DensityPanel], columns: usize) -> DrawResult {
    let columns = columns.max(1);
    let rows = panels.len().div_ceil(columns).max(1);
    let all = panels.iter().flat_map(|p| p.cells.iter());
    let (x0, x1) = padded_range(all.clone().map(|c| c.0), 0.02);
    let (y0, y1) = padded_range(all.map(|c| c.1), 0.02);
    let (plots, bar) = area.split_horizontally(area.dim_in_pixel().0 - px(100));
    for (panel, cell_area) in panels.iter().zip(plots.split_evenly((rows, columns))) {
        let (dx, dy) = (grid_step(panel.cells.iter().map(|c| c.0)), grid_step(panel.cells.iter().map(|c| c.1)));
        let max = panel.cells.iter().map(|c| c.2).filter(|d| d.is_finite()).fold(0.0f64, f64::max);
        let mut ctx = ChartBuilder::on(&cell_area)
            .caption(short_label(&panel.title), text(14))
            .margin(px(6))
            .x_label_area_size(px(30))
            .y_label_area_size(px(40))
            .build_cartesian_2d(x0..x1, y0..y1)?;
        let general = |v: &f64| format_tick(*v);
        ctx.configure_mesh()
            .disable_mesh()
            .x_labels(4)
            .y_labels(4)
            .x_label_formatter(&general)
            .y_label_formatter(&general)
            .label_style(text(10))
            .draw()?;
        ctx.draw_series(panel.cells.iter().map(|&(x, y, d)| {
            let t = if max > 0.0 { d / max } else { 0.0 };
            Rectangle::new(
                [(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)],
                viridis(t).filled(),
            )
        }))?;
    }
    colorbar(&bar, 0.0, 1.0, "density / genre's maximum")
}

/// The spacing of a regular grid from its coordinates: the smallest gap between distinct values.
fn grid_step(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
    v.windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min)
        .min(if v.len() > 1 { f64::INFINITY } else { 1.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_sit_on_cell_centres() {
        let labels = vec!["a".to_string(), "b".to_string()];
        assert_eq!(label_at(&labels, 0.5), "a");
        assert_eq!(label_at(&labels, 1.5), "b");
        assert_eq!(label_at(&labels, 1.0), "");
        assert_eq!(label_at_reversed(&labels, 0.5), "b");
    }

    #[test]
    fn grid_step_is_the_smallest_gap() {
        assert_eq!(grid_step([0.0, 0.5, 1.0, 0.5].into_iter()), 0.5);
        assert_eq!(grid_step([3.0].into_iter()), 1.0);
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(short_label("short"), "short");
        assert_eq!(short_label(&"x".repeat(40)).chars().count(), LABEL_CHARS);
    }
}
