//! `player_daily_cache`: a player's recent form over his last games.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ProcessorError, WINDOW, incomplete, mean, recent_team_games};
use crate::model::round;
use crate::ports::GameDataStore;

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
