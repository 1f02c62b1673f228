//! Figures drawn with plotters into an in-memory bitmap at twice the CSS size (for sharp
//! rendering on high-density screens) and encoded as PNG.

pub mod canvas;
pub mod charts;
pub mod colors;
pub mod heatmap;
pub mod scatter;

pub use canvas::{render, Size};
