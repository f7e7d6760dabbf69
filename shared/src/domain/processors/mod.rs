//! The five feature processors (phases 3-4), one file each. Each computes one
//! entity's features for one analysis date from stored game data, using only games
//! before that date, and fails with [`ProcessorError::Incomplete`] when a game it needs
//! has no box score yet: the failure the circuit breakers count.
//!
//! This module holds what they share: the windows, the completeness rule, running a
//! work item's processor, and [`missing_inputs`], the same rule without the computing,
//! which the completeness check uses to decide which breakers to reset.

mod player_composite_factors;
mod player_daily_cache;
mod player_shot_zone_analysis;
mod team_defense_zone_analysis;
mod upcoming_team_game_context;

pub use player_composite_factors::player_composite_factors;
pub use player_daily_cache::{PlayerDailyCache, player_daily_cache};
pub use player_shot_zone_analysis::{PlayerShotZones, ZoneSummary, player_shot_zone_analysis};
pub use team_defense_zone_analysis::{TeamDefense, team_defense_zone_analysis};
pub use upcoming_team_game_context::{TeamGameContext, upcoming_team_game_context};

use chrono::NaiveDate;

use crate::model::ids::split_entity_id;
use crate::model::{PlayerGameFeatures, ProcessorName, TeamGame, WorkItem};
use crate::ports::{FeatureSource, GameDataStore, StoreError};

/// Games of recent form and recent defence.
pub const WINDOW: usize = 10;
/// Days back over which league averages are taken.
pub const LEAGUE_DAYS: i64 = 30;
/// Days back a player must have played for a team to be on its roster for fan-out.
pub const ROSTER_DAYS: i64 = 30;

/// Why a processor did not produce features.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProcessorError {
    /// The entity's inputs are not all there yet; counted by its breaker.
    #[error("inputs incomplete: {0}")]
    Incomplete(String),
    /// The entity's team has no game on the analysis date (a traded player's new team
    /// is idle, a game was postponed): there is nothing to compute, and no data that
    /// could arrive would change that, so the work is skipped without a breaker count.
    #[error("nothing to compute: {0}")]
    NoGame(String),
    /// Storage failed; retried by the queue, not held against the entity.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn incomplete(reason: impl Into<String>) -> ProcessorError {
    ProcessorError::Incomplete(reason.into())
}

fn ensure_complete(games: &[TeamGame]) -> Result<(), ProcessorError> {
    match games.iter().find(|g| !g.complete) {
        Some(g) => Err(incomplete(format!(
            "{}'s game {} on {} has no box score yet",
            g.team, g.game_id, g.game_date
        ))),
        None => Ok(()),
    }
}

/// The team's last [`WINDOW`] scheduled games before `date`, failing when one has no
/// box score: the input every form and defence processor needs whole.
async fn recent_team_games(
    store: &impl GameDataStore,
    team: &str,
    date: NaiveDate,
) -> Result<Vec<TeamGame>, ProcessorError> {
    let games = store.team_games_before(team, date, WINDOW).await?;
    ensure_complete(&games)?;
    Ok(games)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / f64::from(n) }
}
/// A processor's output, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub enum ProcessorOutput {
    /// `player_daily_cache`.
    DailyCache(PlayerDailyCache),
    /// `player_shot_zone_analysis`.
    ShotZones(PlayerShotZones),
    /// `team_defense_zone_analysis`.
    Defense(TeamDefense),
    /// `upcoming_team_game_context`.
    Context(TeamGameContext),
    /// `player_composite_factors`.
    Composite(PlayerGameFeatures),
}

impl ProcessorOutput {
    /// The output as JSON, for the features table.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ProcessorOutput::DailyCache(o) => serde_json::to_value(o),
            ProcessorOutput::ShotZones(o) => serde_json::to_value(o),
            ProcessorOutput::Defense(o) => serde_json::to_value(o),
            ProcessorOutput::Context(o) => serde_json::to_value(o),
            ProcessorOutput::Composite(o) => serde_json::to_value(o),
        }
        .expect("outputs serialise")
    }
}

