//! A small but realistic workdir for report tests: 12 artists x 10 songs in three timbre
//! groups, with every interim and processed table the report reads, built with Polars and
//! written through `Workdir::write_table` (so each table passes the contract). The
//! `report_at_scale` example reuses its generator and writer for catalogues of any size.

#![allow(dead_code)]

pub mod chromium;
pub mod scale;

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;
use timbral_core::contract::{pitch_columns, seed_feature_names, timbre_columns};
use timbral_core::manifest::{Manifest, StageRecord};
use timbral_core::{Table, Workdir, cols};

pub const EVIL_ARTIST: &str = "<script>alert(1)</script>";
pub const EVIL_GENRE: &str = "<b>bold</b> & co";
pub const EVIL_TITLE: &str = "\"Quotes\" & <i>tags</i>";
/// Titles of songs 40 and 41 in the evil fixture (artist E, not among the report's examples): markup that would end a `<script>` element or
/// an attribute and run code (the second marks `<body>` if it ever runs).
pub const HOSTILE_TITLES: [&str; 2] = [
    "</script><img src=x onerror=alert(1)>",
    "\"><svg onload=\"document.body.setAttribute('data-pwned','1')\">",
];

#[derive(Debug, Clone, Copy, Default)]
pub struct Fixture {
    /// Names, genres and titles with HTML markup.
    pub evil: bool,
    /// No genres anywhere and a single HDBSCAN cluster.
    pub thin: bool,
    /// Write `audio_features` with acousticness.
    pub audio_features: bool,
    /// Write `run_manifest.json`.
    pub manifest: bool,
}

/// SplitMix64: a tiny deterministic generator, enough for fixture noise.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly normal: the sum of four uniforms, centred and scaled.
    pub fn normal(&mut self) -> f64 {
        ((self.next() + self.next() + self.next() + self.next()) - 2.0) * 1.7
    }
}

pub const ARTISTS: usize = 12;
pub const SONGS_PER_ARTIST: usize = 10;
const GENRES: [&str; 10] = [
    "classical", "baroque", "romantic", "rock", "metal", "grunge", "electronic", "ambient", "folk", "pop",
];
/// The study's PCA reference shape: explained-variance ratios of the first 10 components.
pub const PCA_RATIOS: [f64; 10] = [0.18, 0.13, 0.09, 0.07, 0.06, 0.05, 0.045, 0.04, 0.035, 0.03];

pub fn artist_name(a: usize, fixture: &Fixture) -> String {
    if fixture.evil && a == 0 {
        EVIL_ARTIST.to_string()
    } else {
        format!("Artist {}", (b'A' + a as u8) as char)
    }
}

fn artist_genres(a: usize, fixture: &Fixture) -> Vec<String> {
    if fixture.thin {
        return Vec::new();
    }
    let group = a % 3;
    let mut g = vec![GENRES[group * 3].to_string()];
    g.push(GENRES[group * 3 + 1 + (a / 3) % 2].to_string());
    if a == 11 {
        g.push(GENRES[9].to_string());
    }
    if fixture.evil && a == 0 {
        g.push(EVIL_GENRE.to_string());
    }
    g.sort();
    g.dedup();
    g
}

pub fn list_column(name: &str, lists: Vec<Vec<String>>) -> Column {
    let series: Vec<Series> = lists.iter().map(|l| Series::new("".into(), l)).collect();
    Series::new(name.into(), series)
        .cast(&DataType::List(Box::new(DataType::String)))
        .unwrap()
        .into()
}

/// Builds a frame from `columns` and writes it through the contract check.
pub fn write(workdir: &Workdir, table: Table, columns: Vec<Column>) {
    let mut frame = DataFrame::new_infer_height(columns).unwrap();
    workdir.write_table(table, &mut frame).unwrap();
}

