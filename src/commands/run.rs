//! `timbral run`: every stage in order (ingest, features, cluster, similarity, eval, report).
//! A stage is skipped when the manifest shows it finished with the same parameters on inputs
//! with the same content and its outputs are unchanged; `--force` redoes everything.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use timbral_cluster::hyperparams::MIN_SONGS;
use timbral_core::manifest::{self, Manifest, StageRecord};
use timbral_core::{Table, Workdir, errors_log, io};

use super::{Context, default_args, ingest};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Audio folders to analyse first (repeatable).
    #[arg(long)]
    pub audio: Vec<PathBuf>,
    /// Metadata CSV for --audio (key column `path`, relative to the folder).
    #[arg(long, requires = "audio")]
    pub metadata: Option<PathBuf>,
    /// A folder of saved Spotify audio-analysis JSON documents to ingest first.
    #[arg(long, conflicts_with = "audio")]
    pub json: Option<PathBuf>,
    /// Redo every stage, even those whose inputs and parameters are unchanged.
    #[arg(long)]
    pub force: bool,
}

/// The bundled sample: interim tables of the development corpus (see data/sample/ATTRIBUTION.md),
/// embedded so that `timbral run` works from any directory.
const SAMPLE: [(Table, &[u8]); 3] = [
    (Table::Tracks, include_bytes!("../../data/sample/tracks.parquet")),
    (Table::Artists, include_bytes!("../../data/sample/artists.parquet")),
    (Table::Segments, include_bytes!("../../data/sample/segments.parquet")),
];

/// What a stage does once its inputs are ready.
type StageAction = Box<dyn Fn(&Context) -> anyhow::Result<()>>;

struct Stage {
    name: &'static str,
    inputs: Vec<Table>,
    outputs: Vec<PathBuf>,
    params: String,
    action: StageAction,
}

pub fn execute(ctx: &Context, args: &Args) -> anyhow::Result<()> {
    let workdir = &ctx.workdir;
    let mut manifest = Manifest::load(workdir);
    ingest_inputs(ctx, args, &mut manifest)?;
    for stage in analysis_stages(ctx) {
        match small_library_plan(ctx, &stage)? {
            SmallLibrary::AsPlanned => run_stage(ctx, &stage, args.force, &mut manifest)?,
            SmallLibrary::Replace(small) => run_stage(ctx, &small, args.force, &mut manifest)?,
            SmallLibrary::Skip(why) => {
                let skipped = StageRecord::skipped_text(&why);
                println!("{}: {skipped}", stage.name);
                record(&mut manifest, workdir, stage.name, &skipped, &[], &[], Instant::now())?;
            }
        }
    }
    println!(
        "report: {}",
        workdir.reports_dir().join("index.html").display()
    );
    Ok(())
}

/// Ingests the given inputs, or falls back to the interim tables already present, or to the
/// bundled sample; says which data the run uses.
fn ingest_inputs(ctx: &Context, args: &Args, manifest: &mut Manifest) -> anyhow::Result<()> {
    let workdir = &ctx.workdir;
    let started = Instant::now();
    let mut argv: Vec<String> = vec!["ingest".into()];
    let description = if !args.audio.is_empty() {
        argv.extend(args.audio.iter().map(|p| p.display().to_string()));
        if let Some(metadata) = &args.metadata {
            argv.extend(["--metadata".into(), metadata.display().to_string()]);
        }
        if args.force {
            argv.push("--force".into());
        }
        let source: ingest::audio::Args = super::parse_args(&argv)?;
        ingest::execute(ctx, &ingest::Source::Audio(source))?;
        format!("audio in {}", join_paths(&args.audio))
    } else if let Some(json) = &args.json {
        argv.push(json.display().to_string());
        let source = super::parse_args(&argv)?;
        ingest::execute(ctx, &ingest::Source::Json(source))?;
        format!("saved audio-analysis JSON in {}", json.display())
    } else if workdir.has_table(Table::Tracks) {
        format!("the interim tables in {}", workdir.interim_dir().display())
    } else {
        install_sample(workdir)?;
        "the bundled sample (93 openly licensed recordings by 22 artists; data/sample/ATTRIBUTION.md)"
            .to_string()
    };
    let tracks = workdir.read_table(Table::Tracks)?;
    println!("running on {description}: {} songs", tracks.height());
    record(manifest, workdir, "ingest", &description, &[], &interim_outputs(workdir), started)?;
    Ok(())
}

fn install_sample(workdir: &Workdir) -> anyhow::Result<()> {
    for (table, bytes) in SAMPLE {
        io::write_bytes_atomic(&workdir.table_path(table), bytes)?;
    }
    Ok(())
}

