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
use nba_props::domain::model_v2::{Coefficients, MODEL_V2};
use nba_props::domain::prediction::baseline_prediction;
use nba_props::domain::processors::{ProcessorError, ProcessorOutput, run};
use nba_props::domain::prop_lines::{BookPriority, PlayerNames, choose_lines};
use nba_props::model::ids::{player_entity_id, team_entity_id};
use nba_props::model::{
    Market, PlayerGameFeatures, ProcessorName, PropLine, Recommendation, WorkItem, player_lookup,
};
use serde::Serialize;

use crate::dataset::{Dataset, morning_of};
use crate::model_fit::fit_before;
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

/// What a model says for one row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelSays {
    /// Predicted value.
    pub value: f64,
    /// Stated probability of OVER, if the model states one.
    pub p_over: Option<f64>,
    /// Its own call as production would store it: `Some(true)` OVER, `Some(false)`
    /// UNDER, `None` PASS or no line.
    pub call: Option<bool>,
}

impl ModelSays {
    fn new(value: f64, p_over: Option<f64>, recommendation: Recommendation) -> Self {
        let call = match recommendation {
            Recommendation::Over => Some(true),
            Recommendation::Under => Some(false),
            Recommendation::Pass | Recommendation::NoLine => None,
        };
        Self {
            value,
            p_over,
            call,
        }
    }
}

/// A model as the backtest sees it.
pub trait Model {
    /// Its `model_version`.
    fn name(&self) -> &str;
    /// What it says for a row.
    fn predict(&self, row: &FeatureRow) -> ModelSays;
}

/// `baseline-v1`, as the writer computes it; it states no probability.
pub struct BaselineV1;

impl Model for BaselineV1 {
    fn name(&self) -> &str {
        "baseline-v1"
    }

    fn predict(&self, row: &FeatureRow) -> ModelSays {
        let value = baseline_prediction(&row.features, row.market);
        let line = row.line.as_ref().map(|l| l.line);
        ModelSays::new(
            value,
            None,
            Recommendation::against(row.market, value, line),
        )
    }
}

/// `line-shrinkage-v2` with coefficients refitted at each evaluated date on the rows
/// before it (rolling origin): no row is judged by coefficients that saw its date.
pub struct RollingV2 {
    by_date: BTreeMap<NaiveDate, Coefficients>,
}

impl RollingV2 {
    /// Fits once per date of `dates` on `fit_rows` before that date.
    pub fn fit(
        fit_rows: &[FeatureRow],
        dates: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Self> {
        let mut by_date = BTreeMap::new();
        for date in dates {
            by_date.insert(date, fit_before(fit_rows, date)?);
        }
        Ok(Self { by_date })
    }

    /// The coefficients that judge `date`'s rows.
    pub fn coefficients_for(&self, date: NaiveDate) -> Option<&Coefficients> {
        self.by_date.get(&date)
    }
}

impl Model for RollingV2 {
    fn name(&self) -> &str {
        MODEL_V2
    }

    fn predict(&self, row: &FeatureRow) -> ModelSays {
        let coefficients = &self.by_date[&row.features.game_date];
        let line = row
            .line
            .as_ref()
            .map(|l| (l.line, l.over_odds, l.under_odds));
        let e = coefficients.estimate(&row.features, row.market, line);
        ModelSays::new(e.value, e.p_over, e.recommendation)
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
    /// The model's own recommendations (what production stores as OVER/UNDER).
    pub recommended: CallStats,
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
            let judged: Vec<(Row, Option<bool>)> = rows
                .iter()
                .filter(|r| r.market == market && dates.contains(&r.features.game_date))
                .filter_map(|r| {
                    let line = r.line.as_ref()?;
                    let says = model.predict(r);
                    Some((
                        Row {
                            predicted: says.value,
                            line: line.line,
                            actual: r.actual,
                            p_over: says.p_over,
                            odds: Some((line.over_odds, line.under_odds)),
                        },
                        says.call,
                    ))
                })
                .collect();
            let plain: Vec<Row> = judged.iter().map(|(r, _)| *r).collect();
            MarketEvaluation {
                model: model.name().to_string(),
                market,
                rows: plain.len(),
                model_errors: ErrorStats::of(&plain, |r| r.predicted),
                line_errors: ErrorStats::of(&plain, |r| r.line),
                recommended: CallStats::recommended(judged.iter().map(|(r, c)| (r, *c))),
                calls: EDGE_THRESHOLDS
                    .iter()
                    .map(|t| CallStats::at(&plain, *t))
                    .collect(),
                calibration: calibration(&plain, CALIBRATION_BINS),
            }
        })
        .collect()
}

/// The backtest's result.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestReport {
    /// Where the judged data came from.
    pub source: String,
    /// What the fits may use, in words (the dates of each part).
    pub fit_data: Vec<String>,
    /// Dates judged; each is judged by coefficients fitted on the dates before it.
    pub evaluation_dates: (NaiveDate, NaiveDate),
    /// What the judged season's rows cover.
    pub coverage: Coverage,
    /// Each model on each market.
    pub evaluations: Vec<MarketEvaluation>,
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("-".into(), |r| format!("{:.1}%", 100.0 * r))
}

fn interval(i: Option<(f64, f64)>) -> String {
    i.map_or("-".into(), |(lo, hi)| {
        format!("{:.1}% .. {:.1}%", 100.0 * lo, 100.0 * hi)
    })
}

