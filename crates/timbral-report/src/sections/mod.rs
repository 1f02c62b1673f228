//! The eight sections of the report. Each builder reads what it needs from [`Ctx`], writes
//! its figures through [`Figures`] and explains in notices whatever it cannot show.

mod artists;
mod data;
mod genres;
pub(crate) mod map;
mod model_selection;
mod pca;
mod recommendations;
mod run;

use std::path::PathBuf;

use timbral_core::io::write_bytes_atomic;
use timbral_core::{Result, Workdir};

use crate::catalogue::{Catalogue, Embedding};
use crate::html::{Block, Section};
use crate::inputs::Inputs;
use crate::plot::canvas::{Area, DrawResult};
use crate::plot::{render, Size};
use crate::ReportOptions;

/// Everything a section builder reads.
pub struct Ctx<'a> {
    pub inputs: Inputs,
    pub catalogue: std::result::Result<Catalogue, String>,
    pub embedding: std::result::Result<Embedding, String>,
    pub opts: &'a ReportOptions,
    /// Filled by [`map::acousticness`] on first use.
    pub acousticness: std::cell::OnceCell<map::Acousticness>,
}

impl<'a> Ctx<'a> {
    pub fn new(workdir: &Workdir, opts: &'a ReportOptions) -> Self {
        let inputs = Inputs::load(workdir);
        let catalogue = Catalogue::load(&inputs);
        let embedding = Embedding::load(&inputs);
        Ctx { inputs, catalogue, embedding, opts, acousticness: std::cell::OnceCell::new() }
    }
}

/// Renders figures into `reports/figures` and keeps the list of files written.
pub struct Figures {
    dir: PathBuf,
    pub written: Vec<PathBuf>,
}

impl Figures {
    /// Figures go to `dir` (`reports/figures`).
    pub fn new(dir: PathBuf) -> Self {
        Figures { dir, written: Vec::new() }
    }

    /// Draws a figure and adds it to `section`; a drawing failure becomes a notice.
    pub fn add(
        &mut self,
        section: &mut Section,
        file: &str,
        size: Size,
        (alt, caption): (&str, &str),
        draw: impl FnOnce(&Area) -> DrawResult,
    ) -> Result<()> {
        match render(size, draw) {
            Ok(png) => {
                let path = self.dir.join(file);
                write_bytes_atomic(&path, &png)?;
                self.written.push(path);
                section.push(Block::Figure {
                    file: file.to_string(),
                    size,
                    alt: alt.to_string(),
                    caption: caption.to_string(),
                });
            }
            Err(why) => {
                tracing::warn!("figure {file} could not be drawn: {why}");
                section.notice(format!("The figure {file} could not be drawn: {why}"));
            }
        }
        Ok(())
    }
}

/// Builds every section in page order.
pub fn build_all(ctx: &Ctx, figures: &mut Figures) -> Result<Vec<Section>> {
    Ok(vec![
        data::build(ctx, figures)?,
        pca::build(ctx, figures)?,
        map::build(ctx, figures)?,
        model_selection::build(ctx, figures)?,
        genres::build(ctx, figures)?,
        artists::build(ctx, figures)?,
        recommendations::build(ctx)?,
        run::build(ctx)?,
    ])
}