/// A `cluster_model` row for a fit of `songs` songs, as `timbral cluster` writes it.
pub fn write_cluster_model(workdir: &Workdir, songs: usize) {
    use timbral_cluster::umap::UmapSettings;
    let model = timbral_cluster::ClusterModel {
        feature_set: timbral_cluster::FeatureSet::Seed,
        space: timbral_core::Space::Study,
        songs,
        features: 90,
        seed: 42,
        knn: "nn-descent".into(),
        umap: UmapSettings { n_neighbors: 15, min_dist: 0.1, metric: timbral_cluster::Metric::Euclidean, n_epochs: 200 },
        umap_dims: 10,
        kmeans_k: 6,
        dbscan_eps: 0.3,
        dbscan_min_samples: 5,
        hdbscan_min_cluster_size: 10,
    };
    workdir.write_table(Table::ClusterModel, &mut model.frame().unwrap()).unwrap();
}

/// Songs and their artists, as the `tracks` and `artists` tables want them.
pub struct CatalogueRows<'a> {
    pub track_ids: &'a [String],
    pub titles: Vec<String>,
    /// Index into the artist columns, per song.
    pub artist_of: &'a [usize],
    pub artist_ids: &'a [String],
    pub artist_names: &'a [String],
    pub artist_genres: &'a [Vec<String>],
    pub durations: &'a [f64],
    /// `tracks.source`; `location` is `{source}/{track_id}`.
    pub source: &'a str,
}

/// Writes `tracks` (the optional analysis columns null) and `artists`.
pub fn write_tracks_and_artists(workdir: &Workdir, rows: CatalogueRows) {
    let n = rows.track_ids.len();
    let per_song = |column: &[String]| rows.artist_of.iter().map(|&a| column[a].clone()).collect::<Vec<_>>();
    let mut tracks = vec![
        Column::new(cols::tracks::TRACK_ID.into(), rows.track_ids),
        Column::new(cols::tracks::TITLE.into(), &rows.titles),
        Column::new(cols::tracks::ARTIST_ID.into(), per_song(rows.artist_ids)),
        Column::new(cols::tracks::ARTIST_NAME.into(), per_song(rows.artist_names)),
        Column::new(cols::tracks::ALBUM.into(), vec![None::<&str>; n]),
        list_column(cols::tracks::GENRES, rows.artist_of.iter().map(|&a| rows.artist_genres[a].clone()).collect()),
        Column::new(cols::tracks::DURATION_S.into(), rows.durations),
    ];
    use cols::tracks::{KEY, KEY_CONFIDENCE, LOUDNESS, MODE, MODE_CONFIDENCE, TEMPO, TEMPO_CONFIDENCE, TIME_SIGNATURE, TIME_SIGNATURE_CONFIDENCE};
    for name in [TEMPO, TEMPO_CONFIDENCE, KEY_CONFIDENCE, MODE_CONFIDENCE, TIME_SIGNATURE_CONFIDENCE, LOUDNESS] {
        tracks.push(Column::new(name.into(), vec![None::<f64>; n]));
    }
    for name in [KEY, MODE, TIME_SIGNATURE] {
        tracks.push(Column::new(name.into(), vec![None::<i32>; n]));
    }
    tracks.push(Column::new(cols::tracks::SOURCE.into(), vec![rows.source; n]));
    let locations: Vec<String> = rows.track_ids.iter().map(|t| format!("{}/{t}", rows.source)).collect();
    tracks.push(Column::new(cols::tracks::LOCATION.into(), locations));
    write(workdir, Table::Tracks, tracks);
    write(
        workdir,
        Table::Artists,
        vec![
            Column::new(cols::artists::ARTIST_ID.into(), rows.artist_ids),
            Column::new(cols::artists::ARTIST_NAME.into(), rows.artist_names),
            list_column(cols::artists::GENRES, rows.artist_genres.to_vec()),
        ],
    );
}

