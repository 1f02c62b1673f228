//! The stage graph of timbral: what each analysis stage reads, writes and takes, and the
//! skip-and-resume logic of `timbral run`.
//!
//! [`analysis_stages`] lists the stages in order (features, cluster, similarity, eval,
//! report) with their input tables, output files and typed parameters ([`Plan`]). A
//! [`Runner`] keeps the workdir's manifest: a stage whose record still matches (same
//! parameter hash, same input and output contents) is skipped, every finished stage is
//! recorded at once, so a run killed anywhere resumes at the stage it was in. Below the
//! cluster stage's minimum a library is not clustered; [`Runner::run_analysis`] then runs
//! similarity unclustered and records the skipped stages with their reason. The caller
//! supplies what a stage does (the binary prints as the single commands do), so the same
//! graph serves `timbral run` and a caller that schedules stages elsewhere.

use std::path::PathBuf;
use std::time::Instant;

use timbral_cluster::hyperparams::MIN_SONGS;
use timbral_cluster::{CLUSTER_TABLES, ClusterParams, ClusterValidParams, ParamGuard};
use timbral_core::manifest::{self, Manifest, StageRecord};
use timbral_core::{Error, Result, Table, Workdir, errors_log};
use timbral_features::FeatureSet;
use timbral_report::{ReportOptions, ReportParams};
use timbral_similarity::hyperparams::EvalParams;
use timbral_similarity::{SIMILARITY_TABLES, SimilarityParams, Space};

/// Typed parameters of every analysis stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The one space of the map, the clusters and the recommendations (also set in
    /// `similarity` and `eval`).
    pub space: Space,
    pub features: FeatureSet,
    pub cluster: ClusterValidParams,
    pub similarity: SimilarityParams,
    pub eval: EvalParams,
    pub report: ReportOptions,
}

impl Plan {
    /// Every stage's defaults, with one seed, in the default space.
    pub fn defaults(seed: u64) -> Result<Plan> {
        Plan::new(seed, Space::default())
    }

    /// Every stage's defaults, with one seed and one space.
    pub fn new(seed: u64, space: Space) -> Result<Plan> {
        Ok(Plan {
            space,
            features: FeatureSet::default(),
            cluster: ClusterParams::new(seed).check()?,
            similarity: SimilarityParams::builder().seed(seed).space(space).check()?,
            eval: EvalParams::builder().seed(seed).space(space).check()?,
            report: ReportParams::new(seed).check()?,
        })
    }
}

/// What a stage computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    Features,
    Cluster,
    Similarity,
    /// Similarity of a library too small to cluster: exact search in the standardised
    /// features, no genre tables (`timbral_similarity::run_unclustered`).
    UnclusteredSimilarity,
    Eval,
    Report,
}

/// One stage as `timbral run` schedules it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub kind: StageKind,
    /// The stage's key in the manifest.
    pub name: &'static str,
    pub inputs: Vec<Table>,
    pub outputs: Vec<PathBuf>,
    /// The parameters as the manifest records them; their hash decides a skip.
    pub params: String,
}

/// The analysis stages after ingestion, in order.
pub fn analysis_stages(workdir: &Workdir, plan: &Plan) -> Vec<Stage> {
    let tables = |list: &[Table]| list.iter().map(|t| workdir.table_path(*t)).collect::<Vec<_>>();
    let stage = |kind, name, inputs: &[Table], outputs, params: String| Stage {
        kind,
        name,
        inputs: inputs.to_vec(),
        outputs,
        params,
    };
    vec![
        stage(
            StageKind::Features,
            "features",
            &[Table::Segments, Table::Tracks],
            tables(&[Table::Features]),
            format!("{:?}", plan.features),
        ),
        stage(
            StageKind::Cluster,
            "cluster",
            &[Table::Features, Table::Segments, Table::Embeddings],
            tables(&CLUSTER_TABLES),
            format!("{:?} in space {:?}", plan.cluster, plan.space),
        ),
        stage(
            StageKind::Similarity,
            "similarity",
            &[Table::Tracks, Table::Segments, Table::Embeddings, Table::Features, Table::Embedding, Table::Clusters],
            tables(&SIMILARITY_TABLES),
            format!("{:?}", plan.similarity),
        ),
        stage(
            StageKind::Eval,
            "eval",
            &[
                Table::Tracks,
                Table::Segments,
                Table::Embeddings,
                Table::Features,
                Table::Embedding,
                Table::Clusters,
                Table::ModelSelection,
                Table::ClusterQuality,
                Table::Recommendations,
            ],
            tables(&[Table::Eval]),
            format!("{:?}", plan.eval),
        ),
        stage(
            StageKind::Report,
            "report",
            Table::ALL,
            vec![workdir.reports_dir().join("index.html")],
            format!("{:?}", plan.report),
        ),
    ]
}

