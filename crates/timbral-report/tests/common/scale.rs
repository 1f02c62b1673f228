//! Report inputs at catalogue scale: every table `timbral report` reads, contract-valid
//! (each goes through `Workdir::write_table`), for N songs by M artists in G genres, with
//! seeded random but realistic structure. Used by the `report_at_scale` example (the benchmark)
//! and by the test of a report above the raster threshold.
//!
//! Structure: artists' song counts and genres' sizes are skewed (a few very prolific artists,
//! a long tail of small genres); songs sit on the 2-D and 10-D maps around their genre's centre
//! and their artist's offset; HDBSCAN labels follow the nearest of 40 centres with 15% noise;
//! every song has 10 recommendations and every artist 10 nearest and 10 farthest artists, as
//! `timbral similarity` writes them. The extended features' `segment_count` stands in for the
//! segments table.

use polars::prelude::*;
use timbral_core::contract::seed_feature_names;
use timbral_core::{Table, Workdir};

use super::{CatalogueRows, Rng, write, write_cluster_model, write_recommendations};

const ND: usize = 10;
const CLUSTERS: usize = 40;
const NEIGHBOURS: usize = 10;
const TOP_ARTISTS: usize = 10;
const GRID_GENRES: usize = 30;
const GRID: usize = 64;

/// A skewed index in 0..n: `u^power` puts most draws on the first indices.
fn skewed(rng: &mut Rng, n: usize, power: f64) -> usize {
    ((rng.next().powf(power) * n as f64) as usize).min(n - 1)
}

