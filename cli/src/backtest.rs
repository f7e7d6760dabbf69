//! `nba-props backtest`: the models judged against the sportsbook line on dates they
//! were not fitted on, through the processors' own feature code.
//!
//! The season's schedules and box scores go into a [`SeasonStore`] through the ingest's
//! port; each date's processors then run as the fan-out runs them (team context and
//! defence for every team that plays, the player's form, then the composite), each
//! reading only games before the date (`tests/backtest.rs` checks that by changing
//! every later game and finding the features unchanged). Each player who played gets a
//! row per market with his result and, where the book offered one, the line the
//! production path would have chosen (`domain::prop_lines::choose_lines`, the default
//! book priority).

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::NaiveDate;
use nba_props::config::DEFAULT_BOOK_PRIORITY;
use nba_props::domain::backtest::{CalibrationBin, CallStats, ErrorStats, Row, calibration};
use nba_props::domain::prediction::baseline_prediction;
use nba_props::domain::processors::{ProcessorError, ProcessorOutput, run};
use nba_props::domain::prop_lines::{BookPriority, PlayerNames, choose_lines};
use nba_props::model::ids::{player_entity_id, team_entity_id};
use nba_props::model::{
    Market, PlayerGameFeatures, ProcessorName, PropLine, WorkItem, player_lookup,
};
use serde::Serialize;

use crate::dataset::{Dataset, morning_of};
use crate::season_store::{SeasonStore, StoredOutputs};

/// Edge thresholds (|prediction - line|) at which calls are counted.
pub const EDGE_THRESHOLDS: [f64; 5] = [0.5, 1.0, 1.5, 2.0, 3.0];
/// Bins of the calibration of a stated probability of OVER.
pub const CALIBRATION_BINS: usize = 10;

/// One player, date and market with its features, result and line (if offered).
#[derive(Debug, Clone)]
pub struct FeatureRow {
    /// The composite features, computed from games before the date.
    pub features: PlayerGameFeatures,
    /// Market.
    pub market: Market,
    /// What the player did.
    pub actual: f64,
    /// The line production would have used, if the books offered one.
    pub line: Option<PropLine>,
}

/// What computing the rows left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Player-games with a result.
    pub player_games: usize,
    /// Of those, with features (a player's first game, or a team without ten
    /// complete games yet, has none).
    pub with_features: usize,
    /// Player-game-markets with a line.
    pub with_line: usize,
}

/// Runs the processors over every date of `dataset` and returns a row per player who
/// played, per market.
pub async fn feature_rows(dataset: &Dataset) -> Result<(Vec<FeatureRow>, Coverage)> {
    let days = dataset.days()?;
    let store = SeasonStore::from_days(&days).await?;
    let outputs = StoredOutputs::default();
    let (snapshots, _) = dataset.snapshots(&days);
    let priority = BookPriority::new(DEFAULT_BOOK_PRIORITY.map(String::from).to_vec());
    let mut coverage = Coverage::default();
    let mut rows = Vec::new();
    for day in &days {
        let now = morning_of(day.date);
        // Team work first, as the fan-out's composite reads it.
        for game in day.schedule.games.iter().filter(|g| g.status.is_played()) {
            for team in [&game.home, &game.away] {
                for processor in [
                    ProcessorName::UpcomingTeamGameContext,
                    ProcessorName::TeamDefenseZoneAnalysis,
                ] {
                    let work = WorkItem {
                        processor,
                        entity_id: team_entity_id(team),
                        analysis_date: day.date,
                    };
                    if let Some(out) = computed(run(&store, &outputs, &work, now).await)? {
                        outputs.put(&work, out.to_json());
                    }
                }
            }
        }
        // The lines of the date, chosen as the ingest chooses them.
        let mut lines: BTreeMap<(String, Market), PropLine> = BTreeMap::new();
        for snapshot in snapshots.get(&day.date).into_iter().flatten() {
            let players: Vec<String> = day
                .box_scores
                .iter()
                .filter(|b| b.game_id == snapshot.game_id)
                .flat_map(|b| b.players.iter().map(|p| player_lookup(&p.name)))
                .collect();
            for line in choose_lines(snapshot, &PlayerNames::new(&players), &priority).lines {
                lines.insert((line.player_lookup.clone(), line.market), line);
            }
        }
        for player in day.box_scores.iter().flat_map(|b| &b.players) {
            coverage.player_games += 1;
            let lookup = player_lookup(&player.name);
            let mut features = None;
            for processor in [
                ProcessorName::PlayerDailyCache,
                ProcessorName::PlayerCompositeFactors,
            ] {
                let work = WorkItem {
                    processor,
                    entity_id: player_entity_id(&lookup),
                    analysis_date: day.date,
                };
                match computed(run(&store, &outputs, &work, now).await)? {
                    Some(ProcessorOutput::Composite(f)) => features = Some(f),
                    Some(out) => outputs.put(&work, out.to_json()),
                    None => break,
                }
            }
            let Some(features) = features else { continue };
            coverage.with_features += 1;
            for market in Market::ALL {
                let actual = f64::from(match market {
                    Market::Points => player.pts,
                    Market::Rebounds => player.reb,
                    Market::Assists => player.ast,
                });
                let line = lines.get(&(lookup.clone(), market)).cloned();
                coverage.with_line += usize::from(line.is_some());
                rows.push(FeatureRow {
                    features: features.clone(),
                    market,
                    actual,
                    line,
                });
            }
        }
    }
    Ok((rows, coverage))
}

