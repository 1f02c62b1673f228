//! `timbral report`: writes reports/index.html and reports/figures/*.png.

use timbral_report::{ParamGuard, ReportOptions, ReportParams, write_report};

use super::Context;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Genres coloured on the map and drawn as density small multiples.
    #[arg(long, default_value_t = defaults().top_genres())]
    pub top_genres: usize,
    /// Artists (by song count) in the artist distance heatmap.
    #[arg(long, default_value_t = defaults().heatmap_artists())]
    pub heatmap_artists: usize,
    /// Most prolific artists whose nearest and farthest artists are listed.
    #[arg(long, default_value_t = defaults().prolific_artists())]
    pub prolific_artists: usize,
    /// Example songs shown with their nearest songs.
    #[arg(long, default_value_t = defaults().example_songs())]
    pub example_songs: usize,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let opts = ReportParams::new(ctx.seed)
        .top_genres(args.top_genres)
        .heatmap_artists(args.heatmap_artists)
        .prolific_artists(args.prolific_artists)
        .example_songs(args.example_songs)
        .check()?;
    run_with(ctx, &opts)
}

fn defaults() -> ReportOptions {
    ReportOptions::default()
}

/// The stage with typed options, printing where the report went and its notices.
pub fn run_with(ctx: &Context, opts: &ReportOptions) -> anyhow::Result<()> {
    let summary = write_report(&ctx.workdir, opts)?;
    if !ctx.quiet {
        println!("wrote {} with {} figures", summary.index.display(), summary.figures.len());
        let explorer = &summary.explorer;
        match &explorer.notice {
            Some(why) => println!("wrote {} ({why})", explorer.path.display()),
            None => println!("wrote {} with {} songs", explorer.path.display(), explorer.songs),
        }
        for (title, notices) in &summary.sections {
            for notice in notices {
                println!("  {title}: {notice}");
            }
        }
    }
    Ok(())
}
