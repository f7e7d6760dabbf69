//! Sportsbook prop lines: a game's snapshot as it arrives (`prop_lines` message) and
//! the one line chosen per (game date, player, market) with its provenance. The
//! choosing and the name matching are `domain::prop_lines`; the storage is
//! `adapters::dynamodb::features`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::market::Market;

/// One sportsbook row of a snapshot: a player's line in one market at one book. A
/// book that posts alternate lines sends several rows for the same player and market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropLineRow {
    /// The player's name as the sportsbook spells it.
    pub player: String,
    /// Sportsbook market name: `player_points`, `player_rebounds` or `player_assists`.
    pub market: String,
    /// The line (a half-point step in 0..100).
    pub line: f64,
    /// American odds of the over.
    pub over_odds: i32,
    /// American odds of the under.
    pub under_odds: i32,
    /// Bookmaker key (`draftkings`, `fanduel`, ...).
    pub bookmaker: String,
}

/// A game's prop lines as one snapshot: what a `prop_lines` message (or a `Prop Lines`
/// event) carries. One message per game keeps a slate's thousands of rows within the
/// queue's message size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropLineSnapshot {
    /// NBA game id of the scheduled game.
    pub game_id: String,
    /// Game date (US Eastern).
    pub game_date: NaiveDate,
    /// Home team abbreviation.
    pub home: String,
    /// Away team abbreviation.
    pub away: String,
    /// When the lines were read from the books; a newer snapshot replaces an older one.
    pub snapshot_at: DateTime<Utc>,
    /// The rows.
    pub lines: Vec<PropLineRow>,
}

/// The line the pipeline uses for one player, game date and market, with where it came
/// from. Stored once per key; a newer snapshot replaces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropLine {
    /// Player lookup key.
    pub player_lookup: String,
    /// Game date.
    pub game_date: NaiveDate,
    /// Market.
    pub market: Market,
    /// The chosen line.
    pub line: f64,
    /// The book it came from.
    pub bookmaker: String,
    /// American odds of the over at that book.
    pub over_odds: i32,
    /// American odds of the under at that book.
    pub under_odds: i32,
    /// The snapshot's time, canonical form; orders versions of the line.
    pub snapshot_at: String,
    /// How it was chosen, for people ("main line of draftkings, priority 1; 7 books").
    pub chosen_by: String,
    /// Books that offered the player in this market in the snapshot.
    pub books: u32,
    /// The line this one replaced, when it replaced one (set by the store: a moved
    /// line leaves its predecessor here, and on the prediction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_line: Option<f64>,
}

impl PropLine {
    /// The features table's sort key of a line (`prop_line#2025-11-05#points`): stored
    /// beside the player's composite features, so the writer reads both in one request.
    pub fn feature_key(game_date: NaiveDate, market: Market) -> String {
        format!("prop_line#{game_date}#{market}")
    }

    /// A -110/-110 DraftKings line of a player on the example features' date, for
    /// unit tests.
    pub fn example(player_lookup: &str, market: Market, line: f64) -> Self {
        Self {
            player_lookup: player_lookup.into(),
            game_date: super::PlayerGameFeatures::example().game_date,
            market,
            line,
            bookmaker: "draftkings".into(),
            over_odds: -110,
            under_odds: -110,
            snapshot_at: "2025-11-05T16:00:00.000000Z".into(),
            chosen_by: "test".into(),
            books: 1,
            previous_line: None,
        }
    }
}