/// What becomes of a planned stage in this library.
#[derive(Debug, Clone, PartialEq)]
pub enum Scheduled {
    Run(Stage),
    /// Not run, for this reason (recorded in the manifest, where the report reads it).
    Skip(String),
}

/// Below the cluster stage's minimum a library is not clustered (nor evaluated, which needs
/// clusters), and its similarity stage compares songs in the standardised features by exact
/// search; below two songs there is nothing to compare.
pub fn schedule(workdir: &Workdir, stage: Stage) -> Result<Scheduled> {
    if !matches!(stage.kind, StageKind::Cluster | StageKind::Similarity | StageKind::Eval) {
        return Ok(Scheduled::Run(stage));
    }
    let songs = workdir.read_table(Table::Features)?.height();
    if songs >= MIN_SONGS {
        return Ok(Scheduled::Run(stage));
    }
    let too_few = format!("clustering needs at least {MIN_SONGS} songs; the library has {songs}");
    Ok(match stage.kind {
        StageKind::Similarity if songs >= 2 => Scheduled::Run(Stage {
            kind: StageKind::UnclusteredSimilarity,
            inputs: vec![Table::Tracks, Table::Features],
            outputs: [Table::IntraArtist, Table::ArtistSimilarity, Table::Recommendations]
                .iter()
                .map(|t| workdir.table_path(*t))
                .collect(),
            params: format!(
                "exact search in the standardised seed features, without genre tables ({too_few}); {}",
                stage.params
            ),
            ..stage
        }),
        StageKind::Similarity => Scheduled::Skip(format!("similarity needs at least 2 songs; the library has {songs}")),
        StageKind::Eval => Scheduled::Skip(format!("its metrics need clusters, and {too_few}")),
        _ => Scheduled::Skip(too_few),
    })
}

/// The interim tables an ingestion may write.
pub const INTERIM_TABLES: [Table; 6] =
    [Table::Tracks, Table::Artists, Table::Segments, Table::AudioFeatures, Table::Sections, Table::Embeddings];

/// A workdir's stage records, saved after every stage.
#[derive(Debug)]
pub struct Runner<'a> {
    workdir: &'a Workdir,
    manifest: Manifest,
    force: bool,
}

