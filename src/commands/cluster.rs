//! `timbral cluster`: standardise, reduce (PCA, UMAP) and cluster (K-Means, DBSCAN, HDBSCAN).

use std::time::Instant;

use timbral_cluster::{ClusterParams, ClusterValidParams, Metric, ParamGuard};
use timbral_similarity::Space;

use super::{Context, KnnArg, SetArg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricArg {
    Euclidean,
    Cosine,
}

#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Writes scaler, pca, embedding, clusters, model_selection, kdistance and \
cluster_quality under data/processed. k is chosen by the highest silhouette; DBSCAN's eps is \
the knee of the k-distance curve; HDBSCAN on the n-D UMAP is the recommended clustering. \
See docs/clustering.md.")]
pub struct Args {
    /// Space the songs are mapped and clustered in, the one `similarity` recommends in (see
    /// `timbral similarity --help`); `study` (and `umap`) cluster the z-scored features.
    #[arg(long, default_value = "auto")]
    pub space: Space,
    /// Feature columns to cluster in the `study` space.
    #[arg(long, value_enum, default_value = "seed")]
    pub set: SetArg,
    /// Smallest K-Means k.
    #[arg(long, default_value_t = defaults().k_min())]
    pub k_min: usize,
    /// Largest K-Means k.
    #[arg(long, default_value_t = defaults().k_max())]
    pub k_max: usize,
    /// Dimensions of the UMAP embedding that HDBSCAN clusters.
    #[arg(long, default_value_t = defaults().umap_dims())]
    pub umap_dims: usize,
    /// UMAP n_neighbors.
    #[arg(long, default_value_t = defaults().n_neighbors())]
    pub n_neighbors: usize,
    /// UMAP min_dist.
    #[arg(long, default_value_t = defaults().min_dist())]
    pub min_dist: f64,
    /// UMAP metric.
    #[arg(long, value_enum, default_value = "euclidean")]
    pub metric: MetricArg,
    /// HDBSCAN min_cluster_size (and min_samples); 5 is the default of scikit-learn and hdbscan.
    #[arg(long, default_value_t = defaults().hdbscan_min_cluster_size())]
    pub min_cluster_size: usize,
    /// Seeds for the stability ARI (1 turns the check off and skips its extra UMAP fits).
    #[arg(long, default_value_t = defaults().stability_seeds())]
    pub stability_seeds: usize,
    /// How the kNN graph is searched.
    #[arg(long, value_enum, default_value = "auto")]
    pub knn: KnnArg,
    /// Above this many songs HDBSCAN is fitted on a seeded sample of this many; the others
    /// take the majority label of their nearest fitted songs.
    #[arg(long, default_value_t = defaults().hdbscan_max_fit())]
    pub hdbscan_max_fit: usize,
    /// Above this many songs the stability refits run on a seeded sample of this many.
    #[arg(long, default_value_t = defaults().stability_max_songs())]
    pub stability_max_songs: usize,
    /// Above this many songs both UMAP maps are fitted on a seeded sample of this many; the
    /// others are placed into them as `timbral place` places new songs.
    #[arg(long, default_value_t = defaults().umap_max_fit())]
    pub umap_max_fit: usize,
    /// Print the seconds each step took (`timing <step> <seconds>` lines).
    #[arg(long)]
    pub timings: bool,
}

fn defaults() -> ClusterValidParams {
    ClusterParams::defaults()
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let params = ClusterParams::new(ctx.seed)
        .feature_set(args.set.into())
        .k_range(args.k_min, args.k_max)
        .umap_dims(args.umap_dims)
        .n_neighbors(args.n_neighbors)
        .min_dist(args.min_dist)
        .metric(match args.metric {
            MetricArg::Euclidean => Metric::Euclidean,
            MetricArg::Cosine => Metric::Cosine,
        })
        .hdbscan_min_cluster_size(args.min_cluster_size)
        .stability_seeds(args.stability_seeds)
        .knn(args.knn.into())
        .hdbscan_max_fit(args.hdbscan_max_fit)
        .stability_max_songs(args.stability_max_songs)
        .umap_max_fit(args.umap_max_fit)
        .check()?;
    run_with(ctx, &params, args.space, args.timings)
}

/// The stage with typed parameters in `space`; `timings` prints each step's seconds.
pub fn run_with(ctx: &Context, params: &ClusterValidParams, space: Space, timings: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let input = timbral_similarity::representation::cluster_input(&ctx.workdir, space, params.feature_set(), params.seed())?;
    let space = input.space;
    let summary = timbral_cluster::run_on(&ctx.workdir, input, params, started)?;
    if timings {
        for (step, seconds) in &summary.timings {
            println!("timing {step} {seconds:.4}");
        }
    }
    if ctx.quiet {
        return Ok(());
    }
    for warning in &summary.warnings {
        println!("warning: {warning}");
    }
    println!(
        "cluster: {} songs x {} dimensions of the {space} space, k = {} (best silhouette) -> {}",
        summary.songs,
        summary.features,
        summary.chosen_k,
        ctx.workdir.processed_dir().display()
    );
    for (metric, value) in &summary.quality {
        println!("  {metric:<28} {value:.4}");
    }
    Ok(())
}

#[derive(Debug, Clone, clap::Args)]
pub struct PlaceArgs {
    /// How neighbours among the fitted songs are searched.
    #[arg(long, value_enum, default_value = "auto")]
    pub knn: KnnArg,
}

/// `timbral place`: extends the last fit with the songs `features` gained since, in the space
/// the fit was made in.
pub fn place(ctx: &Context, args: &PlaceArgs) -> anyhow::Result<()> {
    let fit = timbral_cluster::ClusterModel::read(&ctx.workdir)?;
    let summary = if fit.space == Space::Study {
        timbral_cluster::place_new(&ctx.workdir, args.knn.into(), ctx.seed)?
    } else {
        // Every song's coordinates as the cluster stage computed them (the stored codebook of
        // the fit's seed, for `codebook`).
        let input = timbral_similarity::representation::cluster_input(&ctx.workdir, fit.space, fit.feature_set, fit.seed)?;
        timbral_cluster::place_new_from(&ctx.workdir, input.frame()?, args.knn.into(), ctx.seed)?
    };
    if !ctx.quiet {
        println!(
            "place: {} new song(s) placed beside {} fitted; rerun `timbral similarity` to recommend them",
            summary.placed, summary.existing
        );
    }
    Ok(())
}
