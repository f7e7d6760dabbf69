//! The prop markets the model predicts.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A prop market the model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Market {
    /// Points scored.
    Points,
    /// Total rebounds.
    Rebounds,
    /// Assists.
    Assists,
}

impl Market {
    /// Every market, in a stable order.
    pub const ALL: [Market; 3] = [Market::Points, Market::Rebounds, Market::Assists];

    /// The market's name as stored and as accepted in requests.
    pub fn as_str(self) -> &'static str {
        match self {
            Market::Points => "points",
            Market::Rebounds => "rebounds",
            Market::Assists => "assists",
        }
    }

    /// Parses a market name; sportsbook names (`player_points`) are accepted too.
    pub fn parse(name: &str) -> Option<Self> {
        match name.strip_prefix("player_").unwrap_or(name) {
            "points" => Some(Market::Points),
            "rebounds" => Some(Market::Rebounds),
            "assists" => Some(Market::Assists),
            _ => None,
        }
    }
}

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
