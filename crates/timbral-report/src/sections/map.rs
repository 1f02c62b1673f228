//! Section 3: the 2-D UMAP map coloured by acousticness, by cluster and by genre.

use std::collections::{BTreeSet, HashMap};

use timbral_core::contract::timbre_mean_column;
use timbral_core::{Result, Table, cols};

use super::{Ctx, Figures};
use crate::catalogue::{cluster_labels, Catalogue, Embedding};
use crate::format::{int, pct};
use crate::html::Section;
use crate::inputs::{f64s, strs};
use crate::plot::scatter::{is_raster, raster_note, scatter_categories, scatter_values};
use crate::plot::Size;

/// The formula of the acousticness proxy, quoted in the report.
pub const PROXY_FORMULA: &str = "proxy = percentile rank of −(z(t1) + z(t2)), where t1 and t2 are a song's mean timbre coefficients 1 (brightness) and 2 (flatness) and z standardises over the catalogue";

pub fn build(ctx: &Ctx, figures: &mut Figures) -> Result<Section> {
    let mut s = Section::new("map", "The map");
    let embedding = match &ctx.embedding {
        Ok(e) if !e.xy.is_empty() => e,
        Ok(_) => {
            s.notice("The embedding table has no songs with map coordinates, so there is no map.");
            return Ok(s);
        }
        Err(why) => {
            s.read("This section shows the songs on a 2-D UMAP map, where nearby songs sound alike.");
            s.notice(why.clone());
            return Ok(s);
        }
    };
    let what = if is_raster(embedding.xy.len()) {
        format!("Each pixel holds some of {} songs", int(embedding.xy.len()))
    } else {
        format!("Each dot is one of {} songs", int(embedding.xy.len()))
    };
    s.read(format!(
        "{what} placed by UMAP so that songs that sound alike sit close together; the axes have no units, only distances matter. {} The same map is coloured three ways: by how acoustic a song is, by the HDBSCAN cluster it falls in, and by genre.",
        mapped_space(ctx),
    ));
    acousticness_map(ctx, figures, &mut s, embedding)?;
    cluster_map(ctx, figures, &mut s, embedding)?;
    genre_map(ctx, figures, &mut s, embedding)?;
    Ok(s)
}

/// Which song representation the map and the clusters were computed in (`cluster_model.space`).
pub fn mapped_space(ctx: &Ctx) -> String {
    let space = ctx.inputs.get(Table::ClusterModel).ok().and_then(|frame| {
        frame.column(cols::cluster_model::SPACE).ok()?.str().ok()?.get(0).map(str::to_string)
    });
    match space.as_deref() {
        Some("study") => "The map and the clusters are computed from the study's 90 timbre features (z-scored).".into(),
        Some("musicnn") => "The map and the clusters are computed from each song's musicnn embedding (a music-tagging network's view of the audio, compared by cosine distance): the space the recommendations come from.".into(),
        Some(other) => format!("The map and the clusters are computed in the `{other}` representation, the space the recommendations come from."),
        None => String::new(),
    }
}

fn acousticness_map(ctx: &Ctx, figures: &mut Figures, s: &mut Section, embedding: &Embedding) -> Result<()> {
    let (values, label) = match acousticness(ctx, embedding) {
        Ok((values, label)) => (values, *label),
        Err(why) => {
            s.notice(why.clone());
            return Ok(());
        }
    };
    let caption = if label == MEASURED {
        "Colour: Spotify's acousticness (0 = electric, 1 = acoustic) from the audio_features table.".to_string()
    } else {
        s.push(crate::html::Block::Paragraph(format!(
            "No measured acousticness is available (audio_features has none for these songs), so the first map uses an audio-derived proxy: {PROXY_FORMULA}. Duller, less noise-like timbres score higher. It ranks songs; it is not a measurement."
        )));
        format!("Colour: acousticness proxy ({PROXY_FORMULA}).")
    };
    let title = format!("Map coloured by {label}");
    let caption = caption + &raster_note(embedding.xy.len(), &format!("its songs' mean {label}"));
    figures.add(
        s,
        "map_acousticness.png",
        Size::HALF,
        (&title, &caption),
        |area| scatter_values(area, &title, &embedding.xy, values, label),
    )
}

/// The label of Spotify's measured acousticness; [`PROXY`] labels the audio-derived proxy.
pub const MEASURED: &str = "acousticness";
pub const PROXY: &str = "acousticness proxy";

