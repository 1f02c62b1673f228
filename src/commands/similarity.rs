//! `timbral similarity`: genre density, artist cohesion, artist similarity, recommendations.

use timbral_similarity::{Labels, ParamGuard, SimilarityParams, Space};

use super::{Context, KnnArg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LabelsArg {
    Kmeans,
    Dbscan,
    Hdbscan,
}

#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Writes genre_density, genre_clusters, genre_grid, intra_artist, \
artist_similarity and recommendations under data/processed. See docs/similarity.md.")]
pub struct Args {
    /// Song representation of the distances (docs/similarity.md): auto (musicnn when every song
    /// has an embedding, else codebook when the library has segments, else umap), musicnn,
    /// codebook, study (`features` is its former name), umap, signed-root, corr-logvar or rank.
    #[arg(long, default_value = "auto")]
    pub space: Space,
    /// Recommendations kept per song.
    #[arg(long, default_value_t = defaults().neighbors())]
    pub neighbors: usize,
    /// Nearest and farthest artists kept per artist.
    #[arg(long, default_value_t = defaults().top_artists())]
    pub top_artists: usize,
    /// Random song sets per artist size in the cohesion permutation test.
    #[arg(long, default_value_t = defaults().permutations())]
    pub permutations: usize,
    /// Cluster labels for the genre shares and entropy.
    #[arg(long, value_enum, default_value = "hdbscan")]
    pub labels: LabelsArg,
    /// Cells per side of the genre density grid.
    #[arg(long, default_value_t = defaults().grid_size())]
    pub grid_size: usize,
    /// How many of the largest genres get a density grid.
    #[arg(long, default_value_t = defaults().grid_genres())]
    pub grid_genres: usize,
    /// Genres with fewer songs are not ranked by concentration.
    #[arg(long, default_value_t = defaults().min_genre_songs())]
    pub min_genre_songs: usize,
    /// Neighbour search of the recommendations (and artist candidates above 5,000 artists).
    #[arg(long, value_enum, default_value = "auto")]
    pub knn: KnnArg,
}

fn defaults() -> SimilarityParams {
    SimilarityParams::defaults()
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    run_with(ctx, &params(ctx, args)?)
}

/// The stage with typed parameters, printing what `timbral similarity` prints.
pub fn run_with(ctx: &Context, params: &SimilarityParams) -> anyhow::Result<()> {
    let s = timbral_similarity::run(&ctx.workdir, params)?;
    if !ctx.quiet {
        print_summary(&s);
    }
    Ok(())
}

/// The stage on a library too small to cluster (see `timbral_similarity::unclustered`).
pub fn run_unclustered_with(ctx: &Context, params: &SimilarityParams) -> anyhow::Result<()> {
    let s = timbral_similarity::run_unclustered(&ctx.workdir, params)?;
    if !ctx.quiet {
        println!("similarity: too few songs to cluster, so no genre tables; neighbours by exact search");
        print_summary(&s);
    }
    Ok(())
}

fn params(ctx: &Context, args: &Args) -> anyhow::Result<SimilarityParams> {
    Ok(SimilarityParams::builder()
        .space(args.space)
        .labels(match args.labels {
            LabelsArg::Kmeans => Labels::Kmeans,
            LabelsArg::Dbscan => Labels::Dbscan,
            LabelsArg::Hdbscan => Labels::Hdbscan,
        })
        .neighbors(args.neighbors)
        .top_artists(args.top_artists)
        .permutations(args.permutations)
        .grid_size(args.grid_size)
        .grid_genres(args.grid_genres)
        .min_genre_songs(args.min_genre_songs)
        .knn(args.knn.into())
        .seed(ctx.seed)
        .check()?)
}

fn print_summary(s: &timbral_similarity::Summary) {
    let sampled = if s.library_mean_error > 0.0 {
        format!(" +- {:.4}, sampled pairs", s.library_mean_error)
    } else {
        String::new()
    };
    println!(
        "similarity: {} songs, {} artists, {} genres in the {}-D {} space (library mean distance {:.4}{sampled})",
        s.songs, s.artists, s.genres, s.dims, s.space, s.library_mean_distance
    );
    let rest = if s.artist_shortlists { "outside the centroid shortlists or pruned" } else { "pruned by moment bounds" };
    println!(
        "  artist pairs computed exactly: {} of {} (the rest {rest}); neighbours by {}",
        s.exact_artist_pairs,
        s.artist_pairs,
        s.neighbour_method.name()
    );
    println!("  done in {:.2} s", s.seconds);
}
