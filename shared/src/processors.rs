//! The five feature processors (phases 3-4). Each computes one entity's features for
//! one analysis date from stored game data, using only games before that date, and
//! fails with [`ProcessorError::Incomplete`] when a game it needs has no box score yet:
//! the failure the circuit breakers count.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::breaker::ProcessorName;
use crate::features::{FeatureSource, PlayerGameFeatures};
use crate::game_data::{GameDataStore, TeamGame};
use crate::ingest::{TeamTotals, WorkItem};

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

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / f64::from(n) }
}

/// `player_daily_cache`: a player's recent form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerDailyCache {
    /// Player lookup key.
    pub player_lookup: String,
    /// Display name.
    pub player_name: String,
    /// Analysis date.
    pub analysis_date: NaiveDate,
    /// Team of the player's latest game.
    pub team: String,
    /// Games averaged (at most [`WINDOW`]).
    pub games_used: u32,
    /// Minutes per game.
    pub minutes_avg: f64,
    /// Points per game.
    pub points_avg: f64,
    /// Rebounds per game.
    pub rebounds_avg: f64,
    /// Assists per game.
    pub assists_avg: f64,
    /// Possessions used per minute: (FGA + 0.44 FTA + TOV) / minutes.
    pub usage_per_minute: f64,
    /// Date of the latest game.
    pub last_game_date: NaiveDate,
    /// Days from the latest game to the analysis date.
    pub rest_days: u32,
}

/// Computes `player_daily_cache`. Incomplete when any of the team's last [`WINDOW`]
/// scheduled games before the date has no box score.
pub async fn player_daily_cache(
    store: &impl GameDataStore,
    player_lookup: &str,
    date: NaiveDate,
) -> Result<PlayerDailyCache, ProcessorError> {
    let games = store
        .player_games_before(player_lookup, date, WINDOW)
        .await?;
    let latest = games
        .first()
        .ok_or_else(|| incomplete(format!("{player_lookup} has no game before {date}")))?;
    recent_team_games(store, &latest.team, date).await?;
    let minutes: f64 = games.iter().map(|g| g.line.minutes).sum();
    let used: f64 = games
        .iter()
        .map(|g| f64::from(g.line.fga) + 0.44 * f64::from(g.line.fta) + f64::from(g.line.tov))
        .sum();
    Ok(PlayerDailyCache {
        player_lookup: player_lookup.to_string(),
        player_name: latest.line.name.clone(),
        analysis_date: date,
        team: latest.team.clone(),
        games_used: games.len() as u32,
        minutes_avg: round(mean(games.iter().map(|g| g.line.minutes)), 2),
        points_avg: round(mean(games.iter().map(|g| f64::from(g.line.pts))), 2),
        rebounds_avg: round(mean(games.iter().map(|g| f64::from(g.line.reb))), 2),
        assists_avg: round(mean(games.iter().map(|g| f64::from(g.line.ast))), 2),
        usage_per_minute: if minutes > 0.0 {
            round(used / minutes, 4)
        } else {
            0.0
        },
        last_game_date: latest.game_date,
        rest_days: (date - latest.game_date).num_days().max(0) as u32,
    })
}

/// One court zone of a player's recent shots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneSummary {
    /// Attempts.
    pub fga: u32,
    /// Makes.
    pub fgm: u32,
    /// Share of the player's attempts.
    pub share: f64,
    /// Field-goal percentage in the zone.
    pub fg_pct: f64,
}

/// `player_shot_zone_analysis`: where a player shoots from and how well.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerShotZones {
    /// Player lookup key.
    pub player_lookup: String,
    /// Analysis date.
    pub analysis_date: NaiveDate,
    /// False when there are no shot charts (only 2023-24 has them here).
    pub shot_data: bool,
    /// Shot charts summed (at most [`WINDOW`]).
    pub games_used: u32,
    /// By zone name.
    pub zones: BTreeMap<String, ZoneSummary>,
}