/// A processor's output, `None` when it had nothing to compute from (too early in the
/// season, no game), or the storage error.
fn computed(
    result: Result<ProcessorOutput, ProcessorError>,
) -> Result<Option<ProcessorOutput>, nba_props::ports::StoreError> {
    match result {
        Ok(out) => Ok(Some(out)),
        Err(ProcessorError::Incomplete(_) | ProcessorError::NoGame(_)) => Ok(None),
        Err(ProcessorError::Store(e)) => Err(e),
    }
}

/// A model as the backtest sees it: a value and, optionally, a probability of OVER.
pub trait Model {
    /// Its `model_version`.
    fn name(&self) -> &str;
    /// Its prediction for a row.
    fn predict(&self, row: &FeatureRow) -> (f64, Option<f64>);
}

/// `baseline-v1`, as the writer computes it; it states no probability.
pub struct BaselineV1;

impl Model for BaselineV1 {
    fn name(&self) -> &str {
        "baseline-v1"
    }

    fn predict(&self, row: &FeatureRow) -> (f64, Option<f64>) {
        (baseline_prediction(&row.features, row.market), None)
    }
}

/// One model on one market's evaluation rows.
#[derive(Debug, Clone, Serialize)]
pub struct MarketEvaluation {
    /// The model.
    pub model: String,
    /// Market.
    pub market: Market,
    /// Rows: a line and a result on an evaluation date.
    pub rows: usize,
    /// The model's errors.
    pub model_errors: ErrorStats,
    /// The line's errors on the same rows.
    pub line_errors: ErrorStats,
    /// Calls at each edge threshold.
    pub calls: Vec<CallStats>,
    /// Calibration of the stated probability of OVER (empty if it states none).
    pub calibration: Vec<CalibrationBin>,
}

/// Judges `model` on the rows of `dates` that have a line.
pub fn evaluate(
    model: &dyn Model,
    rows: &[FeatureRow],
    dates: std::ops::RangeInclusive<NaiveDate>,
) -> Vec<MarketEvaluation> {
    Market::ALL
        .into_iter()
        .map(|market| {
            let judged: Vec<Row> = rows
                .iter()
                .filter(|r| r.market == market && dates.contains(&r.features.game_date))
                .filter_map(|r| {
                    let line = r.line.as_ref()?.line;
                    let (predicted, p_over) = model.predict(r);
                    Some(Row {
                        predicted,
                        line,
                        actual: r.actual,
                        p_over,
                    })
                })
                .collect();
            MarketEvaluation {
                model: model.name().to_string(),
                market,
                rows: judged.len(),
                model_errors: ErrorStats::of(&judged, |r| r.predicted),
                line_errors: ErrorStats::of(&judged, |r| r.line),
                calls: EDGE_THRESHOLDS
                    .iter()
                    .map(|t| CallStats::at(&judged, *t))
                    .collect(),
                calibration: calibration(&judged, CALIBRATION_BINS),
            }
        })
        .collect()
}

