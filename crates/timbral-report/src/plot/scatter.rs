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

/// Above this many points a scatter is drawn as a density raster: a million circles would
/// hide each other, take seconds to draw and say nothing about where the bulk sits.
pub const RASTER_ABOVE: usize = 20_000;
/// Device pixels per raster cell: two CSS pixels, so that 100,000 songs fill their cells.
const CELL: u32 = px(2);
/// The faintest cell's share of its full colour, so that single songs stay visible.
const FAINTEST: f64 = 0.4;

/// Whether `points` points are drawn as a density raster rather than as points.
pub fn is_raster(points: usize) -> bool {
    points > RASTER_ABOVE
}

/// A caption sentence saying how `points` points are drawn; `colour` says what a cell's
/// colour is ("its most common cluster"). Empty when the points are drawn one by one.
pub fn raster_note(points: usize, colour: &str) -> String {
    if !is_raster(points) {
        return String::new();
    }
    format!(
        " All {} songs are drawn as a density raster (above {} points): each pixel takes the colour of {colour}, paler where fewer songs fall (log-scaled count).",
        crate::format::int(points),
        crate::format::int(RASTER_ABOVE)
    )
}

/// A `cols` x `rows` grid of cells over the data ranges `x` x `y`; cells are numbered row by
/// row from the top-left, as on the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    pub cols: usize,
    pub rows: usize,
    pub x: (f64, f64),
    pub y: (f64, f64),
}

impl Grid {
    /// The cell of point `p`, or `None` outside the ranges (or for a non-finite point).
    pub fn cell(&self, (x, y): (f64, f64)) -> Option<usize> {
        let fx = (x - self.x.0) / (self.x.1 - self.x.0);
        let fy = (self.y.1 - y) / (self.y.1 - self.y.0);
        if !(0.0..=1.0).contains(&fx) || !(0.0..=1.0).contains(&fy) {
            return None;
        }
        let c = ((fx * self.cols as f64) as usize).min(self.cols - 1);
        let r = ((fy * self.rows as f64) as usize).min(self.rows - 1);
        Some(r * self.cols + c)
    }

    /// Points per cell.
    pub fn counts(&self, xy: &[(f64, f64)]) -> Vec<u32> {
        let mut counts = vec![0u32; self.cols * self.rows];
        for cell in xy.iter().filter_map(|&p| self.cell(p)) {
            counts[cell] += 1;
        }
        counts
    }

    /// The most common category of each cell's points (`None` counts as a category of its
    /// own; ties go to the lower index, `None` last), `None` for an empty cell.
    pub fn majority(&self, xy: &[(f64, f64)], categories: &[Option<usize>]) -> Vec<Option<Option<usize>>> {
        let mut pairs: Vec<(usize, usize)> = xy
            .iter()
            .zip(categories)
            .filter_map(|(&p, c)| Some((self.cell(p)?, c.unwrap_or(usize::MAX))))
            .collect();
        pairs.sort_unstable();
        let mut out = vec![None; self.cols * self.rows];
        let mut best: Vec<u32> = vec![0; self.cols * self.rows];
        for run in pairs.chunk_by(|a, b| a == b) {
            let (cell, category) = run[0];
            if run.len() as u32 > best[cell] {
                best[cell] = run.len() as u32;
                out[cell] = Some((category != usize::MAX).then_some(category));
            }
        }
        out
    }

    /// The mean of each cell's known values, `None` where a cell has none.
    pub fn means(&self, xy: &[(f64, f64)], values: &[Option<f64>]) -> Vec<Option<f64>> {
        let mut sums = vec![(0.0, 0u32); self.cols * self.rows];
        for (&p, v) in xy.iter().zip(values) {
            if let (Some(cell), Some(v)) = (self.cell(p), v.filter(|v| v.is_finite())) {
                sums[cell].0 += v;
                sums[cell].1 += 1;
            }
        }
        sums.into_iter().map(|(sum, n)| (n > 0).then(|| sum / f64::from(n))).collect()
    }
}

/// A cell's share of full colour for `count` points when the densest cell has `max`: log-scaled
/// from [`FAINTEST`] for one point to 1 at the maximum.
pub fn intensity(count: u32, max: u32) -> f64 {
    if count == 0 {
        return 0.0;
    }
    if max <= 1 {
        return 1.0;
    }
    let t = f64::from(count).ln() / f64::from(max).ln();
    FAINTEST + (1.0 - FAINTEST) * t
}