impl BacktestReport {
    /// One model's evaluation of one market.
    pub fn evaluation(&self, model: &str, market: Market) -> Option<&MarketEvaluation> {
        self.evaluations
            .iter()
            .find(|e| e.model == model && e.market == market)
    }

    /// Writes the report as tables.
    pub fn write_text(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        writeln!(out, "backtest on {}", self.source)?;
        for f in &self.fit_data {
            writeln!(out, "fit data: {f}")?;
        }
        writeln!(
            out,
            "evaluated: {} .. {}, each date with coefficients fitted only on the dates before it",
            self.evaluation_dates.0, self.evaluation_dates.1
        )?;
        let c = &self.coverage;
        writeln!(
            out,
            "{} player-games, {} with features, {} player-game-markets with a line\n",
            c.player_games, c.with_features, c.with_line
        )?;
        writeln!(
            out,
            "{:<18} {:<9} {:>5}  {:>20}  {:>20}",
            "model", "market", "rows", "model MAE RMSE bias", "line MAE RMSE bias"
        )?;
        for e in &self.evaluations {
            writeln!(
                out,
                "{:<18} {:<9} {:>5}  {:>6.3} {:>6.3} {:>6.3}  {:>6.3} {:>6.3} {:>6.3}",
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
            "\n{:<18} {:<9} {:>5}  {:>5}  {:>4}  {:>6}  {:>8}  {:>17}  {:>6}",
            "model", "market", "edge", "calls", "hits", "pushes", "hit rate", "95% interval", "ROI"
        )?;
        for e in &self.evaluations {
            for c in std::iter::once(&e.recommended).chain(&e.calls) {
                writeln!(
                    out,
                    "{:<18} {:<9} {:>5}  {:>5}  {:>4}  {:>6}  {:>8}  {:>17}  {:>6}",
                    e.model,
                    e.market.as_str(),
                    c.threshold.map_or("own".into(), |t| format!("{t:.1}")),
                    c.calls,
                    c.hits,
                    c.pushes,
                    percent(c.hit_rate),
                    interval(c.interval),
                    c.roi.map_or("-".into(), |r| format!("{:+.1}%", 100.0 * r))
                )?;
            }
        }
        for e in self
            .evaluations
            .iter()
            .filter(|e| !e.calibration.is_empty())
        {
            writeln!(
                out,
                "\ncalibration of {} {} (stated P(over) → observed)",
                e.model,
                e.market.as_str()
            )?;
            for b in &e.calibration {
                writeln!(
                    out,
                    "  {:.1}-{:.1}  {:>4} rows  stated {:>5.1}%  observed {:>5.1}%",
                    b.from,
                    b.to,
                    b.rows,
                    100.0 * b.stated,
                    100.0 * b.observed
                )?;
            }
        }
        writeln!(
            out,
            "\nedge \"own\": the model's stored recommendations; break-even at -110 is 52.4%; a hit rate far above 56% is a leakage alarm"
        )?;
        Ok(())
    }
}

/// The span of the rows' dates.
fn date_span(rows: &[FeatureRow]) -> Option<(NaiveDate, NaiveDate)> {
    let first = rows.iter().map(|r| r.features.game_date).min()?;
    let last = rows.iter().map(|r| r.features.game_date).max()?;
    Some((first, last))
}

/// Runs the backtest on `judged` (a season with lines) from `evaluation_from` on; the
/// fits also use `fit_only` (an earlier season, never judged) when given.
pub async fn run_backtest(
    judged: &Dataset,
    fit_only: Option<&Dataset>,
    evaluation_from: NaiveDate,
) -> Result<BacktestReport> {
    let (rows, coverage) = feature_rows(judged).await?;
    let (first, last) = date_span(&rows).ok_or_else(|| {
        anyhow::anyhow!("no player-game has features in {}", judged.source.display())
    })?;
    if evaluation_from <= first || evaluation_from > last {
        anyhow::bail!(
            "the evaluation must start after the data's first date with features ({first}) and by its last ({last}); got {evaluation_from}"
        );
    }
    let mut fit_data = Vec::new();
    let mut fit_rows = Vec::new();
    if let Some(earlier) = fit_only {
        let (earlier_rows, _) = feature_rows(earlier).await?;
        if let Some((a, b)) = date_span(&earlier_rows) {
            fit_data.push(format!(
                "{}: {a} .. {b} ({} rows, never judged)",
                earlier.source.display(),
                earlier_rows.len()
            ));
        }
        fit_rows = earlier_rows;
    }
    fit_data.push(format!(
        "{}: {first} up to the day before each evaluated date (rolling origin)",
        judged.source.display()
    ));
    fit_rows.extend(rows.iter().cloned());
    let evaluated: Vec<NaiveDate> = rows
        .iter()
        .map(|r| r.features.game_date)
        .filter(|d| *d >= evaluation_from)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let v2 = RollingV2::fit(&fit_rows, evaluated)?;
    let models: [&dyn Model; 2] = [&BaselineV1, &v2];
    let evaluations = models
        .iter()
        .flat_map(|m| evaluate(*m, &rows, evaluation_from..=last))
        .collect();
    Ok(BacktestReport {
        source: judged.source.display().to_string(),
        fit_data,
        evaluation_dates: (evaluation_from, last),
        coverage,
        evaluations,
    })
}