/// Writes the catalogue's tables into `workdir`.
pub fn write_catalogue(workdir: &Workdir, songs: usize, artists: usize, genres: usize) {
    assert!(songs >= artists && artists >= 1 && genres >= 1, "need songs >= artists >= 1 and genres >= 1");
    let mut rng = Rng(42);
    let ids: Vec<String> = (0..songs).map(|i| format!("tr{i:08}")).collect();
    let artist_ids: Vec<String> = (0..artists).map(|a| format!("ar{a:07}")).collect();
    let artist_names: Vec<String> = (0..artists).map(|a| format!("Artist {a}")).collect();
    let genre_names: Vec<String> = (0..genres).map(|g| format!("genre {g}")).collect();
    // Every artist has a song; the rest go mostly to the first artists.
    let artist_of: Vec<usize> = (0..songs).map(|i| if i < artists { i } else { skewed(&mut rng, artists, 2.0) }).collect();
    let artist_genres: Vec<Vec<usize>> = (0..artists)
        .map(|_| {
            let mut g: Vec<usize> = (0..1 + skewed(&mut rng, 3, 1.0)).map(|_| skewed(&mut rng, genres, 3.0)).collect();
            g.sort_unstable();
            g.dedup();
            g
        })
        .collect();
    let genre_centre: Vec<(f64, f64)> = (0..genres).map(|_| (12.0 * rng.normal(), 12.0 * rng.normal())).collect();
    let artist_offset: Vec<(f64, f64)> = (0..artists).map(|_| (1.5 * rng.normal(), 1.5 * rng.normal())).collect();
    let cluster_centre: Vec<(f64, f64)> = (0..CLUSTERS).map(|c| genre_centre[c % genres]).collect();

    let (mut x, mut y) = (Vec::with_capacity(songs), Vec::with_capacity(songs));
    let mut nd: Vec<Vec<f64>> = (0..ND).map(|_| Vec::with_capacity(songs)).collect();
    for &a in &artist_of {
        let (gx, gy) = genre_centre[artist_genres[a][0]];
        x.push(gx + artist_offset[a].0 + rng.normal());
        y.push(gy + artist_offset[a].1 + rng.normal());
        for (d, column) in nd.iter_mut().enumerate() {
            column.push(0.1 * (gx * (d + 1) as f64).sin() * 10.0 + 0.3 * rng.normal());
        }
    }
    let durations: Vec<f64> = (0..songs).map(|_| (5.35 + 0.35 * rng.normal()).exp()).collect();
    let genre_lists: Vec<Vec<String>> =
        artist_genres.iter().map(|g| g.iter().map(|&g| genre_names[g].clone()).collect()).collect();
    super::write_tracks_and_artists(
        workdir,
        CatalogueRows {
            track_ids: &ids,
            titles: (0..songs).map(|i| format!("Song {i}")).collect(),
            artist_of: &artist_of,
            artist_ids: &artist_ids,
            artist_names: &artist_names,
            artist_genres: &genre_lists,
            durations: &durations,
            source: "synthetic",
        },
    );

    // Seed features (the report reads t1 and t2 for its acousticness proxy) plus the extended
    // set's segment counts, about 4 segments per second.
    let mut features = vec![Column::new("track_id".into(), &ids)];
    for name in seed_feature_names() {
        features.push(Column::new(name.into(), x.iter().map(|v| v * 0.1 + rng.normal()).collect::<Vec<_>>()));
    }
    let counts: Vec<u32> = durations.iter().map(|d| (d * (3.5 + rng.next())) as u32).collect();
    features.push(Column::new("segment_rate".into(), counts.iter().zip(&durations).map(|(&n, d)| f64::from(n) / d).collect::<Vec<_>>()));
    features.push(Column::new("segment_count".into(), counts));
    write(workdir, Table::Features, features);

    let ratios: Vec<f64> = (1..=20).map(|c| 0.2 * 0.85f64.powi(c)).collect();
    write(
        workdir,
        Table::Pca,
        vec![
            Column::new("component".into(), (1..=20u32).collect::<Vec<_>>()),
            Column::new("explained_variance".into(), ratios.iter().map(|r| r * 90.0).collect::<Vec<_>>()),
            Column::new("explained_variance_ratio".into(), &ratios),
            Column::new("cumulative_ratio".into(), ratios.iter().scan(0.0, |acc, r| { *acc += r; Some(*acc) }).collect::<Vec<_>>()),
        ],
    );
    let mut embedding = vec![Column::new("track_id".into(), &ids)];
    for c in 1..=5 {
        embedding.push(Column::new(format!("pc_{c}").into(), x.iter().map(|v| v / c as f64).collect::<Vec<_>>()));
    }
    embedding.push(Column::new("umap_x".into(), &x));
    embedding.push(Column::new("umap_y".into(), &y));
    for (d, column) in nd.iter().enumerate() {
        embedding.push(Column::new(format!("umap_{}", d + 1).into(), column));
    }
    embedding.push(Column::new("placed".into(), vec![false; songs]));
    write(workdir, Table::Embedding, embedding);

    let nearest_centre = |i: usize| {
        (0..CLUSTERS)
            .min_by(|&a, &b| {
                let d = |c: usize| (x[i] - cluster_centre[c].0).powi(2) + (y[i] - cluster_centre[c].1).powi(2);
                d(a).total_cmp(&d(b))
            })
            .unwrap_or(0) as i32
    };
    let hdbscan: Vec<i32> = (0..songs).map(|i| if rng.next() < 0.15 { -1 } else { nearest_centre(i) }).collect();
    write(
        workdir,
        Table::Clusters,
        vec![
            Column::new("track_id".into(), &ids),
            Column::new("kmeans".into(), hdbscan.iter().map(|&c| c.max(0) % 12).collect::<Vec<_>>()),
            Column::new("dbscan".into(), hdbscan.iter().map(|&c| if c % 4 == 1 { -1 } else { c }).collect::<Vec<_>>()),
            Column::new("hdbscan".into(), &hdbscan),
            Column::new("hdbscan_fitted".into(), vec![true; ids.len()]),
        ],
    );
    let ks: Vec<u32> = (2..=15).collect();
    write(
        workdir,
        Table::ModelSelection,
        vec![
            Column::new("k".into(), &ks),
            Column::new("inertia".into(), ks.iter().map(|&k| 9e6 / f64::from(k)).collect::<Vec<_>>()),
            Column::new("silhouette".into(), ks.iter().map(|&k| 0.3 - 0.01 * (f64::from(k) - 12.0).abs()).collect::<Vec<_>>()),
            Column::new("calinski_harabasz".into(), ks.iter().map(|&k| 5e4 - 300.0 * (f64::from(k) - 12.0).powi(2)).collect::<Vec<_>>()),
            Column::new("davies_bouldin".into(), ks.iter().map(|&k| 1.0 + 0.05 * (f64::from(k) - 12.0).abs()).collect::<Vec<_>>()),
            Column::new("chosen".into(), ks.iter().map(|&k| k == 12).collect::<Vec<_>>()),
        ],
    );
    let mut kd: Vec<f64> = (0..songs).map(|_| 0.05 + rng.next().powi(8) * 3.0).collect();
    kd.sort_by(f64::total_cmp);
    let knee = songs * 95 / 100;
    write(
        workdir,
        Table::KDistance,
        vec![
            Column::new("rank".into(), (1..=songs as u32).collect::<Vec<_>>()),
            Column::new("distance".into(), &kd),
            Column::new("knee".into(), (0..songs).map(|i| i == knee).collect::<Vec<_>>()),
        ],
    );
    write(
        workdir,
        Table::ClusterQuality,
        vec![
            Column::new("metric".into(), ["trustworthiness_2d_k15", "dbscan_eps", "hdbscan_noise_share"]),
            Column::new("value".into(), [0.9, kd[knee], 0.15]),
        ],
    );
    write_cluster_model(workdir, songs);
    genre_tables(workdir, &mut rng, &genre_names, &artist_of, &artist_genres, &hdbscan, &genre_centre);
    artist_tables(workdir, &mut rng, &artist_ids, &artist_names, &artist_of);
    recommendations(workdir, &mut rng, &ids, &artist_of);
    write(
        workdir,
        Table::Eval,
        vec![
            Column::new("metric".into(), ["artist_precision_at_5", "noise_share"]),
            Column::new("value".into(), [Some(0.2), Some(0.15)]),
            Column::new("threshold_min".into(), [Some(0.1), None]),
            Column::new("threshold_max".into(), [None, Some(0.4)]),
            Column::new("passed".into(), [Some(true), Some(true)]),
            Column::new("description".into(), ["share of a song's 5 nearest by the same artist", "share of songs HDBSCAN leaves as noise"]),
        ],
    );
}