fn analysis_stages(ctx: &Context) -> Vec<Stage> {
    let seed = ctx.seed;
    let features: super::features::Args = default_args();
    let cluster: super::cluster::Args = default_args();
    let similarity: super::similarity::Args = default_args();
    let eval: super::eval::Args = default_args();
    let report: super::report::Args = default_args();
    let wd = &ctx.workdir;
    let tables = |list: &[Table]| list.iter().map(|t| wd.table_path(*t)).collect::<Vec<_>>();
    vec![
        Stage {
            name: "features",
            inputs: vec![Table::Segments, Table::Tracks],
            outputs: tables(&[Table::Features]),
            params: format!("{features:?}"),
            action: Box::new(move |ctx| super::features::execute(ctx, &features)),
        },
        Stage {
            name: "cluster",
            inputs: vec![Table::Features],
            outputs: tables(&timbral_cluster::CLUSTER_TABLES),
            params: format!("{cluster:?} seed={seed}"),
            action: Box::new(move |ctx| super::cluster::execute(ctx, &cluster)),
        },
        Stage {
            name: "similarity",
            inputs: vec![Table::Tracks, Table::Features, Table::Embedding, Table::Clusters],
            outputs: tables(&timbral_similarity::SIMILARITY_TABLES),
            params: format!("{similarity:?} seed={seed}"),
            action: Box::new(move |ctx| super::similarity::execute(ctx, &similarity)),
        },
        Stage {
            name: "eval",
            inputs: vec![
                Table::Tracks,
                Table::Embedding,
                Table::Clusters,
                Table::ModelSelection,
                Table::ClusterQuality,
                Table::Recommendations,
            ],
            outputs: tables(&[Table::Eval]),
            params: format!("{eval:?} seed={seed}"),
            action: Box::new(move |ctx| super::eval::execute(ctx, &eval)),
        },
        Stage {
            name: "report",
            inputs: Table::ALL.to_vec(),
            outputs: vec![wd.reports_dir().join("index.html")],
            params: format!("{report:?}"),
            action: Box::new(move |ctx| super::report::execute(ctx, &report)),
        },
    ]
}

/// What becomes of a stage in a library too small for it.
enum SmallLibrary {
    AsPlanned,
    /// Run this stage in its place.
    Replace(Stage),
    /// Skip it, for this reason (recorded in the manifest, so the report shows it).
    Skip(String),
}

/// Below the cluster stage's minimum a library is not clustered (nor evaluated, which needs
/// clusters), and its similarity stage compares songs in the standardised features by exact
/// search; below two songs there is nothing to compare.
fn small_library_plan(ctx: &Context, stage: &Stage) -> anyhow::Result<SmallLibrary> {
    if !matches!(stage.name, "cluster" | "similarity" | "eval") {
        return Ok(SmallLibrary::AsPlanned);
    }
    let songs = ctx.workdir.read_table(Table::Features)?.height();
    if songs >= MIN_SONGS {
        return Ok(SmallLibrary::AsPlanned);
    }
    let too_few = format!("clustering needs at least {MIN_SONGS} songs; the library has {songs}");
    Ok(match stage.name {
        "similarity" if songs >= 2 => SmallLibrary::Replace(unclustered_similarity(ctx, &too_few)),
        "similarity" => SmallLibrary::Skip(format!("similarity needs at least 2 songs; the library has {songs}")),
        "eval" => SmallLibrary::Skip(format!("its metrics need clusters, and {too_few}")),
        _ => SmallLibrary::Skip(too_few),
    })
}

fn unclustered_similarity(ctx: &Context, too_few: &str) -> Stage {
    let similarity: super::similarity::Args = default_args();
    let wd = &ctx.workdir;
    Stage {
        name: "similarity",
        inputs: vec![Table::Tracks, Table::Features],
        outputs: [Table::IntraArtist, Table::ArtistSimilarity, Table::Recommendations]
            .iter()
            .map(|t| wd.table_path(*t))
            .collect(),
        params: format!(
            "exact search in the standardised seed features, without genre tables ({too_few}); \
             {similarity:?} seed={}",
            ctx.seed
        ),
        action: Box::new(move |ctx| super::similarity::execute_unclustered(ctx, &similarity)),
    }
}

fn run_stage(ctx: &Context, stage: &Stage, force: bool, manifest: &mut Manifest) -> anyhow::Result<()> {
    let workdir = &ctx.workdir;
    let inputs = manifest::fingerprints(&stage_inputs(workdir, stage))?;
    let params = manifest::params_hash(&stage.params);
    let unchanged = manifest.stages.get(stage.name).is_some_and(|done| {
        done.params == params
            && done.inputs == inputs
            && manifest::fingerprints(&stage.outputs).is_ok_and(|now| now == done.outputs)
            && stage.outputs.iter().all(|p| p.is_file())
    });
    if unchanged && !force {
        tracing::info!("{}: up to date, skipped", stage.name);
        return Ok(());
    }
    tracing::info!("{}: running", stage.name);
    let started = Instant::now();
    (stage.action)(ctx).with_context(|| format!("stage `{}` failed", stage.name))?;
    let input_paths = stage_inputs(workdir, stage);
    record(manifest, workdir, stage.name, &stage.params, &input_paths, &stage.outputs, started)
}

fn stage_inputs(workdir: &Workdir, stage: &Stage) -> Vec<PathBuf> {
    stage.inputs.iter().map(|t| workdir.table_path(*t)).collect()
}

fn interim_outputs(workdir: &Workdir) -> Vec<PathBuf> {
    [Table::Tracks, Table::Artists, Table::Segments, Table::AudioFeatures, Table::Sections]
        .iter()
        .map(|t| workdir.table_path(*t))
        .collect()
}

/// Saves the stage's record; the manifest is written after every stage, so a killed run
/// keeps what finished.
fn record(
    manifest: &mut Manifest,
    workdir: &Workdir,
    name: &str,
    params_text: &str,
    inputs: &[PathBuf],
    outputs: &[PathBuf],
    started: Instant,
) -> anyhow::Result<()> {
    manifest.stages.insert(
        name.to_string(),
        StageRecord {
            params: manifest::params_hash(params_text),
            params_text: params_text.to_string(),
            inputs: manifest::fingerprints(inputs)?,
            outputs: manifest::fingerprints(outputs)?,
            seconds: started.elapsed().as_secs_f64(),
            finished_at: errors_log::utc_timestamp(),
        },
    );
    manifest.save(workdir)?;
    Ok(())
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
