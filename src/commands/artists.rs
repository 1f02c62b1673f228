//! `timbral artists`: an artist's nearest and farthest artists.

use timbral_similarity::query::artist_neighbours;

use super::{Context, with_listing};

#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Distance = mean euclidean distance over all song pairs of the two \
artists, in the space `timbral similarity` used (the default, codebook or umap without segments, if it has not run).")]
pub struct Args {
    /// Artist name (case-insensitive).
    pub name: String,
    /// How many nearest and farthest artists to print.
    #[arg(short, default_value_t = 10)]
    pub n: usize,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.n >= 1, "-n {}: ask for at least 1 artist", args.n);
    let listing = "SELECT artist_name, count(*) AS songs FROM tracks GROUP BY artist_name ORDER BY artist_name";
    let answer = artist_neighbours(&ctx.workdir, &args.name, args.n).map_err(|err| with_listing(err, listing))?;
    println!(
        "{} ({} songs), mean song-pair distance in the {} space",
        answer.artist_name, answer.songs, answer.space
    );
    for (title, list) in [("nearest", &answer.nearest), ("farthest", &answer.farthest)] {
        println!("{title}:");
        for (rank, (name, distance, pairs)) in list.iter().enumerate() {
            println!("{:>4}  {:<40}  {:>9.6}  ({pairs} pairs)", rank + 1, name, distance);
        }
    }
    Ok(())
}
