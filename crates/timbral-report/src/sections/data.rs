//! Section 1: what is in the catalogue.

use std::collections::BTreeMap;

use plotters::prelude::RGBColor;
use timbral_core::{Result, Table};

use super::{Ctx, Figures};
use crate::format::{int, median, num};
use crate::html::{Block, Section};
use crate::plot::charts::{draw_xy, histogram, Mark, Marker, Series, Style, XyChart};
use crate::plot::Size;

const BINS: usize = 30;
const BAR: RGBColor = RGBColor(31, 119, 180);

/// A histogram of one per-song quantity with its median marked.
struct Histogram {
    file: &'static str,
    title: &'static str,
    axis: &'static str,
    /// Unit after the median's value in its label.
    unit: &'static str,
    caption: (&'static str, &'static str),
}

impl Histogram {
    fn draw(&self, s: &mut Section, figures: &mut Figures, values: &[f64], median: Option<f64>) -> Result<()> {
        let (bars, width) = histogram(values, BINS);
        let mut chart = XyChart::new(self.title, self.axis, "songs");
        chart.series.push(Series { label: String::new(), points: bars, color: BAR, style: Style::Bars { width } });
        if let Some(m) = median {
            chart.markers.push(Marker::accent(Mark::Vertical(m), format!("median {} {}", num(m), self.unit)));
        }
        figures.add(s, self.file, Size::HALF, self.caption, |area| draw_xy(area, &chart))
    }
}

pub fn build(ctx: &Ctx, figures: &mut Figures) -> Result<Section> {
    let mut s = Section::new("data", "Data");
    let catalogue = match &ctx.catalogue {
        Ok(c) => c,
        Err(why) => {
            s.read("This section describes the songs in the catalogue, but the songs could not be read.");
            s.notice(why.clone());
            return Ok(s);
        }
    };
    let tracks = &catalogue.tracks;
    let segment_counts = ctx.inputs.segment_counts();
    let mut facts = vec![
        ("Songs".to_string(), int(tracks.len())),
        ("Artists".to_string(), int(catalogue.artists_by_songs.len())),
        ("Genres".to_string(), int(catalogue.genres.len())),
    ];
    if let Ok(counts) = &segment_counts {
        facts.push(("Segments".to_string(), int(counts.iter().map(|&(_, n)| n as usize).sum())));
    }
    let mut sources: BTreeMap<&str, usize> = BTreeMap::new();
    for t in tracks {
        *sources.entry(&*t.source).or_default() += 1;
    }
    facts.push(("Sources".to_string(), int(sources.len())));
    if let Ok(errors) = ctx.inputs.height(Table::IngestErrors) {
        facts.push(("Ingest errors".to_string(), int(errors)));
    }
    s.push(Block::Facts(facts));
    if !sources.is_empty() {
        let list: Vec<String> = sources.iter().map(|(k, v)| format!("{k} ({} songs)", int(*v))).collect();
        s.push(Block::Paragraph(format!("Sources: {}.", list.join(", "))));
    }
    if tracks.is_empty() {
        s.read("The catalogue is empty: ingest a source first (`timbral ingest`).");
        s.notice("The tracks table has no rows, so there are no distributions to draw.");
        return Ok(s);
    }
    let songs_with_genre = tracks.iter().filter(|t| !t.genres.is_empty()).count();

    let minutes: Vec<f64> = tracks.iter().filter_map(|t| t.duration_s).map(|d| d / 60.0).collect();
    let median_minutes = median(&minutes);
    if minutes.is_empty() {
        s.notice("No song has a duration, so the song-length histogram is left out.");
    } else {
        let hist = Histogram {
            file: "data_song_length.png",
            title: "Song length",
            axis: "length (minutes)",
            unit: "min",
            caption: ("Histogram of song lengths", "How long the songs are, in minutes."),
        };
        hist.draw(&mut s, figures, &minutes, median_minutes)?;
    }

    let mut median_rate = None;
    match &segment_counts {
        Ok(counts) => {
            let rates: Vec<f64> = counts
                .iter()
                .filter_map(|(id, n)| {
                    let d = catalogue.track(id)?.duration_s.filter(|d| *d > 0.0)?;
                    Some(f64::from(*n) / d)
                })
                .collect();
            median_rate = median(&rates);
            if rates.is_empty() {
                s.notice("No song has both segments and a duration, so the segment-rate histogram is left out.");
            } else {
                let hist = Histogram {
                    file: "data_segment_rate.png",
                    title: "Segment rate",
                    axis: "segments per second",
                    unit: "/s",
                    caption: ("Histogram of segments per second", "How finely the analysis cuts each song: segments per second of audio."),
                };
                hist.draw(&mut s, figures, &rates, median_rate)?;
            }
        }
        Err(why) => s.notice(format!("The segment-rate histogram needs the segments: {why}.")),
    }

    let mut reading = format!(
        "The catalogue holds {} songs by {} artists from {} source(s); {} of the songs ({}) carry at least one of {} genre labels.",
        int(tracks.len()),
        int(catalogue.artists_by_songs.len()),
        sources.len(),
        int(songs_with_genre),
        crate::format::pct(songs_with_genre as f64 / tracks.len() as f64),
        int(catalogue.genres.len()),
    );
    if let Some(m) = median_minutes {
        reading.push_str(&format!(" A typical song lasts {} minutes.", num(m)));
    }
    if let Some(r) = median_rate {
        reading.push_str(&format!(
            " The audio analysis cuts a song into short segments (roughly one per note or sound event), about {} per second; each song's timbre features summarise all of its segments.",
            num(r)
        ));
    }
    s.read(reading);
    if songs_with_genre == 0 {
        s.notice("No song has a genre label, so the genre sections below are empty.");
    }
    Ok(s)
}