/// Draws one rectangle per non-empty cell of `grid` over the chart's plotting area, coloured by
/// `color(cell)` faded towards white by its [`intensity`].
fn draw_raster(ctx: &MapChart, grid: &Grid, counts: &[u32], color: impl Fn(usize) -> RGBColor) -> DrawResult {
    let area = ctx.plotting_area().strip_coord_spec();
    let (width, height) = area.dim_in_pixel();
    let max = counts.iter().copied().max().unwrap_or(0);
    let edge = |i: usize, n: usize, size: u32| (i as f64 * f64::from(size) / n as f64).round() as i32;
    for (cell, &count) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
        let (r, c) = (cell / grid.cols, cell % grid.cols);
        let (left, right) = (edge(c, grid.cols, width), edge(c + 1, grid.cols, width));
        let (top, bottom) = (edge(r, grid.rows, height), edge(r + 1, grid.rows, height));
        let faded = fade(color(cell), intensity(count, max));
        area.draw(&Rectangle::new([(left, top), (right, bottom)], faded.filled()))?;
    }
    Ok(())
}

/// `color` mixed with white: `share` 1 is the colour itself, 0 is white.
fn fade(color: RGBColor, share: f64) -> RGBColor {
    let mix = |v: u8| (255.0 - (255.0 - f64::from(v)) * share).round() as u8;
    RGBColor(mix(color.0), mix(color.1), mix(color.2))
}

/// The raster grid covering the chart's plotting area, one cell per [`CELL`] device pixels.
fn raster_grid(ctx: &MapChart, xy: &[(f64, f64)]) -> Grid {
    let (width, height) = ctx.plotting_area().dim_in_pixel();
    Grid {
        cols: (width / CELL).max(1) as usize,
        rows: (height / CELL).max(1) as usize,
        x: padded_range(xy.iter().map(|p| p.0), 0.03),
        y: padded_range(xy.iter().map(|p| p.1), 0.03),
    }
}

/// A legend entry with no points of its own.
fn legend_entry(ctx: &mut MapChart, label: String, color: RGBColor) -> DrawResult {
    ctx.draw_series(std::iter::empty::<Circle<(f64, f64), u32>>())?
        .label(label)
        .legend(move |(x, y)| legend_swatch(x, y, color));
    Ok(())
}

