//! Prediction requests, the baseline model and the prediction item.
//!
//! A request asks for the points / rebounds / assists predictions of one player on one
//! game date. Its `generated_at` orders requests for the same player and date: the writer
//! stores it with each prediction and a write only lands when it is newer than what is
//! stored, which makes redelivery and replay harmless.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::features::PlayerGameFeatures;

/// Largest request body accepted; real requests are a few hundred bytes.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;

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

    /// Smallest gap between prediction and line worth a recommendation. Roughly a
    /// fifth of each market's typical miss, so only clear disagreements are flagged.
    pub fn edge_threshold(self) -> f64 {
        match self {
            Market::Points => 1.5,
            Market::Rebounds | Market::Assists => 1.0,
        }
    }
}

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request body was refused. Each names the field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// Body larger than [`MAX_REQUEST_BYTES`].
    #[error("body is {size} bytes, more than the {MAX_REQUEST_BYTES}-byte limit")]
    Oversized {
        /// Body size in bytes.
        size: usize,
    },
    /// Not JSON of the expected shape (missing field, wrong type, bad syntax).
    #[error("malformed request JSON: {0}")]
    Malformed(String),
    /// A field is present but its value is unusable.
    #[error("field `{field}`: {reason}")]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> RequestError {
    RequestError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The wire shape of a request, before validation.
#[derive(Debug, Deserialize)]
struct RawRequest {
    player_lookup: String,
    game_date: String,
    generated_at: String,
    #[serde(default)]
    lines: BTreeMap<String, f64>,
}

/// A validated prediction request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionRequest {
    /// Normalised player key (lowercase letters and digits), see [`crate::nba_data::player_lookup`].
    pub player_lookup: String,
    /// The game date the predictions are for.
    pub game_date: NaiveDate,
    /// When the request was generated upstream; orders requests for the same key.
    pub generated_at: DateTime<Utc>,
    /// Market lines known when the request was generated.
    pub lines: BTreeMap<Market, f64>,
}

/// Earliest game date accepted (the first NBA season).
const FIRST_SEASON: (i32, u32, u32) = (1946, 11, 1);

impl PredictionRequest {
    /// Parses and validates a request body.
    pub fn parse(body: &str) -> Result<Self, RequestError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(RequestError::Oversized { size: body.len() });
        }
        let raw: RawRequest =
            serde_json::from_str(body).map_err(|e| RequestError::Malformed(e.to_string()))?;
        raw.validate()
    }

    /// The JSON body of this request, as a producer sends it.
    pub fn to_body(&self) -> String {
        let lines: BTreeMap<&str, f64> = self.lines.iter().map(|(m, l)| (m.as_str(), *l)).collect();
        serde_json::json!({
            "player_lookup": self.player_lookup,
            "game_date": self.game_date.to_string(),
            "generated_at": canonical_timestamp(self.generated_at),
            "lines": lines,
        })
        .to_string()
    }
}

impl RawRequest {
    fn validate(self) -> Result<PredictionRequest, RequestError> {
        let lookup = self.player_lookup.trim();
        if lookup.is_empty() || lookup.len() > 64 {
            return Err(invalid("player_lookup", "must be 1 to 64 characters"));
        }
        if !lookup
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            return Err(invalid(
                "player_lookup",
                format!("{lookup:?} must be lowercase letters and digits only"),
            ));
        }
        let game_date = NaiveDate::parse_from_str(&self.game_date, "%Y-%m-%d").map_err(|e| {
            invalid(
                "game_date",
                format!("{:?} is not a YYYY-MM-DD date: {e}", self.game_date),
            )
        })?;
        let (y, m, d) = FIRST_SEASON;
        let first = NaiveDate::from_ymd_opt(y, m, d).expect("constant date is valid");
        let last = Utc::now().date_naive() + chrono::Days::new(366);
        if game_date < first || game_date > last {
            return Err(invalid(
                "game_date",
                format!("{game_date} is outside {first}..={last}"),
            ));
        }
        let generated_at = DateTime::parse_from_rfc3339(&self.generated_at)
            .map_err(|e| {
                invalid(
                    "generated_at",
                    format!("{:?} is not an RFC 3339 timestamp: {e}", self.generated_at),
                )
            })?
            .with_timezone(&Utc);
        let mut lines = BTreeMap::new();
        for (name, line) in self.lines {
            let market = Market::parse(&name).ok_or_else(|| {
                invalid(
                    format!("lines.{name}"),
                    "unknown market (expected points, rebounds or assists)",
                )
            })?;
            if !line.is_finite() || !(0.0..=100.0).contains(&line) {
                return Err(invalid(
                    format!("lines.{name}"),
                    format!("{line} is not a line between 0 and 100"),
                ));
            }
            if lines.insert(market, line).is_some() {
                return Err(invalid(format!("lines.{name}"), "market given twice"));
            }
        }
        Ok(PredictionRequest {
            player_lookup: lookup.to_string(),
            game_date,
            generated_at,
            lines,
        })
    }
}

