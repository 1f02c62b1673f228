//! `timbral recommend`: the songs nearest to one song.

use timbral_similarity::query::{recommend_songs, TrackQuery};
use timbral_similarity::recommendations::Filters;

use super::{Context, with_listing};

#[derive(Debug, Clone, clap::Args)]
#[command(override_usage = "timbral recommend <TRACK_ID | --title TEXT> [OPTIONS]")]
#[command(after_help = "Searches the space `timbral similarity` used (the default, codebook or umap without segments, if it has not run). \
Several songs matching --title are listed and the command fails: rerun with one TRACK_ID.")]
pub struct Args {
    /// Track id of the song (see the `tracks` table).
    #[arg(required_unless_present = "title", conflicts_with = "title")]
    pub track_id: Option<String>,
    /// Find the song by title instead (case-insensitive; exact title, else substring).
    #[arg(long)]
    pub title: Option<String>,
    /// How many songs to recommend.
    #[arg(short, default_value_t = 10)]
    pub k: usize,
    /// Only songs by other artists.
    #[arg(long)]
    pub other_artists: bool,
    /// Only songs in the same HDBSCAN cluster (none for a noise song).
    #[arg(long)]
    pub same_cluster: bool,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let query = match (&args.track_id, &args.title) {
        (Some(id), _) => TrackQuery::Id(id.clone()),
        (None, Some(title)) => TrackQuery::Title(title.clone()),
        (None, None) => anyhow::bail!("give a TRACK_ID or --title TEXT"),
    };
    let filters = Filters {
        other_artists: args.other_artists,
        same_cluster: args.same_cluster,
    };
    anyhow::ensure!(args.k >= 1, "-k {}: ask for at least 1 song", args.k);
    let answer = recommend_songs(&ctx.workdir, &query, args.k, filters)
        .map_err(|err| with_listing(err, "SELECT track_id, artist_name, title FROM tracks ORDER BY title"))?;
    let cluster = |c: Option<i32>| c.map_or("-".to_string(), |c| c.to_string());
    let q = &answer.query;
    println!(
        "{} - {} ({}, cluster {}); nearest in the {} space:",
        q.artist_name,
        q.title,
        q.track_id,
        cluster(q.cluster),
        answer.space
    );
    println!("{:>4}  {:>9}  {:>7}  {:<24}  {:<30}  title", "rank", "distance", "cluster", "track_id", "artist");
    for (rank, r) in answer.recommendations.iter().enumerate() {
        println!(
            "{:>4}  {:>9.4}  {:>7}  {:<24}  {:<30}  {}",
            rank + 1,
            r.distance,
            cluster(r.cluster),
            r.track_id,
            r.artist_name,
            r.title
        );
    }
    if answer.recommendations.is_empty() {
        println!("  (no song passes the filters)");
    }
    Ok(())
}