impl<'a> Runner<'a> {
    /// `force` redoes every stage, even those whose record still matches.
    pub fn new(workdir: &'a Workdir, force: bool) -> Runner<'a> {
        Runner { workdir, manifest: Manifest::load(workdir), force }
    }

    /// Records an ingestion (or the choice of existing tables) described by `description`.
    pub fn record_ingest(&mut self, description: &str, started: Instant) -> Result<()> {
        let outputs: Vec<PathBuf> = INTERIM_TABLES.iter().map(|t| self.workdir.table_path(*t)).collect();
        self.record("ingest", description, &[], &outputs, started)
    }

    /// Runs the stages of `plan` in order; `execute` does one stage's work, `skipped` hears of
    /// a stage the library is too small for (with its reason). A stage whose record matches
    /// is passed over without either.
    pub fn run_analysis<E: From<Error>>(
        &mut self,
        plan: &Plan,
        mut execute: impl FnMut(&Stage) -> std::result::Result<(), E>,
        mut skipped: impl FnMut(&str, &str),
    ) -> std::result::Result<(), E> {
        for stage in analysis_stages(self.workdir, plan) {
            let name = stage.name;
            match schedule(self.workdir, stage)? {
                Scheduled::Run(stage) => self.run_stage(&stage, &mut execute)?,
                Scheduled::Skip(why) => {
                    let text = StageRecord::skipped_text(&why);
                    skipped(name, &text);
                    self.record(name, &text, &[], &[], Instant::now())?;
                }
            }
        }
        Ok(())
    }

    /// Whether `stage` finished before with the same parameters, on inputs with the same
    /// content, and its outputs are unchanged.
    pub fn is_up_to_date(&self, stage: &Stage) -> Result<bool> {
        let inputs = manifest::fingerprints(&self.input_paths(stage))?;
        let params = manifest::params_hash(&stage.params);
        Ok(self.manifest.stages.get(stage.name).is_some_and(|done| {
            done.params == params
                && done.inputs == inputs
                && manifest::fingerprints(&stage.outputs).is_ok_and(|now| now == done.outputs)
                && stage.outputs.iter().all(|p| p.is_file())
        }))
    }

    fn run_stage<E: From<Error>>(
        &mut self,
        stage: &Stage,
        execute: &mut impl FnMut(&Stage) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if !self.force && self.is_up_to_date(stage)? {
            tracing::info!("{}: up to date, skipped", stage.name);
            return Ok(());
        }
        tracing::info!("{}: running", stage.name);
        let started = Instant::now();
        execute(stage)?;
        let inputs = self.input_paths(stage);
        Ok(self.record(stage.name, &stage.params, &inputs, &stage.outputs, started)?)
    }

    fn input_paths(&self, stage: &Stage) -> Vec<PathBuf> {
        stage.inputs.iter().map(|t| self.workdir.table_path(*t)).collect()
    }

    /// Saves the stage's record; the manifest is written after every stage, so a killed run
    /// keeps what finished.
    fn record(
        &mut self,
        name: &str,
        params_text: &str,
        inputs: &[PathBuf],
        outputs: &[PathBuf],
        started: Instant,
    ) -> Result<()> {
        self.manifest.stages.insert(
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
        self.manifest.save(self.workdir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_reads_what_an_earlier_stage_or_ingestion_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let workdir = Workdir::new(dir.path());
        let stages = analysis_stages(&workdir, &Plan::defaults(7).unwrap());
        let names: Vec<&str> = stages.iter().map(|s| s.name).collect();
        assert_eq!(names, ["features", "cluster", "similarity", "eval", "report"]);
        let mut written: Vec<PathBuf> = INTERIM_TABLES.iter().map(|t| workdir.table_path(*t)).collect();
        for stage in &stages {
            if stage.kind != StageKind::Report {
                for input in &stage.inputs {
                    assert!(written.contains(&workdir.table_path(*input)), "{} reads {} before it is written", stage.name, input.name());
                }
            }
            written.extend(stage.outputs.iter().cloned());
        }
        assert!(stages.iter().all(|s| s.params.contains("seed: 7") || s.kind == StageKind::Features), "{stages:?}");
    }

    #[test]
    fn a_recorded_stage_is_up_to_date_until_its_parameters_or_inputs_change() {
        let dir = tempfile::tempdir().unwrap();
        let workdir = Workdir::new(dir.path());
        let input = workdir.table_path(Table::Features);
        std::fs::create_dir_all(input.parent().unwrap()).unwrap();
        std::fs::write(&input, b"one").unwrap();
        let output = dir.path().join("out");
        std::fs::write(&output, b"result").unwrap();
        let stage = Stage {
            kind: StageKind::Cluster,
            name: "cluster",
            inputs: vec![Table::Features],
            outputs: vec![output],
            params: "k=3".into(),
        };
        let runs = std::cell::Cell::new(0);
        let mut count = |_: &Stage| -> Result<()> {
            runs.set(runs.get() + 1);
            Ok(())
        };
        let mut runner = Runner::new(&workdir, false);
        runner.run_stage(&stage, &mut count).unwrap();
        runner.run_stage(&stage, &mut count).unwrap();
        assert_eq!(runs.get(), 1, "an unchanged stage is skipped");
        let other = Stage { params: "k=4".into(), ..stage.clone() };
        runner.run_stage(&other, &mut count).unwrap();
        std::fs::write(&input, b"two").unwrap();
        runner.run_stage(&other, &mut count).unwrap();
        assert_eq!(runs.get(), 3, "new parameters, then a new input, run the stage again");
        assert!(Runner::new(&workdir, false).is_up_to_date(&other).unwrap(), "the manifest is saved after each stage");
        Runner::new(&workdir, true).run_stage(&other, &mut count).unwrap();
        assert_eq!(runs.get(), 4, "--force reruns an up-to-date stage");
    }
}