/// Builds the workdir under `dir` and returns it.
pub fn build(dir: &Path, fixture: Fixture) -> Workdir {
    let workdir = Workdir::new(dir);
    let mut rng = Rng(7);
    let n = ARTISTS * SONGS_PER_ARTIST;
    let track_ids: Vec<String> = (0..n).map(|i| format!("trk{i:04}")).collect();
    let artist_of: Vec<usize> = (0..n).map(|i| i / SONGS_PER_ARTIST).collect();
    let artist_ids: Vec<String> = (0..ARTISTS).map(|a| format!("art{a:02}")).collect();
    let titles: Vec<String> = (0..n)
        .map(|i| match i {
            0 if fixture.evil => EVIL_TITLE.to_string(),
            40 | 41 if fixture.evil => HOSTILE_TITLES[i - 40].to_string(),
            _ => format!("Song {i}"),
        })
        .collect();
    let durations: Vec<f64> = (0..n).map(|_| 150.0 + 120.0 * rng.next() + 60.0 * rng.normal().abs()).collect();

    // Three timbre groups (artist % 3) as blobs on the map and in the 5-D embedding.
    let centres = [(-4.0, 0.0), (3.0, 3.0), (2.0, -4.0)];
    let mut umap_x = Vec::new();
    let mut umap_y = Vec::new();
    let mut nd: Vec<Vec<f64>> = vec![Vec::new(); 5];
    for &a in &artist_of {
        let (cx, cy) = centres[a % 3];
        let (ax, ay) = (0.6 * (a as f64 / 3.0).sin(), 0.6 * (a as f64 / 3.0).cos());
        umap_x.push(cx + ax + 0.5 * rng.normal());
        umap_y.push(cy + ay + 0.5 * rng.normal());
        for (d, column) in nd.iter_mut().enumerate() {
            column.push(if d == a % 3 { 3.0 } else { 0.0 } + 0.4 * rng.normal());
        }
    }

    let names: Vec<String> = (0..ARTISTS).map(|a| artist_name(a, &fixture)).collect();
    let genres: Vec<Vec<String>> = (0..ARTISTS).map(|a| artist_genres(a, &fixture)).collect();
    write_tracks_and_artists(
        &workdir,
        CatalogueRows {
            track_ids: &track_ids,
            titles,
            artist_of: &artist_of,
            artist_ids: &artist_ids,
            artist_names: &names,
            artist_genres: &genres,
            durations: &durations,
            source: "fixture",
        },
    );

    // Segments: about 3 per second, as in Echo Nest analyses; 1/10 of the length to stay small.
    let mut seg_track = Vec::new();
    let mut seg_index = Vec::new();
    for (i, id) in track_ids.iter().enumerate() {
        let count = (durations[i] * (2.5 + rng.next()) / 10.0) as u32;
        for s in 0..count {
            seg_track.push(id.clone());
            seg_index.push(s);
        }
    }
    let rows = seg_track.len();
    let mut segments = vec![
        Column::new("track_id".into(), &seg_track),
        Column::new("seg".into(), &seg_index),
    ];
    for name in ["start", "duration", "confidence", "loudness_start", "loudness_max", "loudness_max_time", "loudness_end"] {
        segments.push(Column::new(name.into(), vec![0.5f64; rows]));
    }
    for name in pitch_columns().into_iter().chain(timbre_columns()) {
        segments.push(Column::new(name.into(), vec![0.1f32; rows]));
    }
    write(&workdir, Table::Segments, segments);

    let mut features = vec![Column::new("track_id".into(), &track_ids)];
    for (f, name) in seed_feature_names().into_iter().enumerate() {
        let values: Vec<f64> = artist_of
            .iter()
            .map(|&a| (a % 3) as f64 * (f % 5) as f64 + rng.normal())
            .collect();
        features.push(Column::new(name.into(), values));
    }
    write(&workdir, Table::Features, features);

    if fixture.audio_features {
        let mut columns = vec![Column::new("track_id".into(), &track_ids)];
        for name in timbral_core::contract::AUDIO_FEATURE_COLUMNS {
            let values: Vec<Option<f64>> = artist_of
                .iter()
                .enumerate()
                .map(|(i, &a)| match name {
                    // One song without a value, to exercise the grey "no value" points.
                    "acousticness" if i == 5 => None,
                    "acousticness" => Some(if a % 3 == 0 { 0.85 } else { 0.15 } + 0.1 * rng.next()),
                    _ => Some(rng.next()),
                })
                .collect();
            columns.push(Column::new(name.into(), values));
        }
        write(&workdir, Table::AudioFeatures, columns);
    }

    let cumulative: Vec<f64> = PCA_RATIOS.iter().scan(0.0, |acc, r| { *acc += r; Some(*acc) }).collect();
    write(
        &workdir,
        Table::Pca,
        vec![
            Column::new("component".into(), (1..=PCA_RATIOS.len() as u32).collect::<Vec<_>>()),
            Column::new("explained_variance".into(), PCA_RATIOS.iter().map(|r| r * 90.0).collect::<Vec<_>>()),
            Column::new("explained_variance_ratio".into(), PCA_RATIOS.to_vec()),
            Column::new("cumulative_ratio".into(), cumulative),
        ],
    );

    let mut embedding = vec![
        Column::new("track_id".into(), &track_ids),
        Column::new("umap_x".into(), &umap_x),
        Column::new("umap_y".into(), &umap_y),
    ];
    for (d, column) in nd.iter().enumerate() {
        embedding.push(Column::new(format!("umap_{}", d + 1).into(), column));
    }
    for c in 1..=5 {
        embedding.push(Column::new(format!("pc_{c}").into(), umap_x.iter().map(|x| x * c as f64).collect::<Vec<_>>()));
    }
    embedding.push(Column::new("placed".into(), vec![false; n]));
    write(&workdir, Table::Embedding, embedding);

    // HDBSCAN: the three groups, with every 8th song as noise; thin: one cluster.
    let hdbscan: Vec<i32> = (0..n)
        .map(|i| if i % 8 == 3 { -1 } else if fixture.thin { 0 } else { (artist_of[i] % 3) as i32 })
        .collect();
    let dbscan: Vec<i32> = (0..n).map(|i| if i % 4 == 1 { -1 } else { (artist_of[i] % 3) as i32 }).collect();
    let kmeans: Vec<i32> = (0..n).map(|i| (artist_of[i] % 3) as i32).collect();
    write(
        &workdir,
        Table::Clusters,
        vec![
            Column::new("track_id".into(), &track_ids),
            Column::new("kmeans".into(), kmeans),
            Column::new("dbscan".into(), &dbscan),
            Column::new("hdbscan".into(), &hdbscan),
            Column::new("hdbscan_fitted".into(), vec![true; track_ids.len()]),
        ],
    );

    let ks: Vec<u32> = (2..=8).collect();
    write(
        &workdir,
        Table::ModelSelection,
        vec![
            Column::new("k".into(), &ks),
            Column::new("inertia".into(), ks.iter().map(|&k| 900.0 / f64::from(k) + 40.0).collect::<Vec<_>>()),
            Column::new("silhouette".into(), ks.iter().map(|&k| 0.6 - 0.05 * (f64::from(k) - 3.0).abs()).collect::<Vec<_>>()),
            Column::new("calinski_harabasz".into(), ks.iter().map(|&k| 300.0 - 20.0 * (f64::from(k) - 3.0).powi(2)).collect::<Vec<_>>()),
            Column::new("davies_bouldin".into(), ks.iter().map(|&k| 0.5 + 0.1 * (f64::from(k) - 3.0).abs()).collect::<Vec<_>>()),
            Column::new("chosen".into(), ks.iter().map(|&k| k == 3).collect::<Vec<_>>()),
        ],
    );

    let kd: Vec<f64> = (0..n).map(|i| 0.1 + 0.002 * i as f64 + if i > 100 { 0.05 * (i - 100) as f64 } else { 0.0 }).collect();
    write(
        &workdir,
        Table::KDistance,
        vec![
            Column::new("rank".into(), (1..=n as u32).collect::<Vec<_>>()),
            Column::new("distance".into(), kd),
            Column::new("knee".into(), (0..n).map(|i| i == 100).collect::<Vec<_>>()),
        ],
    );

    let noise = |labels: &[i32]| labels.iter().filter(|&&l| l < 0).count() as f64 / n as f64;
    write(
        &workdir,
        Table::ClusterQuality,
        vec![
            Column::new("metric".into(), ["trustworthiness_2d_k15", "dbscan_eps", "dbscan_noise_share", "hdbscan_noise_share"]),
            Column::new("value".into(), [0.91, 0.3, noise(&dbscan), noise(&hdbscan)]),
        ],
    );
    write_cluster_model(&workdir, n);
    genre_tables(&workdir, &fixture, &artist_of, &hdbscan, &umap_x, &umap_y);
    artist_tables(&workdir, &fixture, &artist_ids);
    recommendation_table(&workdir, &track_ids, &artist_of, &umap_x, &umap_y);

    write(
        &workdir,
        Table::Eval,
        vec![
            Column::new("metric".into(), ["artist_precision_at_5", "noise_share", "trustworthiness"]),
            Column::new("value".into(), [0.42, 0.125, 0.93]),
            Column::new("threshold_min".into(), [Some(0.3), None, Some(0.95)]),
            Column::new("threshold_max".into(), [None, Some(0.4), None]),
            Column::new("passed".into(), [Some(true), Some(true), Some(false)]),
            Column::new("description".into(), ["share of a song's 5 nearest by the same artist", "share of songs HDBSCAN leaves as noise", "trustworthiness of the 2-D map at k = 15"]),
        ],
    );

    if fixture.manifest {
        let mut manifest = Manifest::default();
        for (stage, seconds) in [("features", 1.25), ("cluster", 4.5), ("similarity", 0.75), ("eval", 0.2)] {
            manifest.stages.insert(
                stage.to_string(),
                StageRecord {
                    params: "hash".into(),
                    params_text: format!("{stage} defaults seed=42"),
                    inputs: BTreeMap::new(),
                    outputs: BTreeMap::new(),
                    seconds,
                    finished_at: "2026-01-01T00:00:00Z".into(),
                },
            );
        }
        manifest.save(&workdir).unwrap();
    }
    workdir
}

