//! Exact k-d tree against NN-descent on a workdir's n-D map (the space similarity and eval
//! search by default):
//!
//!     cargo run --release -p timbral-core --example knn_at_scale -- WORKDIR [K]
//!
//! Prints each method's seconds and NN-descent's recall@K against the k-d tree.

use std::time::Instant;

use timbral_core::contract::umap_nd_columns_in;
use timbral_core::neighbors::{KnnMethod, all_nearest};
use timbral_core::{Table, Workdir, matrix};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: knn_at_scale WORKDIR [K]")?;
    let k: usize = std::env::args().nth(2).map_or(Ok(10), |a| a.parse())?;
    let embedding = Workdir::new(dir).read_table(Table::Embedding)?;
    let columns = umap_nd_columns_in(embedding.get_column_names().into_iter().map(|n| n.as_str()));
    let points = matrix::to_matrix(&embedding, Table::Embedding.name(), &columns)?;
    println!("{} songs, {}-D, k = {k}", points.nrows(), points.ncols());
    let mut found = Vec::new();
    for method in [KnnMethod::Exact, KnnMethod::Approx] {
        let started = Instant::now();
        let (used, rows) = all_nearest(points.view(), k, method, 42)?;
        println!("{:<28} {:>8.2} s", used.name(), started.elapsed().as_secs_f64());
        found.push(rows);
    }
    let hits: usize = found[0]
        .iter()
        .zip(&found[1])
        .map(|(exact, approx)| exact.iter().filter(|e| approx.iter().any(|a| a.index == e.index)).count())
        .sum();
    println!("NN-descent recall@{k} against the k-d tree: {:.4}", hits as f64 / (points.nrows() * k) as f64);
    Ok(())
}