/// Points coloured by `category[i]` (an index into `labels`); `None` is drawn grey under
/// the others and named `none_label` in the legend. Above [`RASTER_ABOVE`] points, each pixel
/// takes the colour of its most common category.
pub fn scatter_categories(
    area: &Area,
    title: &str,
    xy: &[(f64, f64)],
    categories: &[Option<usize>],
    labels: &[String],
    none_label: &str,
) -> DrawResult {
    let mut ctx = map_axes(area, title, xy)?;
    let mut counts = vec![0usize; labels.len()];
    for c in categories.iter().flatten() {
        if let Some(n) = counts.get_mut(*c) {
            *n += 1;
        }
    }
    let uncategorised = categories.iter().filter(|c| c.is_none()).count();
    // Largest categories first, so that small ones stay visible on top.
    let mut order: Vec<usize> = (0..labels.len()).filter(|&c| counts[c] > 0).collect();
    order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
    if is_raster(xy.len()) {
        let grid = raster_grid(&ctx, xy);
        let majority = grid.majority(xy, categories);
        draw_raster(&ctx, &grid, &grid.counts(xy), |cell| match majority[cell] {
            Some(Some(c)) => category(c),
            _ => GREY,
        })?;
    } else {
        let r = radius(xy.len());
        ctx.draw_series(
            xy.iter().zip(categories).filter(|(_, c)| c.is_none()).map(|(&p, _)| Circle::new(p, r, GREY.filled())),
        )?;
        for &c in &order {
            let color = category(c).mix(0.8).filled();
            ctx.draw_series(xy.iter().zip(categories).filter(|(_, k)| **k == Some(c)).map(|(&p, _)| Circle::new(p, r, color)))?;
        }
    }
    if uncategorised > 0 {
        legend_entry(&mut ctx, format!("{none_label} ({uncategorised})"), GREY)?;
    }
    for &c in order.iter().take(LEGEND_ENTRIES) {
        legend_entry(&mut ctx, format!("{} ({})", labels[c], counts[c]), category(c))?;
    }
    if order.len() > LEGEND_ENTRIES {
        let hidden = order.len() - LEGEND_ENTRIES;
        legend_entry(&mut ctx, format!("+ {hidden} smaller groups"), WHITE)?;
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
/// Above [`RASTER_ABOVE`] points, each pixel takes the colour of its songs' mean value.
pub fn scatter_values(
    area: &Area,
    title: &str,
    xy: &[(f64, f64)],
    values: &[Option<f64>],
    value_label: &str,
) -> DrawResult {
    let (plot, bar) = area.split_horizontally(area.dim_in_pixel().0 - px(100));
    let mut ctx = map_axes(&plot, title, xy)?;
    let (lo, hi) = padded_range(values.iter().flatten().copied(), 0.0);
    let missing = values.iter().filter(|v| v.is_none()).count();
    if is_raster(xy.len()) {
        let grid = raster_grid(&ctx, xy);
        let means = grid.means(xy, values);
        draw_raster(&ctx, &grid, &grid.counts(xy), |cell| match means[cell] {
            Some(v) => viridis((v - lo) / (hi - lo)),
            None => GREY,
        })?;
    } else {
        let r = radius(xy.len());
        ctx.draw_series(
            xy.iter().zip(values).filter(|(_, v)| v.is_none()).map(|(&p, _)| Circle::new(p, r, GREY.filled())),
        )?;
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
    }
    if missing > 0 {
        legend_entry(&mut ctx, format!("no value ({missing})"), GREY)?;
        ctx.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(text(11))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .draw()?;
    }
    colorbar(&bar, lo, hi, value_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3 x 2 grid over [0, 3] x [0, 2]: cells of 1 x 1, numbered from the top-left.
    const GRID: Grid = Grid { cols: 3, rows: 2, x: (0.0, 3.0), y: (0.0, 2.0) };

    #[test]
    fn points_fall_in_the_cells_counted_by_hand() {
        let xy = [
            (0.5, 1.5), // top-left: cell 0
            (0.2, 1.9), // cell 0
            (2.5, 0.5), // bottom-right: cell 5
            (1.5, 0.1), // bottom-middle: cell 4
            (3.0, 0.0), // the far corner belongs to the last cell
            (2.9, 1.1), // top-right: cell 2
            (4.0, 1.0), // outside
            (f64::NAN, 1.0),
        ];
        assert_eq!(GRID.counts(&xy), vec![2, 0, 1, 0, 1, 2]);
    }

    #[test]
    fn each_cell_takes_its_most_common_category() {
        let xy = [(0.5, 1.5), (0.5, 1.5), (0.5, 1.5), (1.5, 1.5), (1.5, 1.5), (2.5, 0.5), (2.5, 0.5)];
        let categories = [Some(1), Some(1), Some(0), Some(2), Some(0), None, None];
        let majority = GRID.majority(&xy, &categories);
        // Cell 0: 1 twice against 0 once. Cell 1: a tie of 0 and 2 goes to 0. Cell 5: noise.
        assert_eq!(majority, vec![Some(Some(1)), Some(Some(0)), None, None, None, Some(None)]);
    }

    #[test]
    fn cells_average_their_known_values() {
        let xy = [(0.5, 1.5), (0.5, 1.5), (0.5, 1.5), (2.5, 0.5)];
        let means = GRID.means(&xy, &[Some(1.0), Some(0.0), None, None]);
        assert_eq!(means, vec![Some(0.5), None, None, None, None, None]);
    }

    #[test]
    fn intensity_is_log_scaled() {
        assert_eq!(intensity(0, 100), 0.0);
        assert_eq!(intensity(1, 100), FAINTEST);
        assert_eq!(intensity(100, 100), 1.0);
        assert!((intensity(10, 100) - (FAINTEST + (1.0 - FAINTEST) * 0.5)).abs() < 1e-12);
        assert_eq!(intensity(1, 1), 1.0);
        assert_eq!(fade(RGBColor(0, 100, 255), 0.5), RGBColor(128, 178, 255));
    }

    #[test]
    fn a_large_map_is_a_raster_that_leaves_empty_space_white() {
        // 30,000 points filling the left half of the data range, one alone at the right edge.
        let mut xy: Vec<(f64, f64)> = (0..29_999).map(|i| ((i % 300) as f64 / 600.0, (i / 300) as f64 / 100.0)).collect();
        xy.push((1.0, 0.5));
        let categories = vec![Some(0); xy.len()];
        let labels = vec!["one".to_string()];
        let png = crate::plot::render(crate::plot::Size::HALF, |area| {
            scatter_categories(area, "t", &xy, &categories, &labels, "none")
        })
        .unwrap();
        let mut reader = png::Decoder::new(png.as_slice()).read_info().unwrap();
        let mut rgb = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut rgb).unwrap();
        let (width, height) = (info.width as usize, info.height as usize);
        // The palette's first colour is blue; grid lines and text are grey or black.
        let bluish = |x: usize, y: usize| {
            let i = 3 * (y * width + x);
            rgb[i + 2] > rgb[i].saturating_add(30)
        };
        // Rows of the lower half, below the legend and away from the lone point.
        let rows = height * 6 / 10..height * 85 / 100;
        let left = rows.clone().flat_map(|y| (0..width / 2).map(move |x| (x, y))).filter(|&(x, y)| bluish(x, y)).count();
        let right = rows.flat_map(|y| (width * 6 / 10..width).map(move |x| (x, y))).filter(|&(x, y)| bluish(x, y)).count();
        assert!(left > 1_000, "the dense half is drawn ({left} blue pixels)");
        assert_eq!(right, 0, "the empty half stays white");
    }
}