/// The backtest's result.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestReport {
    /// Where the data came from.
    pub source: String,
    /// Dates any fitting may use (none for baseline-v1).
    pub fit_dates: (NaiveDate, NaiveDate),
    /// Dates judged: never seen by any fit.
    pub evaluation_dates: (NaiveDate, NaiveDate),
    /// What the rows cover.
    pub coverage: Coverage,
    /// Each model on each market.
    pub evaluations: Vec<MarketEvaluation>,
}

impl BacktestReport {
    /// Writes the report as tables.
    pub fn write_text(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        writeln!(out, "backtest on {}", self.source)?;
        writeln!(
            out,
            "fit dates {} .. {}; evaluation dates {} .. {} (never used by a fit)",
            self.fit_dates.0, self.fit_dates.1, self.evaluation_dates.0, self.evaluation_dates.1
        )?;
        let c = &self.coverage;
        writeln!(
            out,
            "{} player-games, {} with features, {} player-game-markets with a line\n",
            c.player_games, c.with_features, c.with_line
        )?;
        writeln!(
            out,
            "{:<12} {:<9} {:>5}  {:>20}  {:>20}",
            "model", "market", "rows", "model MAE/RMSE/bias", "line MAE/RMSE/bias"
        )?;
        for e in &self.evaluations {
            writeln!(
                out,
                "{:<12} {:<9} {:>5}  {:>6.2} {:>6.2} {:>6.2}  {:>6.2} {:>6.2} {:>6.2}",
                e.model,
                e.market.as_str(),
                e.rows,
                e.model_errors.mae,
                e.model_errors.rmse,
                e.model_errors.bias,
                e.line_errors.mae,
                e.line_errors.rmse,
                e.line_errors.bias
            )?;
        }
        writeln!(
            out,
            "\n{:<12} {:<9} {:>5}  {:>5}  {:>4}  {:>6}  {:>8}  95% interval",
            "model", "market", "edge", "calls", "hits", "pushes", "hit rate"
        )?;
        for e in &self.evaluations {
            for c in &e.calls {
                writeln!(
                    out,
                    "{:<12} {:<9} {:>5.1}  {:>5}  {:>4}  {:>6}  {:>8}  {}",
                    e.model,
                    e.market.as_str(),
                    c.threshold,
                    c.calls,
                    c.hits,
                    c.pushes,
                    c.hit_rate
                        .map_or("-".into(), |r| format!("{:.1}%", 100.0 * r)),
                    c.interval.map_or("-".into(), |(lo, hi)| format!(
                        "{:.1}% .. {:.1}%",
                        100.0 * lo,
                        100.0 * hi
                    ))
                )?;
            }
        }
        writeln!(
            out,
            "\nbreak-even at -110 is 52.4%; a hit rate far above 56% is a leakage alarm"
        )?;
        Ok(())
    }
}

/// Runs the backtest of the models on `dataset`, judging `evaluation_from` onwards.
pub async fn run_backtest(
    dataset: &Dataset,
    evaluation_from: NaiveDate,
    models: &[&dyn Model],
) -> Result<BacktestReport> {
    let (rows, coverage) = feature_rows(dataset).await?;
    let first = rows
        .iter()
        .map(|r| r.features.game_date)
        .min()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no player-game has features in {}",
                dataset.source.display()
            )
        })?;
    let last = rows
        .iter()
        .map(|r| r.features.game_date)
        .max()
        .expect("rows are not empty");
    if evaluation_from <= first || evaluation_from > last {
        anyhow::bail!(
            "the evaluation must start after the data's first date with features ({first}) and by its last ({last}); got {evaluation_from}"
        );
    }
    let fit_end = evaluation_from.pred_opt().expect("a previous date");
    let evaluations = models
        .iter()
        .flat_map(|m| evaluate(*m, &rows, evaluation_from..=last))
        .collect();
    Ok(BacktestReport {
        source: dataset.source.display().to_string(),
        fit_dates: (first, fit_end),
        evaluation_dates: (evaluation_from, last),
        coverage,
        evaluations,
    })
}