fn genre_tables(
    workdir: &Workdir,
    rng: &mut Rng,
    names: &[String],
    artist_of: &[usize],
    artist_genres: &[Vec<usize>],
    hdbscan: &[i32],
    centres: &[(f64, f64)],
) {
    let genres = names.len();
    let mut songs = vec![0u32; genres];
    let mut by_cluster = vec![std::collections::BTreeMap::<i32, u32>::new(); genres];
    for (i, &a) in artist_of.iter().enumerate() {
        for &g in &artist_genres[a] {
            songs[g] += 1;
            *by_cluster[g].entry(hdbscan[i]).or_default() += 1;
        }
    }
    let present: Vec<usize> = (0..genres).filter(|&g| songs[g] > 0).collect();
    let total = artist_of.len() as f64;
    let mut by_size = present.clone();
    by_size.sort_by_key(|&g| std::cmp::Reverse(songs[g]));
    let entropy: Vec<f64> = present.iter().map(|_| rng.next()).collect();
    let mut rank: Vec<usize> = (0..present.len()).collect();
    rank.sort_by(|&a, &b| entropy[a].total_cmp(&entropy[b]));
    let mut concentration = vec![0u32; present.len()];
    for (r, &i) in rank.iter().enumerate() {
        concentration[i] = r as u32 + 1;
    }
    write(
        workdir,
        Table::GenreDensity,
        vec![
            Column::new("genre".into(), present.iter().map(|&g| names[g].as_str()).collect::<Vec<_>>()),
            Column::new("songs".into(), present.iter().map(|&g| songs[g]).collect::<Vec<_>>()),
            Column::new("library_share".into(), present.iter().map(|&g| f64::from(songs[g]) / total).collect::<Vec<_>>()),
            Column::new("clusters".into(), present.iter().map(|&g| by_cluster[g].len() as u32).collect::<Vec<_>>()),
            Column::new("cluster_entropy".into(), entropy.iter().map(|e| e * 3.0).collect::<Vec<_>>()),
            Column::new("normalised_entropy".into(), &entropy),
            Column::new("mean_distance".into(), entropy.iter().map(|e| 5.0 + 10.0 * e).collect::<Vec<_>>()),
            Column::new("library_mean".into(), vec![15.0; present.len()]),
            Column::new("distance_ratio".into(), entropy.iter().map(|e| 0.3 + 0.7 * e).collect::<Vec<_>>()),
            Column::new("concentration_rank".into(), concentration),
        ],
    );
    let (mut g_col, mut c_col, mut n_col, mut s_col) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &g in &present {
        for (&c, &n) in &by_cluster[g] {
            g_col.push(names[g].as_str());
            c_col.push(c);
            n_col.push(n);
            s_col.push(f64::from(n) / f64::from(songs[g]));
        }
    }
    write(
        workdir,
        Table::GenreClusters,
        vec![
            Column::new("genre".into(), g_col),
            Column::new("cluster".into(), c_col),
            Column::new("songs".into(), n_col),
            Column::new("share".into(), s_col),
        ],
    );
    // A Gaussian bump at each of the largest genres' centres, on a 64 x 64 grid.
    let (mut g_col, mut ix_col, mut iy_col, mut x_col, mut y_col, mut d_col) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &g in by_size.iter().take(GRID_GENRES) {
        for ix in 0..GRID {
            for iy in 0..GRID {
                let (x, y) = (-40.0 + 80.0 * ix as f64 / (GRID - 1) as f64, -40.0 + 80.0 * iy as f64 / (GRID - 1) as f64);
                g_col.push(names[g].as_str());
                ix_col.push(ix as u32);
                iy_col.push(iy as u32);
                x_col.push(x);
                y_col.push(y);
                d_col.push((-((x - centres[g].0).powi(2) + (y - centres[g].1).powi(2)) / 50.0).exp());
            }
        }
    }
    write(
        workdir,
        Table::GenreGrid,
        vec![
            Column::new("genre".into(), g_col),
            Column::new("ix".into(), ix_col),
            Column::new("iy".into(), iy_col),
            Column::new("x".into(), x_col),
            Column::new("y".into(), y_col),
            Column::new("density".into(), d_col),
        ],
    );
}

