//! Game data as the processors read it back: each team's view of its games, each
//! player's lines and shot charts, rosters, and a game's completeness.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::game::{BoxScore, PlayerLine, ScheduleStatus, TeamTotals, ZoneShots};
use super::ids::player_lookup;

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

impl PlayerGame {
    /// Each player line of a box score as stored, with the player's key and opponent.
    pub fn of_box_score(b: &BoxScore) -> impl Iterator<Item = PlayerGame> + '_ {
        b.players.iter().map(|p| PlayerGame {
            player_lookup: player_lookup(&p.name),
            team: p.team.clone(),
            opponent: if p.team == b.home.team {
                b.away.team.clone()
            } else {
                b.home.team.clone()
            },
            game_id: b.game_id.clone(),
            game_date: b.game_date,
            line: p.clone(),
        })
    }
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
    /// As the stored schedule says; only played games are expected to complete.
    pub status: ScheduleStatus,
}

/// A date's stored schedule as the completeness check reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DaySchedule {
    /// Whether a schedule was stored for the date at all (an off day stores an empty
    /// one); `false` means the schedule ingest has not happened or failed.
    pub stored: bool,
    /// Its games, postponed and cancelled ones included.
    pub games: Vec<GameStatus>,
}