fn genre_tables(workdir: &Workdir, fixture: &Fixture, artist_of: &[usize], hdbscan: &[i32], xs: &[f64], ys: &[f64]) {
    let mut songs: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, &a) in artist_of.iter().enumerate() {
        for g in artist_genres(a, fixture) {
            songs.entry(g).or_default().push(i);
        }
    }
    let genres: Vec<&String> = songs.keys().collect();
    let counts: Vec<u32> = songs.values().map(|s| s.len() as u32).collect();
    write(
        workdir,
        Table::GenreDensity,
        vec![
            Column::new("genre".into(), genres.iter().map(|g| g.as_str()).collect::<Vec<_>>()),
            Column::new("songs".into(), &counts),
            Column::new("library_share".into(), counts.iter().map(|&c| f64::from(c) / artist_of.len() as f64).collect::<Vec<_>>()),
            Column::new("clusters".into(), vec![2u32; genres.len()]),
            Column::new("cluster_entropy".into(), (0..genres.len()).map(|i| 0.2 + 0.1 * i as f64).collect::<Vec<_>>()),
            Column::new("library_mean".into(), vec![2.0; genres.len()]),
            Column::new("normalised_entropy".into(), (0..genres.len()).map(|i| 0.1 + 0.07 * i as f64).collect::<Vec<_>>()),
            Column::new("mean_distance".into(), (0..genres.len()).map(|i| 1.0 + 0.1 * i as f64).collect::<Vec<_>>()),
            Column::new("distance_ratio".into(), (0..genres.len()).map(|i| 0.4 + 0.05 * i as f64).collect::<Vec<_>>()),
            Column::new("concentration_rank".into(), (1..=genres.len() as u32).collect::<Vec<_>>()),
        ],
    );
    let (mut g_col, mut c_col, mut n_col, mut s_col) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (g, members) in &songs {
        let mut by_cluster: BTreeMap<i32, u32> = BTreeMap::new();
        for &i in members {
            *by_cluster.entry(hdbscan[i]).or_default() += 1;
        }
        for (c, k) in by_cluster {
            g_col.push(g.clone());
            c_col.push(c);
            n_col.push(k);
            s_col.push(f64::from(k) / members.len() as f64);
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
    // A Gaussian KDE on a 16 x 16 grid over the map.
    let (grid, bandwidth) = (16usize, 1.0);
    let (x0, x1) = (-7.0, 6.0);
    let (y0, y1) = (-7.0, 6.0);
    let (mut g_col, mut x_col, mut y_col, mut d_col) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut ix_col, mut iy_col) = (Vec::new(), Vec::new());
    for (g, members) in &songs {
        for ix in 0..grid {
            for iy in 0..grid {
                let x = x0 + (x1 - x0) * ix as f64 / (grid - 1) as f64;
                let y = y0 + (y1 - y0) * iy as f64 / (grid - 1) as f64;
                let d: f64 = members
                    .iter()
                    .map(|&i| (-((xs[i] - x).powi(2) + (ys[i] - y).powi(2)) / (2.0 * bandwidth * bandwidth)).exp())
                    .sum::<f64>()
                    / members.len() as f64;
                g_col.push(g.clone());
                ix_col.push(ix as u32);
                iy_col.push(iy as u32);
                x_col.push(x);
                y_col.push(y);
                d_col.push(d);
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

fn artist_tables(workdir: &Workdir, fixture: &Fixture, artist_ids: &[String]) {
    write(
        workdir,
        Table::IntraArtist,
        vec![
            Column::new("artist_id".into(), artist_ids),
            Column::new("artist_name".into(), (0..ARTISTS).map(|a| artist_name(a, fixture)).collect::<Vec<_>>()),
            Column::new("songs".into(), vec![SONGS_PER_ARTIST as u32; ARTISTS]),
            Column::new("mean_distance".into(), (0..ARTISTS).map(|a| 0.8 + 0.05 * a as f64).collect::<Vec<_>>()),
            Column::new("library_mean".into(), vec![2.0; ARTISTS]),
            Column::new("ratio".into(), (0..ARTISTS).map(|a| 0.3 + 0.05 * a as f64).collect::<Vec<_>>()),
            Column::new("percentile".into(), (0..ARTISTS).map(|a| 2.0 * a as f64).collect::<Vec<_>>()),
            Column::new("p_value".into(), (0..ARTISTS).map(|a| 0.02 * a as f64).collect::<Vec<_>>()),
            Column::new("cohesion_rank".into(), (1..=ARTISTS as u32).collect::<Vec<_>>()),
        ],
    );
    let (mut a_col, mut o_col, mut d_col, mut r_col, mut rel_col) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for a in 0..ARTISTS {
        let mut others: Vec<(usize, f64)> = (0..ARTISTS)
            .filter(|&b| b != a)
            .map(|b| (b, if a % 3 == b % 3 { 0.5 } else { 3.0 } + 0.01 * (a + b) as f64))
            .collect();
        others.sort_by(|x, y| x.1.total_cmp(&y.1));
        for (rank, (b, d)) in others.iter().take(3).enumerate() {
            a_col.push(artist_ids[a].clone());
            o_col.push(artist_ids[*b].clone());
            d_col.push(*d);
            r_col.push(rank as u32 + 1);
            rel_col.push("nearest");
        }
        for (rank, (b, d)) in others.iter().rev().take(3).enumerate() {
            a_col.push(artist_ids[a].clone());
            o_col.push(artist_ids[*b].clone());
            d_col.push(*d);
            r_col.push(rank as u32 + 1);
            rel_col.push("farthest");
        }
    }
    let rows = a_col.len();
    write(
        workdir,
        Table::ArtistSimilarity,
        vec![
            Column::new("artist_name".into(), a_col.iter().map(|id: &String| artist_name(id[3..].parse().unwrap(), fixture)).collect::<Vec<_>>()),
            Column::new("other_artist_name".into(), o_col.iter().map(|id: &String| artist_name(id[3..].parse().unwrap(), fixture)).collect::<Vec<_>>()),
            Column::new("artist_id".into(), a_col),
            Column::new("other_artist_id".into(), o_col),
            Column::new("distance".into(), d_col),
            Column::new("rank".into(), r_col),
            Column::new("relation".into(), rel_col),
            Column::new("pairs".into(), vec![(SONGS_PER_ARTIST * SONGS_PER_ARTIST) as i64; rows]),
            Column::new("space".into(), vec!["umap"; rows]),
        ],
    );
}

/// The 5 nearest songs of every song on the map, by brute force.
fn recommendation_table(workdir: &Workdir, ids: &[String], artist_of: &[usize], xs: &[f64], ys: &[f64]) {
    let (mut t_col, mut r_col, mut rec_col, mut d_col, mut same_col) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..ids.len() {
        let mut near: Vec<(usize, f64)> = (0..ids.len())
            .filter(|&j| j != i)
            .map(|j| (j, ((xs[i] - xs[j]).powi(2) + (ys[i] - ys[j]).powi(2)).sqrt()))
            .collect();
        near.sort_by(|a, b| a.1.total_cmp(&b.1));
        for (rank, (j, d)) in near.into_iter().take(5).enumerate() {
            t_col.push(ids[i].clone());
            r_col.push(rank as u32 + 1);
            rec_col.push(ids[j].clone());
            d_col.push(d);
            same_col.push(artist_of[i] == artist_of[j]);
        }
    }
    write_recommendations(workdir, (&t_col, r_col, &rec_col, d_col, same_col));
}

/// The columns of `recommendations`: seed, rank, recommended song, distance, same artist.
pub type RecommendationColumns<'a, S> = (&'a [S], Vec<u32>, &'a [S], Vec<f64>, Vec<bool>);

/// Writes `recommendations` from its columns.
pub fn write_recommendations<S: AsRef<str>>(workdir: &Workdir, (seeds, ranks, recs, distances, same): RecommendationColumns<S>) {
    fn text<S: AsRef<str>>(v: &[S]) -> Vec<&str> {
        v.iter().map(AsRef::as_ref).collect()
    }
    let rows = same.len();
    write(
        workdir,
        Table::Recommendations,
        vec![
            Column::new("track_id".into(), text(seeds)),
            Column::new("rank".into(), ranks),
            Column::new("rec_track_id".into(), text(recs)),
            Column::new("distance".into(), distances),
            Column::new("same_artist".into(), same),
            Column::new("space".into(), vec!["umap"; rows]),
        ],
    );
}

/// The `src` and `width` of every `<img>` of a page.
pub fn images(html: &str) -> Vec<(String, u32)> {
    html.split("<img ")
        .skip(1)
        .map(|tag| {
            let attr = |name: &str| {
                let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                tag[start..start + tag[start..].find('"').unwrap()].to_string()
            };
            (attr("src"), attr("width").parse().unwrap())
        })
        .collect()
}

/// Decodes a PNG and returns its size.
pub fn png_size(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    (info.width, info.height)
}