/// Computes `player_shot_zone_analysis` over the player's last [`WINDOW`] shot charts;
/// reports "no shot data" (not a failure) when there are none, as for seasons whose
/// feed has no shot locations.
pub async fn player_shot_zone_analysis(
    store: &impl GameDataStore,
    player_lookup: &str,
    date: NaiveDate,
) -> Result<PlayerShotZones, ProcessorError> {
    let games = store
        .player_shots_before(player_lookup, date, WINDOW)
        .await?;
    if let Some(latest) = games.first() {
        recent_team_games(store, &latest.team, date).await?;
    }
    let mut totals: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for game in &games {
        for (zone, shots) in &game.zones {
            let t = totals.entry(zone.clone()).or_default();
            t.0 += shots.fga;
            t.1 += shots.fgm;
        }
    }
    let all: u32 = totals.values().map(|(fga, _)| fga).sum();
    let zones = totals
        .into_iter()
        .map(|(zone, (fga, fgm))| {
            let summary = ZoneSummary {
                fga,
                fgm,
                share: if all > 0 {
                    round(f64::from(fga) / f64::from(all), 3)
                } else {
                    0.0
                },
                fg_pct: if fga > 0 {
                    round(f64::from(fgm) / f64::from(fga), 3)
                } else {
                    0.0
                },
            };
            (zone, summary)
        })
        .collect();
    Ok(PlayerShotZones {
        player_lookup: player_lookup.to_string(),
        analysis_date: date,
        shot_data: all > 0,
        games_used: games.len() as u32,
        zones,
    })
}

/// `team_defense_zone_analysis`: what a team allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamDefense {
    /// Team abbreviation.
    pub team: String,
    /// Analysis date.
    pub analysis_date: NaiveDate,
    /// Games averaged (at most [`WINDOW`]).
    pub games_used: u32,
    /// Opponent points per game.
    pub points_allowed_avg: f64,
    /// Opponent rebounds per game.
    pub rebounds_allowed_avg: f64,
    /// Opponent assists per game.
    pub assists_allowed_avg: f64,
    /// Opponent field-goal percentage.
    pub opponent_fg_pct: f64,
    /// Share of opponent attempts that were threes.
    pub opponent_three_rate: f64,
    /// Possessions per game, both teams averaged (FGA - OREB + TOV + 0.44 FTA).
    pub pace: f64,
    /// Points allowed relative to the league's average per team-game (1.0 = average).
    pub points_factor: f64,
    /// Rebounds allowed relative to the league.
    pub rebounds_factor: f64,
    /// Assists allowed relative to the league.
    pub assists_factor: f64,
}

fn possessions(t: &TeamTotals) -> f64 {
    f64::from(t.fga) - f64::from(t.oreb) + f64::from(t.tov) + 0.44 * f64::from(t.fta)
}

/// Computes `team_defense_zone_analysis` over the team's last [`WINDOW`] games, with
/// factors against the league's last [`LEAGUE_DAYS`] days.
pub async fn team_defense_zone_analysis(
    store: &impl GameDataStore,
    team: &str,
    date: NaiveDate,
) -> Result<TeamDefense, ProcessorError> {
    let games = recent_team_games(store, team, date).await?;
    let pairs: Vec<(&TeamTotals, &TeamTotals)> = games
        .iter()
        .filter_map(|g| Some((g.totals.as_ref()?, g.opponent_totals.as_ref()?)))
        .collect();
    let allowed = |f: fn(&TeamTotals) -> u32| mean(pairs.iter().map(|(_, opp)| f64::from(f(opp))));
    let (points, rebounds, assists) = (allowed(|t| t.pts), allowed(|t| t.reb), allowed(|t| t.ast));
    let opp_fga: u32 = pairs.iter().map(|(_, o)| o.fga).sum();
    let league = store
        .league_games(date - Duration::days(LEAGUE_DAYS), date)
        .await?;
    let league_avg = |f: fn(&TeamTotals) -> u32| {
        mean(
            league
                .iter()
                .filter_map(|g| g.totals.as_ref())
                .map(|t| f64::from(f(t))),
        )
    };
    let factor = |allowed: f64, league: f64| {
        if pairs.is_empty() || league <= 0.0 {
            1.0
        } else {
            round(allowed / league, 3)
        }
    };
    Ok(TeamDefense {
        team: team.to_string(),
        analysis_date: date,
        games_used: pairs.len() as u32,
        points_allowed_avg: round(points, 2),
        rebounds_allowed_avg: round(rebounds, 2),
        assists_allowed_avg: round(assists, 2),
        opponent_fg_pct: if opp_fga > 0 {
            round(
                f64::from(pairs.iter().map(|(_, o)| o.fgm).sum::<u32>()) / f64::from(opp_fga),
                3,
            )
        } else {
            0.0
        },
        opponent_three_rate: if opp_fga > 0 {
            round(
                f64::from(pairs.iter().map(|(_, o)| o.fg3a).sum::<u32>()) / f64::from(opp_fga),
                3,
            )
        } else {
            0.0
        },
        pace: round(
            mean(
                pairs
                    .iter()
                    .map(|(t, o)| (possessions(t) + possessions(o)) / 2.0),
            ),
            1,
        ),
        points_factor: factor(points, league_avg(|t| t.pts)),
        rebounds_factor: factor(rebounds, league_avg(|t| t.reb)),
        assists_factor: factor(assists, league_avg(|t| t.ast)),
    })
}

