//! Every measure against numpy / scipy / scikit-learn values (tests/fixtures/make_fixtures.py).

mod common;

use common::{catalogue, fixture, floats, matrix};
use timbral_similarity::artist_similarity::ArtistSpace;
use timbral_similarity::cohesion::cohesion;
use timbral_similarity::distance::library_mean_pairwise;
use timbral_similarity::eval::metrics;
use timbral_similarity::genre::{genre_stats, kde, scott_bandwidth, Grid};
use timbral_similarity::groups::{genre_members, ArtistGroups};
use timbral_similarity::neighbors::{all_nearest, KnnMethod};

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{what}: {a} vs {b}");
}

#[test]
fn library_and_intra_artist_means_match_scipy() {
    let f = fixture();
    let cat = catalogue(&f);
    let expected = &f["expected"];
    let library = library_mean_pairwise(&cat.points, 0).unwrap().mean;
    close(library, expected["library_mean"].as_f64().unwrap(), "library mean");
    let groups = ArtistGroups::of(&cat);
    let rows = cohesion(&cat.points, &groups, library, 50, 1);
    let intra = expected["intra_artist"].as_object().unwrap();
    assert_eq!(rows.len(), intra.len());
    for row in &rows {
        let id = &groups.ids[row.artist];
        close(row.mean_distance, intra[id].as_f64().unwrap(), id);
        close(row.ratio, row.mean_distance / library, id);
    }
}

#[test]
fn artist_distances_and_rankings_match_scipy() {
    let f = fixture();
    let cat = catalogue(&f);
    let expected = matrix(&f["expected"]["artist_distance"]);
    let groups = ArtistGroups::of(&cat);
    let space = ArtistSpace::new(&cat.points, &groups);
    for a in 0..groups.len() {
        let result = space.neighbours(a, 3);
        let mut others: Vec<usize> = (0..groups.len()).filter(|&b| b != a).collect();
        others.sort_by(|&x, &y| expected[[a, x]].total_cmp(&expected[[a, y]]));
        let nearest: Vec<usize> = result.nearest.iter().map(|n| n.other).collect();
        assert_eq!(nearest, others[..3], "nearest of artist {a}");
        let farthest: Vec<usize> = result.farthest.iter().map(|n| n.other).collect();
        let mut reversed = others.clone();
        reversed.reverse();
        assert_eq!(farthest, reversed[..3], "farthest of artist {a}");
        for n in result.nearest.iter().chain(&result.farthest) {
            close(n.distance, expected[[a, n.other]], "artist distance");
            let pairs = groups.members[a].len() * groups.members[n.other].len();
            assert_eq!(n.pairs, pairs as u64);
        }
    }
}

#[test]
fn genre_entropy_and_spread_match_scipy() {
    let f = fixture();
    let cat = catalogue(&f);
    let library = library_mean_pairwise(&cat.points, 0).unwrap().mean;
    let stats = genre_stats(&cat, library, 2, 0);
    let expected = f["expected"]["genres"].as_object().unwrap();
    assert_eq!(stats.len(), expected.len());
    for s in &stats {
        let e = &expected[&s.genre];
        assert_eq!(s.songs as u64, e["songs"].as_u64().unwrap());
        close(s.entropy.unwrap(), e["entropy"].as_f64().unwrap(), &s.genre);
        close(s.normalised_entropy.unwrap(), e["normalised_entropy"].as_f64().unwrap(), &s.genre);
        close(s.mean_distance.unwrap(), e["mean_distance"].as_f64().unwrap(), &s.genre);
    }
    // Ranks follow the distance ratio.
    let mut ranked: Vec<_> = stats.iter().filter_map(|s| Some((s.concentration_rank?, s.distance_ratio?))).collect();
    ranked.sort_by_key(|r| r.0);
    assert!(ranked.windows(2).all(|w| w[0].1 <= w[1].1));
}

#[test]
fn kde_matches_scikit_learn() {
    let f = fixture();
    let cat = catalogue(&f);
    let expected = &f["expected"];
    let genre = expected["kde_genre"].as_str().unwrap();
    let size = expected["kde_grid_size"].as_u64().unwrap() as usize;
    let members = &genre_members(&cat)[genre];
    let h = scott_bandwidth(&cat.map, members).unwrap();
    let h_expected = floats(&expected["kde_bandwidth"]);
    close(h[0], h_expected[0], "bandwidth x");
    close(h[1], h_expected[1], "bandwidth y");
    let density = kde(&cat.map, members, h, &Grid::over(&cat.map, size));
    let reference = floats(&expected["kde_density"]);
    assert_eq!(density.len(), reference.len());
    let peak = reference.iter().copied().fold(0.0, f64::max);
    for (cell, (got, want)) in density.iter().zip(&reference).enumerate() {
        assert!((got - want).abs() <= 1e-9 * peak, "cell {cell}: {got} vs {want}");
    }
}

#[test]
fn neighbours_precision_and_trustworthiness_match_scikit_learn() {
    let f = fixture();
    let cat = catalogue(&f);
    let expected = &f["expected"];
    let k = f["k"].as_u64().unwrap() as usize;
    let (_, found) = all_nearest(cat.points.view(), k, KnnMethod::Exact, 0).unwrap();
    let want = matrix(&expected["neighbours"]);
    let want_d = matrix(&expected["neighbour_distances"]);
    for (i, list) in found.iter().enumerate() {
        let got: Vec<f64> = list.iter().map(|n| n.index as f64).collect();
        assert_eq!(got, want.row(i).to_vec(), "neighbours of song {i}");
        for (r, n) in list.iter().enumerate() {
            close(n.distance, want_d[[i, r]], "neighbour distance");
        }
    }
    let artist: Vec<usize> = cat.artist_ids.iter().map(|a| a[2..].parse().unwrap()).collect();
    let precision = metrics::artist_precision(&found, &artist).unwrap();
    close(precision, expected["artist_precision"].as_f64().unwrap(), "artist precision");
    let names: Vec<&str> = ["ambient", "folk", "metal", "orchestral", "techno"].to_vec();
    let genres: Vec<Vec<u32>> = cat
        .genres
        .iter()
        .map(|g| g.iter().map(|x| names.iter().position(|n| n == x).unwrap() as u32).collect())
        .collect();
    let precision = metrics::genre_precision(&found, &genres).unwrap();
    close(precision, expected["genre_precision"].as_f64().unwrap(), "genre precision");

    let features = matrix(&f["features"]);
    let (_, embedded) = all_nearest(cat.map.view(), k, KnnMethod::Exact, 0).unwrap();
    let queries: Vec<usize> = (0..cat.len()).collect();
    let trust = metrics::trustworthiness(&features, &queries, &embedded, k).unwrap();
    close(trust, expected["trustworthiness"].as_f64().unwrap(), "trustworthiness");
}