/// Runs the work item's processor at `now`.
pub async fn run(
    store: &impl GameDataStore,
    features: &impl FeatureSource,
    work: &WorkItem,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ProcessorOutput, ProcessorError> {
    let id = entity_name(work)?;
    let date = work.analysis_date;
    Ok(match work.processor {
        ProcessorName::PlayerDailyCache => {
            ProcessorOutput::DailyCache(player_daily_cache(store, id, date).await?)
        }
        ProcessorName::PlayerShotZoneAnalysis => {
            ProcessorOutput::ShotZones(player_shot_zone_analysis(store, id, date).await?)
        }
        ProcessorName::TeamDefenseZoneAnalysis => {
            ProcessorOutput::Defense(team_defense_zone_analysis(store, id, date).await?)
        }
        ProcessorName::UpcomingTeamGameContext => {
            ProcessorOutput::Context(upcoming_team_game_context(store, id, date).await?)
        }
        ProcessorName::PlayerCompositeFactors => ProcessorOutput::Composite(
            player_composite_factors(store, features, id, date, now).await?,
        ),
    })
}

/// Whether a work item's inputs are all stored now, checked the way its processor
/// checks them but without computing anything: `Ok(None)` when it would not fail for
/// missing data, else the reason it still would. The completeness check uses this to
/// decide which tripped breakers to reset.
pub async fn missing_inputs(
    store: &impl GameDataStore,
    work: &WorkItem,
) -> Result<Option<String>, StoreError> {
    match check_inputs(store, work).await {
        Ok(()) => Ok(None),
        Err(ProcessorError::Incomplete(reason)) => Ok(Some(reason)),
        // Nothing can be missing for work that has nothing to compute: its breaker is
        // reset, and the re-enqueued work is skipped.
        Err(ProcessorError::NoGame(_)) => Ok(None),
        Err(ProcessorError::Store(e)) => Err(e),
    }
}

/// The entity's name without its `player#`/`team#` prefix.
fn entity_name(work: &WorkItem) -> Result<&str, ProcessorError> {
    split_entity_id(&work.entity_id)
        .map(|(_, id)| id)
        .ok_or_else(|| incomplete(format!("bad entity id {}", work.entity_id)))
}

async fn check_inputs(store: &impl GameDataStore, work: &WorkItem) -> Result<(), ProcessorError> {
    let id = entity_name(work)?;
    let date = work.analysis_date;
    match work.processor {
        ProcessorName::TeamDefenseZoneAnalysis => {
            recent_team_games(store, id, date).await.map(drop)
        }
        ProcessorName::UpcomingTeamGameContext => {
            upcoming_team_game_context(store, id, date).await.map(drop)
        }
        ProcessorName::PlayerShotZoneAnalysis => {
            match store.player_shots_before(id, date, 1).await?.first() {
                Some(latest) => recent_team_games(store, &latest.team, date).await.map(drop),
                None => Ok(()),
            }
        }
        ProcessorName::PlayerDailyCache => player_inputs(store, id, date).await.map(drop),
        ProcessorName::PlayerCompositeFactors => composite_inputs(store, id, date).await,
    }
}

/// The player's team (of his latest game) once its recent games are all complete.
async fn player_inputs(
    store: &impl GameDataStore,
    player_lookup: &str,
    date: NaiveDate,
) -> Result<String, ProcessorError> {
    let latest = store
        .player_games_before(player_lookup, date, 1)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| incomplete(format!("{player_lookup} has no game before {date}")))?;
    recent_team_games(store, &latest.team, date).await?;
    Ok(latest.team)
}

/// The composite needs the player's form, his team's game and the opponent's defence.
async fn composite_inputs(
    store: &impl GameDataStore,
    player_lookup: &str,
    date: NaiveDate,
) -> Result<(), ProcessorError> {
    let team = player_inputs(store, player_lookup, date).await?;
    let context = upcoming_team_game_context(store, &team, date).await?;
    recent_team_games(store, &context.opponent, date).await?;
    Ok(())
}
