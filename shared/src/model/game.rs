//! Game records as they arrive and are stored: schedules, box scores (team totals and
//! player lines) and shot charts. Their validation is the ingest's business
//! (`domain::processor_message`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Where a scheduled game stands, as the schedule source says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleStatus {
    /// To be played (or being played): a box score is expected.
    #[default]
    Scheduled,
    /// Played: a box score is expected.
    Final,
    /// Moved to another date (which lists it again): no box score on this date.
    Postponed,
    /// Not played at all: no box score ever.
    Cancelled,
}

impl ScheduleStatus {
    /// Whether the game is played on its date, so a box score is expected and the
    /// teams' processors count it. Postponed and cancelled games are not.
    pub fn is_played(self) -> bool {
        matches!(self, ScheduleStatus::Scheduled | ScheduleStatus::Final)
    }

    /// The status as stored and reported.
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleStatus::Scheduled => "scheduled",
            ScheduleStatus::Final => "final",
            ScheduleStatus::Postponed => "postponed",
            ScheduleStatus::Cancelled => "cancelled",
        }
    }
}

/// One game on a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledGame {
    /// NBA game id, ten digits ("0022400061").
    pub game_id: String,
    /// Home team abbreviation.
    pub home: String,
    /// Away team abbreviation.
    pub away: String,
    /// Scheduled unless the source says otherwise.
    #[serde(default)]
    pub status: ScheduleStatus,
}

/// The games of one date. A newer schedule of the date replaces the stored one: games
/// it no longer lists are dropped, and an empty list records an off day (a date with
/// no stored schedule is a failed ingest, not an off day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// The date (US Eastern) the games are played.
    pub game_date: NaiveDate,
    /// Games of the date.
    pub games: Vec<ScheduledGame>,
}

/// A team's totals in one game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamTotals {
    /// Team abbreviation.
    pub team: String,
    /// Points.
    pub pts: u32,
    /// Field goals made.
    pub fgm: u32,
    /// Field goals attempted.
    pub fga: u32,
    /// Three-pointers made.
    pub fg3m: u32,
    /// Three-pointers attempted.
    pub fg3a: u32,
    /// Free throws made.
    pub ftm: u32,
    /// Free throws attempted.
    pub fta: u32,
    /// Offensive rebounds.
    pub oreb: u32,
    /// Defensive rebounds.
    pub dreb: u32,
    /// Total rebounds.
    pub reb: u32,
    /// Assists.
    pub ast: u32,
    /// Turnovers.
    pub tov: u32,
}

/// Shots of one player in one zone of one game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneShots {
    /// Attempts.
    pub fga: u32,
    /// Makes.
    pub fgm: u32,
}

/// One player's line in one game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayerLine {
    /// NBA person id.
    pub player_id: u64,
    /// Display name.
    pub name: String,
    /// The player's team (home or away of the game).
    pub team: String,
    /// Minutes played.
    pub minutes: f64,
    /// Points.
    pub pts: u32,
    /// Field goals made.
    pub fgm: u32,
    /// Field goals attempted.
    pub fga: u32,
    /// Three-pointers made.
    pub fg3m: u32,
    /// Three-pointers attempted.
    pub fg3a: u32,
    /// Free throws made.
    pub ftm: u32,
    /// Free throws attempted.
    pub fta: u32,
    /// Total rebounds.
    pub reb: u32,
    /// Assists.
    pub ast: u32,
    /// Turnovers.
    pub tov: u32,
}

/// The court zones of the NBA's shot charts (`BASIC_ZONE`).
pub const ZONES: [&str; 7] = [
    "Restricted Area",
    "In The Paint (Non-RA)",
    "Mid-Range",
    "Left Corner 3",
    "Right Corner 3",
    "Above the Break 3",
    "Backcourt",
];

/// One player's field goals by zone in one game.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayerShots {
    /// NBA person id.
    pub player_id: u64,
    /// Display name.
    pub name: String,
    /// The player's team (home or away of the game).
    pub team: String,
    /// Attempts and makes by zone (names from [`ZONES`]).
    pub zones: BTreeMap<String, ZoneShots>,
}

/// A game's shot chart: every player's field goals by court zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShotChart {
    /// NBA game id.
    pub game_id: String,
    /// Game date.
    pub game_date: NaiveDate,
    /// Home team.
    pub home: String,
    /// Away team.
    pub away: String,
    /// Players who attempted a field goal.
    pub players: Vec<PlayerShots>,
}

/// A game's box score: both teams' totals and the player lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxScore {
    /// NBA game id.
    pub game_id: String,
    /// Game date.
    pub game_date: NaiveDate,
    /// When the source last changed this box score; a newer one replaces an older one.
    pub updated_at: DateTime<Utc>,
    /// Home team totals.
    pub home: TeamTotals,
    /// Away team totals.
    pub away: TeamTotals,
    /// Player lines of both teams.
    pub players: Vec<PlayerLine>,
}