/// `upcoming_team_game_context`: a team's game on the analysis date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamGameContext {
    /// Team abbreviation.
    pub team: String,
    /// Analysis date (the game date).
    pub analysis_date: NaiveDate,
    /// NBA game id.
    pub game_id: String,
    /// Opponent abbreviation.
    pub opponent: String,
    /// Whether the team is at home.
    pub home: bool,
    /// Days since the team's previous game (none early in a season).
    pub rest_days: Option<u32>,
    /// Second night of a back-to-back.
    pub back_to_back: bool,
    /// Games in the seven days before.
    pub games_last_7_days: u32,
}

/// Computes `upcoming_team_game_context` from the schedule alone.
pub async fn upcoming_team_game_context(
    store: &impl GameDataStore,
    team: &str,
    date: NaiveDate,
) -> Result<TeamGameContext, ProcessorError> {
    let game = store
        .team_game_on(team, date)
        .await?
        .ok_or_else(|| incomplete(format!("{team} has no game scheduled on {date}")))?;
    let previous = store.team_games_before(team, date, 4).await?;
    let rest_days = previous
        .first()
        .map(|g| (date - g.game_date).num_days().max(0) as u32);
    Ok(TeamGameContext {
        team: team.to_string(),
        analysis_date: date,
        game_id: game.game_id,
        opponent: game.opponent,
        home: game.home,
        rest_days,
        back_to_back: rest_days == Some(1),
        games_last_7_days: previous
            .iter()
            .filter(|g| g.game_date >= date - Duration::days(7))
            .count() as u32,
    })
}

/// Reads a processor's stored output, or computes it when it is not stored yet (the
/// processors of a date run in any order).
async fn stored_or<T, Fut>(
    features: &impl FeatureSource,
    entity_id: String,
    processor: ProcessorName,
    date: NaiveDate,
    compute: impl FnOnce() -> Fut,
) -> Result<T, ProcessorError>
where
    T: for<'de> Deserialize<'de>,
    Fut: Future<Output = Result<T, ProcessorError>>,
{
    if let Some(value) = features
        .get_output(&entity_id, processor, date)
        .await?
        .and_then(|stored| serde_json::from_value(stored).ok())
    {
        return Ok(value);
    }
    compute().await
}

/// Computes `player_composite_factors`: the player's form, his team's game context and
/// the opponent's defence (as their processors stored them, or computed now), combined
/// into the features the prediction writer reads.
pub async fn player_composite_factors(
    store: &impl GameDataStore,
    features: &impl FeatureSource,
    player_lookup: &str,
    date: NaiveDate,
) -> Result<PlayerGameFeatures, ProcessorError> {
    let form: PlayerDailyCache = stored_or(
        features,
        format!("player#{player_lookup}"),
        ProcessorName::PlayerDailyCache,
        date,
        || player_daily_cache(store, player_lookup, date),
    )
    .await?;
    let context: TeamGameContext = stored_or(
        features,
        format!("team#{}", form.team),
        ProcessorName::UpcomingTeamGameContext,
        date,
        || upcoming_team_game_context(store, &form.team, date),
    )
    .await?;
    let defense: TeamDefense = stored_or(
        features,
        format!("team#{}", context.opponent),
        ProcessorName::TeamDefenseZoneAnalysis,
        date,
        || team_defense_zone_analysis(store, &context.opponent, date),
    )
    .await?;
    Ok(PlayerGameFeatures {
        player_lookup: player_lookup.to_string(),
        player_name: form.player_name,
        game_date: date,
        team: form.team,
        opponent: context.opponent,
        home: context.home,
        games_used: form.games_used,
        minutes_avg: form.minutes_avg,
        points_avg: form.points_avg,
        rebounds_avg: form.rebounds_avg,
        assists_avg: form.assists_avg,
        rest_days: Some(form.rest_days),
        back_to_back: form.rest_days == 1,
        opponent_points_factor: defense.points_factor,
        opponent_rebounds_factor: defense.rebounds_factor,
        opponent_assists_factor: defense.assists_factor,
    })
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

/// Runs the work item's processor.
pub async fn run(
    store: &impl GameDataStore,
    features: &impl FeatureSource,
    work: &WorkItem,
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
        ProcessorName::PlayerCompositeFactors => {
            ProcessorOutput::Composite(player_composite_factors(store, features, id, date).await?)
        }
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
        Err(ProcessorError::Store(e)) => Err(e),
    }
}

/// The entity's name without its `player#`/`team#` prefix.
fn entity_name(work: &WorkItem) -> Result<&str, ProcessorError> {
    work.entity_id
        .split_once('#')
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
