//! The drawing surface: font registration, 2x density and PNG encoding.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

/// Device pixels per CSS pixel: PNGs are rendered at 2x and shown at half their size.
pub const SCALE: u32 = 2;
/// Dots per metre written in the PNG header for 2x density (144 dpi).
const PIXELS_PER_METRE: u32 = 5669;
/// The family name the embedded font is registered under.
pub const FONT: &str = "sans-serif";
/// DejaVu Sans, shipped with the crate because plotters' ab_glyph backend has no system fonts.
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Errors from plotters' drawing calls, converted to text when a figure fails.
pub type DrawResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
/// The root drawing area of one figure.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// A figure's size in CSS pixels; the bitmap is [`SCALE`] times larger in each direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl Size {
    /// A figure spanning the content column.
    pub const WIDE: Size = Size { width: 1120, height: 560 };
    /// A figure taking half of the content column.
    pub const HALF: Size = Size { width: 530, height: 430 };
}

/// CSS pixels to device pixels.
pub const fn px(css: u32) -> u32 {
    css * SCALE
}

/// A text style of `css_size` CSS pixels in the embedded font.
pub fn text(css_size: u32) -> TextStyle<'static> {
    (FONT, f64::from(px(css_size))).into_font().color(&BLACK)
}

fn register_embedded_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "the embedded DejaVu Sans font could not be parsed".to_string())
        })
        .clone()
}

/// Draws a figure with `draw` and returns the PNG bytes. Plotters errors and panics (it panics
/// on some degenerate inputs) come back as a message, so one bad figure never stops a report.
pub fn render(size: Size, draw: impl FnOnce(&Area) -> DrawResult) -> Result<Vec<u8>, String> {
    register_embedded_font()?;
    let (width, height) = (px(size.width), px(size.height));
    let mut buffer = vec![255u8; width as usize * height as usize * 3];
    let outcome = catch_unwind(AssertUnwindSafe(|| -> DrawResult {
        let root = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
        Ok(())
    }));
    match outcome {
        Ok(Ok(())) => encode_png(&buffer, width, height),
        Ok(Err(err)) => Err(err.to_string()),
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the plotting library panicked".to_string())),
    }
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: PIXELS_PER_METRE,
        yppu: PIXELS_PER_METRE,
        unit: png::Unit::Meter,
    }));
    let mut writer = encoder.write_header().map_err(|e| format!("encoding PNG: {e}"))?;
    writer
        .write_image_data(rgb)
        .map_err(|e| format!("encoding PNG: {e}"))?;
    writer.finish().map_err(|e| format!("encoding PNG: {e}"))?;
    Ok(bytes)
}

/// The `[min, max]` of the finite values, widened so that the range is never empty, with a
/// `pad` fraction of its width added on both sides.
pub fn padded_range(values: impl IntoIterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        let half = if lo.abs() > 1e-12 { lo.abs() * 0.05 } else { 0.5 };
        return (lo - half, hi + half);
    }
    let margin = (hi - lo) * pad;
    (lo - margin, hi + margin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_never_empty() {
        assert_eq!(padded_range([], 0.1), (0.0, 1.0));
        let (lo, hi) = padded_range([2.0, 2.0], 0.1);
        assert!(lo < 2.0 && hi > 2.0);
        assert_eq!(padded_range([0.0, f64::NAN, 10.0], 0.1), (-1.0, 11.0));
    }

    #[test]
    fn png_has_double_density_header() {
        let bytes = render(Size { width: 20, height: 10 }, |_| Ok(())).unwrap();
        let decoder = png::Decoder::new(bytes.as_slice());
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (40, 20));
        assert_eq!(info.pixel_dims.unwrap().xppu, PIXELS_PER_METRE);
    }
}