fn artist_tables(workdir: &Workdir, rng: &mut Rng, ids: &[String], names: &[String], artist_of: &[usize]) {
    let artists = ids.len();
    let mut songs = vec![0u32; artists];
    for &a in artist_of {
        songs[a] += 1;
    }
    let cohesive: Vec<usize> = (0..artists).filter(|&a| songs[a] >= 2).collect();
    let ratio: Vec<f64> = cohesive.iter().map(|_| 0.2 + rng.next()).collect();
    let mut order: Vec<usize> = (0..cohesive.len()).collect();
    order.sort_by(|&a, &b| ratio[a].total_cmp(&ratio[b]));
    let mut rank = vec![0u32; cohesive.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r as u32 + 1;
    }
    write(
        workdir,
        Table::IntraArtist,
        vec![
            Column::new("artist_id".into(), cohesive.iter().map(|&a| ids[a].as_str()).collect::<Vec<_>>()),
            Column::new("artist_name".into(), cohesive.iter().map(|&a| names[a].as_str()).collect::<Vec<_>>()),
            Column::new("songs".into(), cohesive.iter().map(|&a| songs[a]).collect::<Vec<_>>()),
            Column::new("mean_distance".into(), ratio.iter().map(|r| r * 15.0).collect::<Vec<_>>()),
            Column::new("library_mean".into(), vec![15.0; cohesive.len()]),
            Column::new("ratio".into(), &ratio),
            Column::new("percentile".into(), ratio.iter().map(|r| (r * 80.0).min(100.0)).collect::<Vec<_>>()),
            Column::new("p_value".into(), ratio.iter().map(|r| r.min(1.0)).collect::<Vec<_>>()),
            Column::new("cohesion_rank".into(), rank),
        ],
    );
    let rows = artists * 2 * TOP_ARTISTS;
    let (mut a_col, mut o_col, mut rel_col, mut r_col, mut d_col) =
        (Vec::with_capacity(rows), Vec::with_capacity(rows), Vec::with_capacity(rows), Vec::with_capacity(rows), Vec::with_capacity(rows));
    for a in 0..artists {
        for (relation, base) in [("nearest", 1.0), ("farthest", 30.0)] {
            for r in 0..TOP_ARTISTS {
                let other = (a + 1 + skewed(rng, artists.max(2) - 1, 1.0)) % artists;
                a_col.push(a);
                o_col.push(other);
                rel_col.push(relation);
                r_col.push(r as u32 + 1);
                d_col.push(base + if relation == "nearest" { r as f64 } else { -(r as f64) } * 0.1);
            }
        }
    }
    write(
        workdir,
        Table::ArtistSimilarity,
        vec![
            Column::new("artist_id".into(), a_col.iter().map(|&a| ids[a].as_str()).collect::<Vec<_>>()),
            Column::new("artist_name".into(), a_col.iter().map(|&a| names[a].as_str()).collect::<Vec<_>>()),
            Column::new("other_artist_id".into(), o_col.iter().map(|&a| ids[a].as_str()).collect::<Vec<_>>()),
            Column::new("other_artist_name".into(), o_col.iter().map(|&a| names[a].as_str()).collect::<Vec<_>>()),
            Column::new("relation".into(), rel_col),
            Column::new("rank".into(), r_col),
            Column::new("distance".into(), d_col),
            Column::new("pairs".into(), a_col.iter().zip(&o_col).map(|(&a, &o)| i64::from(songs[a]) * i64::from(songs[o])).collect::<Vec<_>>()),
            Column::new("space".into(), vec!["umap"; rows]),
        ],
    );
}

fn recommendations(workdir: &Workdir, rng: &mut Rng, ids: &[String], artist_of: &[usize]) {
    let songs = ids.len();
    let rows = songs * NEIGHBOURS;
    let (mut t_col, mut r_col, mut rec_col, mut d_col, mut same_col) =
        (Vec::with_capacity(rows), Vec::with_capacity(rows), Vec::with_capacity(rows), Vec::with_capacity(rows), Vec::with_capacity(rows));
    for i in 0..songs {
        let mut d = 0.05 * rng.next();
        for r in 0..NEIGHBOURS {
            // Neighbours are mostly songs written next to this one: often the same artist.
            let j = (i + 1 + skewed(rng, 50.min(songs - 1).max(1), 2.0)) % songs;
            d += 0.02 * rng.next();
            t_col.push(ids[i].as_str());
            r_col.push(r as u32 + 1);
            rec_col.push(ids[j].as_str());
            d_col.push(d);
            same_col.push(artist_of[i] == artist_of[j]);
        }
    }
    write_recommendations(workdir, (&t_col, r_col, &rec_col, d_col, same_col));
}