/// Formats a timestamp in the one fixed-width form stored in DynamoDB
/// (`2025-11-05T14:00:00.000000Z`), so that string order is time order and a
/// conditional write can compare stored and new values directly.
pub fn canonical_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

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

impl Recommendation {
    /// Compares a prediction with a line for one market.
    pub fn against(market: Market, predicted: f64, line: Option<f64>) -> Self {
        let Some(line) = line else {
            return Recommendation::NoLine;
        };
        let edge = predicted - line;
        if edge >= market.edge_threshold() {
            Recommendation::Over
        } else if -edge >= market.edge_threshold() {
            Recommendation::Under
        } else {
            Recommendation::Pass
        }
    }
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
    /// Prediction minus line when a line is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<f64>,
    /// OVER / UNDER / PASS / NO_LINE.
    pub recommendation: Recommendation,
    /// Model label.
    pub model_version: String,
    /// The request's `generated_at` in canonical form; orders writes.
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

/// The baseline model (`baseline-v1`): a player's recent-form average for the market,
/// moved halfway toward what the opponent usually allows relative to the league, less
/// 4% on the second night of a back-to-back. Deliberately simple and documented: it is
/// the reference later models must beat, not a claim of edge.
pub fn baseline_prediction(features: &PlayerGameFeatures, market: Market) -> f64 {
    let (form, opponent_factor) = match market {
        Market::Points => (features.points_avg, features.opponent_points_factor),
        Market::Rebounds => (features.rebounds_avg, features.opponent_rebounds_factor),
        Market::Assists => (features.assists_avg, features.opponent_assists_factor),
    };
    let matchup = 1.0 + 0.5 * (opponent_factor - 1.0);
    let rest = if features.back_to_back { 0.96 } else { 1.0 };
    round1(form * matchup * rest)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Builds the three predictions for a request from the player's features.
pub fn predictions_for(
    request: &PredictionRequest,
    features: &PlayerGameFeatures,
    model_version: &str,
    now: DateTime<Utc>,
) -> Vec<Prediction> {
    let generated_at = canonical_timestamp(request.generated_at);
    let written_at = canonical_timestamp(now);
    Market::ALL
        .into_iter()
        .map(|market| {
            let predicted_value = baseline_prediction(features, market);
            let line = request.lines.get(&market).copied();
            let payload_hash = payload_hash(&[
                &request.player_lookup,
                &request.game_date.to_string(),
                market.as_str(),
                &generated_at,
                &format!("{line:?}"),
                &format!("{predicted_value}"),
                model_version,
            ]);
            Prediction {
                player_lookup: request.player_lookup.clone(),
                prediction_key: Prediction::key_for(request.game_date, market),
                game_date: request.game_date.to_string(),
                market,
                predicted_value,
                edge: line.map(|l| round1(predicted_value - l)),
                line,
                recommendation: Recommendation::against(market, predicted_value, line),
                model_version: model_version.to_string(),
                generated_at: generated_at.clone(),
                is_active: true,
                payload_hash,
                written_at: written_at.clone(),
            }
        })
        .collect()
}

fn payload_hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())
}

/// What one conditional write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteOutcome {
    /// No prediction was stored for the key; this one is now current.
    Created,
    /// An older prediction was replaced.
    Replaced,
    /// The same `generated_at` was already stored: a redelivery or replay, suppressed.
    Duplicate,
    /// A newer prediction is stored; this older one was ignored.
    Stale,
}

