//! Stored game data: the schedule, each team's games (with totals once the box score is
//! in), each player's lines, team rosters. What the processors read.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::StoreError;
use std::collections::BTreeMap;

use crate::ingest::{BoxScore, PlayerLine, Schedule, ShotChart, TeamTotals, ZoneShots};

/// One team's view of one scheduled game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamGame {
    /// Team abbreviation.
    pub team: String,
    /// Opponent abbreviation.
    pub opponent: String,
    /// Whether the team is at home.
    pub home: bool,
    /// NBA game id.
    pub game_id: String,
    /// Game date.
    pub game_date: NaiveDate,
    /// Whether the box score is in.
    pub complete: bool,
    /// The team's totals (when complete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<TeamTotals>,
    /// The opponent's totals (when complete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opponent_totals: Option<TeamTotals>,
}

/// One player's line in one game, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerGame {
    /// Player lookup key.
    pub player_lookup: String,
    /// Team played for.
    pub team: String,
    /// Opponent.
    pub opponent: String,
    /// NBA game id.
    pub game_id: String,
    /// Game date.
    pub game_date: NaiveDate,
    /// The line.
    pub line: PlayerLine,
}

/// One player's shots by zone in one game, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerShotGame {
    /// Player lookup key.
    pub player_lookup: String,
    /// Team played for.
    pub team: String,
    /// NBA game id.
    pub game_id: String,
    /// Game date.
    pub game_date: NaiveDate,
    /// Attempts and makes by zone.
    pub zones: BTreeMap<String, ZoneShots>,
}

/// Where a roster entry comes from: box-score lines, or only a shot chart (2023-24
/// here has shots but no player lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RosterSource {
    /// The player has box-score lines.
    Lines,
    /// The player has shot charts only.
    Shots,
}

/// A player seen playing for a team.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RosterEntry {
    /// Player lookup key.
    pub player_lookup: String,
    /// What data the player has.
    pub source: RosterSource,
}

/// A scheduled game and whether its box score is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameStatus {
    /// NBA game id.
    pub game_id: String,
    /// Game date.
    pub game_date: NaiveDate,
    /// Home team.
    pub home: String,
    /// Away team.
    pub away: String,
    /// Whether the box score is in.
    pub complete: bool,
}

/// What storing a box score did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxScoreOutcome {
    /// Stored; the game is now complete.
    Stored,
    /// A newer version of this box score is already stored; nothing changed.
    Stale,
    /// The same version is already stored; nothing changed.
    Duplicate,
}

/// Why a box score cannot be stored.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BoxScoreRejected {
    /// The game is not on the stored schedule of its date.
    #[error("game {game_id} is not on the schedule of {game_date}")]
    NotScheduled {
        /// Game id.
        game_id: String,
        /// Game date.
        game_date: NaiveDate,
    },
    /// The box score's teams are not the scheduled ones.
    #[error("game {game_id} is scheduled as {scheduled}, the box score says {got}")]
    TeamsMismatch {
        /// Game id.
        game_id: String,
        /// "AWAY @ HOME" on the schedule.
        scheduled: String,
        /// "AWAY @ HOME" in the box score.
        got: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads and writes game data.
pub trait GameDataStore: Send + Sync {
    /// Stores a date's schedule; games already stored keep their completeness.
    fn put_schedule(
        &self,
        schedule: &Schedule,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores a box score and marks its game complete, unless a newer version is stored.
    fn put_box_score(
        &self,
        box_score: &BoxScore,
    ) -> impl Future<Output = Result<BoxScoreOutcome, BoxScoreRejected>> + Send;

    /// The scheduled games of a date.
    fn games_on(
        &self,
        date: NaiveDate,
    ) -> impl Future<Output = Result<Vec<GameStatus>, StoreError>> + Send;

    /// A team's scheduled games before `before`, newest first, at most `limit`.
    fn team_games_before(
        &self,
        team: &str,
        before: NaiveDate,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<TeamGame>, StoreError>> + Send;

    /// A team's game on a date, if scheduled.
    fn team_game_on(
        &self,
        team: &str,
        date: NaiveDate,
    ) -> impl Future<Output = Result<Option<TeamGame>, StoreError>> + Send;

    /// A player's lines before `before`, newest first, at most `limit`.
    fn player_games_before(
        &self,
        player_lookup: &str,
        before: NaiveDate,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PlayerGame>, StoreError>> + Send;

    /// Players who played for a team on or after `since`.
    fn roster(
        &self,
        team: &str,
        since: NaiveDate,
    ) -> impl Future<Output = Result<Vec<RosterEntry>, StoreError>> + Send;

    /// Stores a game's shot chart (the game must be on the stored schedule).
    fn put_shot_chart(
        &self,
        chart: &ShotChart,
    ) -> impl Future<Output = Result<(), BoxScoreRejected>> + Send;

    /// A player's shot charts before `before`, newest first, at most `limit`.
    fn player_shots_before(
        &self,
        player_lookup: &str,
        before: NaiveDate,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PlayerShotGame>, StoreError>> + Send;

    /// Every completed team-game in `from..before` across the league (both sides of
    /// each game), for league averages.
    fn league_games(
        &self,
        from: NaiveDate,
        before: NaiveDate,
    ) -> impl Future<Output = Result<Vec<TeamGame>, StoreError>> + Send;

    /// Claims the fan-out of a date: true the first time only.
    fn claim_fan_out(
        &self,
        date: NaiveDate,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
