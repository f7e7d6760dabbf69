//! The prediction item: the single current prediction per (player_lookup, game_date,
//! market), and the recommendation it carries. How it is computed is in
//! `domain::prediction`; how it is written, in `adapters::dynamodb::predictions`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::market::Market;

/// The models the writer can run (`MODEL_VERSION`): the baseline, and the
/// line-shrinkage model (`domain::model_v2`).
pub const MODEL_VERSIONS: [&str; 2] = ["baseline-v1", "line-shrinkage-v2"];

/// What the writer recommends against a market line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Recommendation {
    /// Prediction clearly above the line.
    Over,
    /// Prediction clearly below the line.
    Under,
    /// Too close to the line to call.
    Pass,
    /// No line was known.
    NoLine,
}

/// Where a prediction's line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LineSource {
    /// A sportsbook line stored by the prop-lines ingest.
    ActualProp,
    /// No line is stored for the player, date and market.
    NoPropLine,
}

/// One stored prediction: the single current item for (player_lookup, game_date, market).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Partition key: the player.
    pub player_lookup: String,
    /// Sort key: `YYYY-MM-DD#market`, so one player's predictions for a date sit together.
    pub prediction_key: String,
    /// Game date (`YYYY-MM-DD`); also the GSI partition key.
    pub game_date: String,
    /// Market name.
    pub market: Market,
    /// Predicted stat value, rounded to 0.1.
    pub predicted_value: f64,
    /// Market line when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<f64>,
    /// Where the line came from.
    pub line_source: LineSource,
    /// The line's bookmaker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bookmaker: Option<String>,
    /// American odds of the over at that book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_odds: Option<i32>,
    /// American odds of the under at that book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub under_odds: Option<i32>,
    /// The snapshot the line was first seen in (canonical timestamp); with
    /// `features_at`, it orders predictions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_snapshot_at: Option<String>,
    /// The line the current one replaced, when the line moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_line: Option<f64>,
    /// When the features used were computed (canonical timestamp); orders predictions.
    pub features_at: String,
    /// Prediction minus line when a line is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<f64>,
    /// The model's probability that the result goes over the line (models that state
    /// one, with a line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_over: Option<f64>,
    /// OVER / UNDER / PASS / NO_LINE.
    pub recommendation: Recommendation,
    /// Model label.
    pub model_version: String,
    /// The `generated_at` of the request that wrote this item (canonical form), for
    /// tracing; the order is `features_at` and `line_snapshot_at`.
    pub generated_at: String,
    /// Always true for the stored item: there is only ever one current item per key.
    pub is_active: bool,
    /// SHA-256 of the inputs that produced this prediction, to tell a true duplicate
    /// from a different payload reusing the same `generated_at`.
    pub payload_hash: String,
    /// Wall-clock time of the write, for operators.
    pub written_at: String,
}

impl Prediction {
    /// The sort key for a game date and market.
    pub fn key_for(game_date: NaiveDate, market: Market) -> String {
        format!("{game_date}#{market}")
    }
}

/// How many predictions of one market a date has, with a sportsbook line and without.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketLineCount {
    /// Market.
    pub market: Market,
    /// Predictions made against a stored sportsbook line.
    pub with_line: u32,
    /// Predictions without one (`NO_PROP_LINE`).
    pub without_line: u32,
}

/// Counts predictions by market, every market listed (zeros included), in
/// `Market::ALL` order.
pub fn count_by_market(
    predictions: impl IntoIterator<Item = (Market, LineSource)>,
) -> Vec<MarketLineCount> {
    let mut counts: Vec<MarketLineCount> = Market::ALL
        .into_iter()
        .map(|market| MarketLineCount {
            market,
            with_line: 0,
            without_line: 0,
        })
        .collect();
    for (market, source) in predictions {
        if let Some(c) = counts.iter_mut().find(|c| c.market == market) {
            match source {
                LineSource::ActualProp => c.with_line += 1,
                LineSource::NoPropLine => c.without_line += 1,
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_split_by_market_and_line_with_every_market_listed() {
        let counts = count_by_market([
            (Market::Points, LineSource::ActualProp),
            (Market::Points, LineSource::NoPropLine),
            (Market::Points, LineSource::ActualProp),
            (Market::Assists, LineSource::NoPropLine),
        ]);
        let of = |m: Market| {
            let c = counts.iter().find(|c| c.market == m).unwrap();
            (c.with_line, c.without_line)
        };
        assert_eq!(counts.len(), Market::ALL.len());
        assert_eq!(of(Market::Points), (2, 1));
        assert_eq!(of(Market::Assists), (0, 1));
        assert_eq!(of(Market::Rebounds), (0, 0));
    }
}
