//! `timbral similarity`: genre density, artist cohesion, artist similarity, recommendations.

use timbral_similarity::{Labels, SimilarityParams, Space};

use super::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SpaceArg {
    /// The n-D UMAP embedding (the study's choice).
    Umap,
    /// The 90 standardised seed features.
    Features,
}

impl From<SpaceArg> for Space {
    fn from(space: SpaceArg) -> Space {
        match space {
            SpaceArg::Umap => Space::Umap,
            SpaceArg::Features => Space::Features,
        }
    }
}

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
    /// Space of the distances between songs.
    #[arg(long, value_enum, default_value = "umap")]
    pub space: SpaceArg,
    /// Recommendations kept per song.
    #[arg(long, default_value_t = 10)]
    pub neighbors: usize,
    /// Nearest and farthest artists kept per artist.
    #[arg(long, default_value_t = 10)]
    pub top_artists: usize,
    /// Random song sets per artist size in the cohesion permutation test.
    #[arg(long, default_value_t = 1000)]
    pub permutations: usize,
    /// Cluster labels for the genre shares and entropy.
    #[arg(long, value_enum, default_value = "hdbscan")]
    pub labels: LabelsArg,
    /// Cells per side of the genre density grid.
    #[arg(long, default_value_t = 64)]
    pub grid_size: usize,
    /// How many of the largest genres get a density grid.
    #[arg(long, default_value_t = 30)]
    pub grid_genres: usize,
    /// Genres with fewer songs are not ranked by concentration.
    #[arg(long, default_value_t = 5)]
    pub min_genre_songs: usize,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let s = timbral_similarity::run(&ctx.workdir, &params(ctx, args)?)?;
    if !ctx.quiet {
        print_summary(&s);
    }
    Ok(())
}

/// The stage on a library too small to cluster (see `timbral_similarity::unclustered`).
pub fn execute_unclustered(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let s = timbral_similarity::run_unclustered(&ctx.workdir, &params(ctx, args)?)?;
    if !ctx.quiet {
        println!("similarity: too few songs to cluster, so no genre tables; neighbours by exact search");
        print_summary(&s);
    }
    Ok(())
}

fn params(ctx: &Context, args: &Args) -> anyhow::Result<SimilarityParams> {
    Ok(SimilarityParams::builder()
        .space(args.space.into())
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
        .seed(ctx.seed)
        .build()?)
}

fn print_summary(s: &timbral_similarity::Summary) {
    println!(
        "similarity: {} songs, {} artists, {} genres in the {}-D {} space (library mean distance {:.4})",
        s.songs, s.artists, s.genres, s.dims, s.space, s.library_mean_distance
    );
    println!(
        "  artist pairs computed exactly: {} of {} (the rest pruned by moment bounds); neighbours by {}",
        s.exact_artist_pairs,
        s.artist_pairs,
        s.neighbour_method.name()
    );
    println!("  done in {:.2} s", s.seconds);
}
