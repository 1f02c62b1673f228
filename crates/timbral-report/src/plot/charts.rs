//! Line, bar and histogram charts on continuous axes, built from one description
//! ([`XyChart`]) so that every chart shares the same fonts, margins and legend.

use plotters::prelude::*;

use super::canvas::{padded_range, px, text, Area, DrawResult};
use super::colors::{viridis, ACCENT};

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Style {
    Line,
    LineWithPoints,
    /// Bars centred on x, `width` in data units, from 0 to y.
    Bars { width: f64 },
}

#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text; an empty label keeps the series out of the legend.
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub color: RGBColor,
    pub style: Style,
}

/// Where a reference mark sits.
#[derive(Debug, Clone, Copy)]
pub enum Mark {
    Vertical(f64),
    Horizontal(f64),
    Point(f64, f64),
}

/// A dashed line or a cross marking a reference value, named in the legend.
#[derive(Debug, Clone)]
pub struct Marker {
    pub at: Mark,
    pub label: String,
    pub color: RGBColor,
}

impl Marker {
    /// A marker in the accent colour.
    pub fn accent(at: Mark, label: impl Into<String>) -> Self {
        Marker { at, label: label.into(), color: ACCENT }
    }
}

#[derive(Debug, Clone)]
pub struct XyChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    /// Fixed y range; otherwise it covers the data, the markers and zero for bars.
    pub y_range: Option<(f64, f64)>,
    /// Label the x axis with whole numbers (components, k).
    pub integer_x: bool,
    pub legend_at: SeriesLabelPosition,
}

impl XyChart {
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        XyChart {
            title: title.to_string(),
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            series: Vec::new(),
            markers: Vec::new(),
            y_range: None,
            integer_x: false,
            legend_at: SeriesLabelPosition::UpperRight,
        }
    }

    fn x_extent(&self) -> (f64, f64) {
        let mut xs: Vec<f64> = Vec::new();
        for s in &self.series {
            let half = match s.style {
                Style::Bars { width } => width / 2.0,
                _ => 0.0,
            };
            for &(x, _) in &s.points {
                xs.extend([x - half, x + half]);
            }
        }
        for m in &self.markers {
            match m.at {
                Mark::Vertical(x) | Mark::Point(x, _) => xs.push(x),
                Mark::Horizontal(_) => {}
            }
        }
        padded_range(xs, 0.03)
    }

    fn y_extent(&self) -> (f64, f64) {
        if let Some(range) = self.y_range {
            return range;
        }
        let mut ys: Vec<f64> = Vec::new();
        for s in &self.series {
            ys.extend(s.points.iter().map(|p| p.1));
            if matches!(s.style, Style::Bars { .. }) {
                ys.push(0.0);
            }
        }
        for m in &self.markers {
            match m.at {
                Mark::Horizontal(y) | Mark::Point(_, y) => ys.push(y),
                Mark::Vertical(_) => {}
            }
        }
        padded_range(ys, 0.05)
    }
}

