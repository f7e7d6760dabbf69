//! `upcoming_team_game_context`: a team's game on the analysis date, from the schedule.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::ProcessorError;
use crate::ports::GameDataStore;

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
        .ok_or_else(|| ProcessorError::NoGame(format!("{team} has no game scheduled on {date}")))?;
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
