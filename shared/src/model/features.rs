//! The player features the prediction writer reads: what `player_composite_factors`
//! stores for a player and game date.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ids;
use super::market::Market;
use super::processor_name::ProcessorName;
use super::prop_line::PropLine;

/// A player's features for one game date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerGameFeatures {
    /// Player lookup key.
    pub player_lookup: String,
    /// Display name.
    pub player_name: String,
    /// The game date these features are for (the analysis date).
    pub game_date: NaiveDate,
    /// Player's team.
    pub team: String,
    /// Opponent.
    pub opponent: String,
    /// Whether the team is at home.
    pub home: bool,
    /// Games in the form window (at most the processors' window of 10).
    pub games_used: u32,
    /// Average minutes over the window.
    pub minutes_avg: f64,
    /// Average points over the window.
    pub points_avg: f64,
    /// Average rebounds over the window.
    pub rebounds_avg: f64,
    /// Average assists over the window.
    pub assists_avg: f64,
    /// Days since the player's previous game.
    pub rest_days: Option<u32>,
    /// Second night of a back-to-back.
    pub back_to_back: bool,
    /// Points the opponent allows per game relative to the league (1.0 = average).
    pub opponent_points_factor: f64,
    /// Rebounds the opponent allows relative to the league.
    pub opponent_rebounds_factor: f64,
    /// Assists the opponent allows relative to the league.
    pub opponent_assists_factor: f64,
    /// The opponent's recent pace: possessions per game, both teams averaged (0 when
    /// unknown: features stored before it was recorded).
    #[serde(default)]
    pub opponent_pace: f64,
    /// When the composite computed these features (canonical timestamp). A recompute
    /// that gives the same features keeps the stored time; predictions are ordered by
    /// it and by their line's snapshot time.
    #[serde(default)]
    pub computed_at: String,
}

impl PlayerGameFeatures {
    /// A plausible feature set for unit tests.
    pub fn example() -> Self {
        Self {
            player_lookup: "lebronjames".into(),
            player_name: "LeBron James".into(),
            game_date: NaiveDate::from_ymd_opt(2025, 11, 5).expect("valid date"),
            team: "LAL".into(),
            opponent: "SAS".into(),
            home: false,
            games_used: 10,
            minutes_avg: 34.0,
            points_avg: 24.0,
            rebounds_avg: 7.5,
            assists_avg: 8.0,
            rest_days: Some(2),
            back_to_back: false,
            opponent_points_factor: 1.0,
            opponent_rebounds_factor: 1.0,
            opponent_assists_factor: 1.0,
            opponent_pace: 99.0,
            computed_at: "2025-11-05T12:00:00.000000Z".into(),
        }
    }

    /// Features table partition key of a player.
    pub fn entity_id(player_lookup: &str) -> String {
        ids::player_entity_id(player_lookup)
    }

    /// Features table sort key of the composite factors on a date.
    pub fn feature_key(game_date: NaiveDate) -> String {
        ids::feature_key(ProcessorName::PlayerCompositeFactors, game_date)
    }
}

/// The (player, game date) a feature lookup is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeatureKey {
    /// Player lookup key.
    pub player_lookup: String,
    /// Game date.
    pub game_date: NaiveDate,
}

/// What the writer reads for one player and game date: the composite features and the
/// prop lines stored for that date, by market.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionInputs {
    /// The composite features.
    pub features: PlayerGameFeatures,
    /// The stored line of each market that has one.
    pub lines: BTreeMap<Market, PropLine>,
}