/// Draws `chart` on `area`.
pub fn draw_xy(area: &Area, chart: &XyChart) -> DrawResult {
    let (x0, x1) = chart.x_extent();
    let (y0, y1) = chart.y_extent();
    let mut ctx = ChartBuilder::on(area)
        .caption(&chart.title, text(16))
        .margin(px(12))
        .x_label_area_size(px(46))
        .y_label_area_size(px(70))
        .build_cartesian_2d(x0..x1, y0..y1)?;
    let whole = |v: &f64| {
        if (v - v.round()).abs() < 1e-9 {
            format!("{v:.0}")
        } else {
            String::new()
        }
    };
    let general = |v: &f64| format_tick(*v);
    let mut mesh = ctx.configure_mesh();
    mesh.x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .label_style(text(12))
        .axis_desc_style(text(13))
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(220, 220, 220))
        .y_label_formatter(&general);
    if chart.integer_x {
        mesh.x_label_formatter(&whole);
    } else {
        mesh.x_label_formatter(&general);
    }
    mesh.draw()?;

    let mut has_legend = false;
    for s in &chart.series {
        let color = s.color;
        let drawn = match s.style {
            Style::Bars { width } => ctx.draw_series(s.points.iter().map(|&(x, y)| {
                Rectangle::new([(x - width / 2.0, 0.0), (x + width / 2.0, y)], color.mix(0.85).filled())
            }))?,
            Style::Line | Style::LineWithPoints => {
                if s.style == Style::LineWithPoints {
                    ctx.draw_series(
                        s.points.iter().map(|&p| Circle::new(p, px(3), color.filled())),
                    )?;
                }
                ctx.draw_series(LineSeries::new(s.points.iter().copied(), color.stroke_width(px(2))))?
            }
        };
        if !s.label.is_empty() {
            has_legend = true;
            drawn
                .label(s.label.as_str())
                .legend(move |(x, y)| legend_swatch(x, y, color));
        }
    }
    for marker in &chart.markers {
        let color = marker.color;
        let style = color.stroke_width(px(2));
        let drawn = match marker.at {
            Mark::Vertical(x) => {
                ctx.draw_series(DashedLineSeries::new([(x, y0), (x, y1)], px(6), px(4), style))?
            }
            Mark::Horizontal(y) => {
                ctx.draw_series(DashedLineSeries::new([(x0, y), (x1, y)], px(6), px(4), style))?
            }
            Mark::Point(x, y) => {
                ctx.draw_series([Cross::new((x, y), px(7), color.stroke_width(px(3)))])?
            }
        };
        if !marker.label.is_empty() {
            has_legend = true;
            drawn
                .label(marker.label.as_str())
                .legend(move |(x, y)| legend_swatch(x, y, color));
        }
    }
    if has_legend {
        ctx.configure_series_labels()
            .position(chart.legend_at.clone())
            .label_font(text(12))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .margin(px(6))
            .draw()?;
    }
    Ok(())
}

/// The square drawn before a legend entry.
pub fn legend_swatch(x: i32, y: i32, color: RGBColor) -> Rectangle<(i32, i32)> {
    let half = px(5) as i32;
    Rectangle::new([(x, y - half), (x + 2 * half, y + half)], color.filled())
}

/// Short tick labels: no trailing zeros, thousands without decimals.
pub fn format_tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".to_string()
    } else if !(0.001..10_000.0).contains(&a) {
        format!("{v:.1e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Bar heights of a histogram of the finite `values` over `bins` equal bins:
/// (bin centres, counts, bin width).
pub fn histogram(values: &[f64], bins: usize) -> (Vec<(f64, f64)>, f64) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = padded_range(finite.iter().copied(), 0.0);
    let bins = bins.max(1);
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for v in finite {
        let i = (((v - lo) / width) as usize).min(bins - 1);
        counts[i] += 1;
    }
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| (lo + (i as f64 + 0.5) * width, c as f64))
        .collect();
    (bars, width)
}

/// A vertical viridis colour bar for values from `lo` to `hi`, labelled `label`.
pub fn colorbar(area: &Area, lo: f64, hi: f64, label: &str) -> DrawResult {
    let (lo, hi) = if hi - lo > 1e-12 { (lo, hi) } else { padded_range([lo, hi], 0.0) };
    let mut ctx = ChartBuilder::on(area)
        .margin_top(px(50))
        .margin_bottom(px(58))
        .margin_right(px(4))
        .y_label_area_size(px(66))
        .build_cartesian_2d(0.0..1.0, lo..hi)?;
    let general = |v: &f64| format_tick(*v);
    ctx.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(label)
        .label_style(text(11))
        .axis_desc_style(text(12))
        .y_label_formatter(&general)
        .draw()?;
    let steps = 100;
    let step = (hi - lo) / steps as f64;
    ctx.draw_series((0..steps).map(|i| {
        let a = lo + i as f64 * step;
        Rectangle::new([(0.0, a), (1.0, a + step)], viridis(i as f64 / (steps - 1) as f64).filled())
    }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_every_value_once() {
        let (bars, width) = histogram(&[0.0, 1.0, 1.0, 2.0, f64::NAN, 4.0], 4);
        assert_eq!(width, 1.0);
        assert_eq!(bars.iter().map(|b| b.1).collect::<Vec<_>>(), vec![1.0, 2.0, 1.0, 1.0]);
        assert_eq!(bars[0].0, 0.5);
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(format_tick(0.25), "0.25");
        assert_eq!(format_tick(3.0), "3");
        assert_eq!(format_tick(1234.4), "1234");
        assert_eq!(format_tick(123456.0), "1.2e5");
    }
}