/// Stores predictions so that exactly one current item exists per key and the newest wins.
pub trait PredictionStore: Send + Sync {
    /// Writes `prediction` unless an item with the same or a newer `generated_at` is stored.
    fn put_if_newer(
        &self,
        prediction: &Prediction,
    ) -> impl std::future::Future<Output = Result<WriteOutcome, crate::StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(extra: &str) -> String {
        format!(
            r#"{{"player_lookup":"lebronjames","game_date":"2025-11-05","generated_at":"2025-11-05T14:00:00Z"{extra}}}"#
        )
    }

    #[test]
    fn a_valid_request_parses_with_its_lines() {
        let r = PredictionRequest::parse(&body(r#","lines":{"points":24.5,"player_assists":8.5}"#))
            .unwrap();
        assert_eq!(r.player_lookup, "lebronjames");
        assert_eq!(r.lines.get(&Market::Points), Some(&24.5));
        assert_eq!(r.lines.get(&Market::Assists), Some(&8.5));
        assert_eq!(r.lines.get(&Market::Rebounds), None);
        assert_eq!(PredictionRequest::parse(&r.to_body()).unwrap(), r);
    }

    #[test]
    fn each_kind_of_bad_input_names_its_field() {
        let cases = [
            ("not json".to_string(), "malformed"),
            (r#"{"player_lookup":"x"}"#.to_string(), "missing field"),
            (
                body("").replace("2025-11-05\"", "2025-02-30\""),
                "game_date",
            ),
            (
                body("").replace("2025-11-05\"", "1900-01-01\""),
                "game_date",
            ),
            (body("").replace("14:00:00Z", "yesterday"), "generated_at"),
            (
                body("").replace("lebronjames", "LeBron James"),
                "player_lookup",
            ),
            (
                body(r#","lines":{"player_threes":2.5}"#),
                "lines.player_threes",
            ),
            (body(r#","lines":{"points":-3}"#), "lines.points"),
            (body(r#","lines":{"points":"a lot"}"#), "malformed"),
        ];
        for (input, expected) in cases {
            let err = PredictionRequest::parse(&input).unwrap_err().to_string();
            assert!(err.contains(expected), "{input} -> {err}");
        }
    }

    #[test]
    fn an_oversized_body_is_refused_before_parsing() {
        let big = body(&format!(
            r#","padding":"{}""#,
            "x".repeat(MAX_REQUEST_BYTES)
        ));
        assert!(matches!(
            PredictionRequest::parse(&big),
            Err(RequestError::Oversized { .. })
        ));
    }

    #[test]
    fn canonical_timestamps_sort_as_time() {
        let a = DateTime::parse_from_rfc3339("2025-11-05T09:00:00-05:00").unwrap();
        let b = DateTime::parse_from_rfc3339("2025-11-05T14:00:00.5Z").unwrap();
        let (a, b) = (
            canonical_timestamp(a.with_timezone(&Utc)),
            canonical_timestamp(b.with_timezone(&Utc)),
        );
        assert_eq!(a, "2025-11-05T14:00:00.000000Z");
        assert!(a < b);
    }

    #[test]
    fn recommendation_needs_a_clear_edge() {
        assert_eq!(
            Recommendation::against(Market::Points, 27.0, Some(25.5)),
            Recommendation::Over
        );
        assert_eq!(
            Recommendation::against(Market::Points, 26.9, Some(25.5)),
            Recommendation::Pass
        );
        assert_eq!(
            Recommendation::against(Market::Assists, 5.0, Some(6.5)),
            Recommendation::Under
        );
        assert_eq!(
            Recommendation::against(Market::Rebounds, 5.0, None),
            Recommendation::NoLine
        );
    }

    #[test]
    fn baseline_moves_halfway_toward_the_matchup_and_discounts_back_to_backs() {
        let mut f = PlayerGameFeatures::example();
        f.points_avg = 20.0;
        f.opponent_points_factor = 1.10;
        f.back_to_back = false;
        assert_eq!(baseline_prediction(&f, Market::Points), 21.0);
        f.back_to_back = true;
        assert_eq!(baseline_prediction(&f, Market::Points), 20.2);
    }
}