/// Each map song's acousticness in [0, 1], aligned with the embedding, and its label
/// ([`MEASURED`] or [`PROXY`]): measured when `audio_features` has it for any song, else the
/// proxy; the error says why neither is available. Computed once per report: the map and the
/// explorer both colour by it.
pub fn acousticness<'c>(ctx: &'c Ctx, embedding: &Embedding) -> &'c Acousticness {
    ctx.acousticness.get_or_init(|| {
        if let Some(values) = measured_acousticness(ctx, embedding) {
            return Ok((values, MEASURED));
        }
        proxy_acousticness(ctx, embedding)
            .map(|values| (values, PROXY))
            .map_err(|why| format!("Neither measured acousticness nor the timbre features for its proxy are available: {why}."))
    })
}

/// Acousticness by map song and its label, or why there is none.
pub type Acousticness = std::result::Result<(Vec<Option<f64>>, &'static str), String>;

/// Acousticness from `audio_features`, aligned with the map, when any song has it.
fn measured_acousticness(ctx: &Ctx, embedding: &Embedding) -> Option<Vec<Option<f64>>> {
    let frame = ctx.inputs.columns(Table::AudioFeatures, &[cols::audio_features::TRACK_ID, cols::audio_features::ACOUSTICNESS]).ok()?;
    let ids = strs(&frame, Table::AudioFeatures, cols::audio_features::TRACK_ID).ok()?;
    let values = f64s(&frame, Table::AudioFeatures, cols::audio_features::ACOUSTICNESS).ok()?;
    let by_id: HashMap<String, f64> = ids
        .into_iter()
        .zip(values)
        .filter_map(|(id, v)| Some((id?, v?)))
        .collect();
    let aligned: Vec<Option<f64>> = embedding.track_ids.iter().map(|id| by_id.get(id).copied()).collect();
    aligned.iter().any(Option::is_some).then_some(aligned)
}

fn proxy_acousticness(ctx: &Ctx, embedding: &Embedding) -> std::result::Result<Vec<Option<f64>>, String> {
    let (t1, t2) = (timbre_mean_column(1), timbre_mean_column(2));
    let frame = ctx.inputs.feature_columns(&[&t1, &t2])?;
    let ids = strs(&frame, Table::Features, cols::features::TRACK_ID).map_err(|e| e.to_string())?;
    let t1 = f64s(&frame, Table::Features, &t1).map_err(|e| e.to_string())?;
    let t2 = f64s(&frame, Table::Features, &t2).map_err(|e| e.to_string())?;
    let proxy = acousticness_proxy(&t1, &t2);
    let by_id: HashMap<String, f64> = ids
        .into_iter()
        .zip(proxy)
        .filter_map(|(id, v)| Some((id?, v?)))
        .collect();
    Ok(embedding.track_ids.iter().map(|id| by_id.get(id).copied()).collect())
}

/// The documented proxy ([`PROXY_FORMULA`]): percentile rank in [0, 1] of −(z(t1) + z(t2)).
/// Songs missing either coefficient get `None`.
pub fn acousticness_proxy(t1: &[Option<f64>], t2: &[Option<f64>]) -> Vec<Option<f64>> {
    let z = |v: &[Option<f64>]| -> Vec<Option<f64>> {
        let known: Vec<f64> = v.iter().flatten().copied().collect();
        let n = known.len().max(1) as f64;
        let mean = known.iter().sum::<f64>() / n;
        let sd = (known.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        v.iter().map(|x| x.map(|x| if sd > 0.0 { (x - mean) / sd } else { 0.0 })).collect()
    };
    let (z1, z2) = (z(t1), z(t2));
    let scores: Vec<Option<f64>> = z1.iter().zip(&z2).map(|(a, b)| Some(-(a.as_ref()? + b.as_ref()?))).collect();
    let mut order: Vec<(usize, f64)> = scores.iter().enumerate().filter_map(|(i, s)| Some((i, (*s)?))).collect();
    order.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut out = vec![None; scores.len()];
    let denominator = (order.len().max(2) - 1) as f64;
    // Ties share the mean of their ranks, so equal timbres get equal values.
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && order[end + 1].1 == order[start].1 {
            end += 1;
        }
        let rank = (start + end) as f64 / 2.0;
        for &(i, _) in &order[start..=end] {
            out[i] = Some(if order.len() > 1 { rank / denominator } else { 0.5 });
        }
        start = end + 1;
    }
    out
}

fn cluster_map(ctx: &Ctx, figures: &mut Figures, s: &mut Section, embedding: &Embedding) -> Result<()> {
    let labels = match cluster_labels(&ctx.inputs, cols::clusters::HDBSCAN) {
        Ok(l) => l,
        Err(why) => {
            s.notice(format!("The cluster map needs the HDBSCAN labels: {why}."));
            return Ok(());
        }
    };
    let song_labels: Vec<Option<i64>> = embedding.track_ids.iter().map(|id| labels.get(id).copied()).collect();
    let clusters: BTreeSet<i64> = song_labels.iter().flatten().copied().filter(|&l| l >= 0).collect();
    let position: HashMap<i64, usize> = clusters.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let names: Vec<String> = clusters.iter().map(|c| format!("cluster {c}")).collect();
    let categories: Vec<Option<usize>> = song_labels
        .iter()
        .map(|l| l.and_then(|l| position.get(&l).copied()))
        .collect();
    let noise = song_labels.iter().filter(|l| l.is_none_or(|l| l < 0)).count();
    let noise_share = noise as f64 / song_labels.len().max(1) as f64;
    if clusters.len() <= 1 {
        s.notice(format!(
            "HDBSCAN found {} cluster(s) ({} of the songs are noise), so colouring by cluster shows no structure here. With few songs or one homogeneous style this is expected; more songs or a smaller minimum cluster size give more clusters.",
            clusters.len(),
            pct(noise_share)
        ));
    }
    let caption = format!(
        "Colour: HDBSCAN cluster on the higher-dimensional UMAP; grey dots ({}) are noise, songs HDBSCAN left unassigned. {} clusters.{}",
        pct(noise_share),
        clusters.len(),
        raster_note(embedding.xy.len(), "its most common cluster (grey: mostly noise)")
    );
    figures.add(
        s,
        "map_clusters.png",
        Size::HALF,
        ("Map coloured by HDBSCAN cluster", &caption),
        |area| scatter_categories(area, "Map coloured by HDBSCAN cluster", &embedding.xy, &categories, &names, "noise"),
    )
}

fn genre_map(ctx: &Ctx, figures: &mut Figures, s: &mut Section, embedding: &Embedding) -> Result<()> {
    let catalogue: &Catalogue = match &ctx.catalogue {
        Ok(c) => c,
        Err(why) => {
            s.notice(format!("The genre map needs the songs' genres: {why}."));
            return Ok(());
        }
    };
    let (top, categories) = top_genre_categories(catalogue, &embedding.track_ids, ctx.opts.top_genres);
    if top.is_empty() {
        s.notice("No song has a genre label, so the map cannot be coloured by genre.");
        return Ok(());
    }
    let caption = format!(
        "Colour: the {} most common genres; a song with several takes the most common. Grey: songs in none of them.{}",
        top.len(),
        raster_note(embedding.xy.len(), "its most common genre (grey: mostly other genres)")
    );
    figures.add(
        s,
        "map_genres.png",
        Size::HALF,
        ("Map coloured by genre", &caption),
        |area| scatter_categories(area, "Map coloured by top genres", &embedding.xy, &categories, &top, "other or none"),
    )
}

/// The `top` most common genres and, for each of `track_ids`, the index of its most common
/// one among them (a song with several takes the most common; `None`: in none of them).
pub fn top_genre_categories(catalogue: &Catalogue, track_ids: &[String], top: usize) -> (Vec<String>, Vec<Option<usize>>) {
    let names: Vec<String> = catalogue.genres.iter().take(top).map(|g| g.0.clone()).collect();
    let rank: HashMap<&str, usize> = names.iter().enumerate().map(|(i, g)| (g.as_str(), i)).collect();
    let categories = track_ids
        .iter()
        .map(|id| catalogue.track(id)?.genres.iter().filter_map(|g| rank.get(&**g).copied()).min())
        .collect();
    (names, categories)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_ranks_dull_quiet_timbres_highest() {
        // Song 0 is bright and noisy, song 2 dull and smooth, song 3 unknown.
        let t1 = [Some(3.0), Some(1.0), Some(-2.0), None];
        let t2 = [Some(2.0), Some(0.0), Some(-1.0), Some(0.0)];
        let p = acousticness_proxy(&t1, &t2);
        assert_eq!(p, vec![Some(0.0), Some(0.5), Some(1.0), None]);
    }

    #[test]
    fn proxy_ties_share_a_rank() {
        let t = [Some(1.0), Some(1.0), Some(0.0)];
        let p = acousticness_proxy(&t, &t);
        assert_eq!(p, vec![Some(0.25), Some(0.25), Some(1.0)]);
    }
}
