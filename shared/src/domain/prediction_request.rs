//! The prediction queue's message format: a request for one player's predictions on
//! one game date, and its validation.
//!
//! Its `generated_at` orders requests for the same player and date: the writer stores
//! it with each prediction and a write only lands when it is newer than what is stored,
//! which makes redelivery and replay harmless.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::model::canonical_timestamp;
use crate::model::ids::MAX_PLAYER_LOOKUP_LEN;
use crate::model::time::{game_date_bounds, parse_game_date};

/// How far in the future a request's `generated_at` may lie by default: producers'
/// clocks drift by seconds, not minutes. A request from further ahead would hold its
/// keys against every later request (writes land only when newer), so it is refused.
pub const DEFAULT_MAX_FUTURE_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// Largest request body accepted; real requests are a few hundred bytes.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;

/// Why a request body was refused. Each names the field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// Body larger than [`MAX_REQUEST_BYTES`].
    #[error("body is {size} bytes, more than the {MAX_REQUEST_BYTES}-byte limit")]
    Oversized {
        /// Body size in bytes.
        size: usize,
    },
    /// Not JSON of the expected shape (missing or unknown field, wrong type, bad
    /// syntax): `path` says where (`.` for the whole body).
    #[error("malformed request JSON at `{path}`: {reason}")]
    Malformed {
        /// JSON path of the problem.
        path: String,
        /// What is wrong.
        reason: String,
    },
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
#[serde(deny_unknown_fields)]
struct RawRequest {
    player_lookup: String,
    game_date: String,
    generated_at: String,
}

/// A validated prediction request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionRequest {
    /// Normalised player key (lowercase letters and digits), see [`crate::model::player_lookup`].
    pub player_lookup: String,
    /// The game date the predictions are for.
    pub game_date: NaiveDate,
    /// When the request was generated upstream (stored on the prediction for tracing).
    pub generated_at: DateTime<Utc>,
}

impl PredictionRequest {
    /// Parses and validates a request body now, with the default clock skew.
    pub fn parse(body: &str) -> Result<Self, RequestError> {
        Self::parse_at(body, Utc::now(), DEFAULT_MAX_FUTURE_SKEW)
    }

    /// Parses and validates a request body at `now`: its `generated_at` may be at most
    /// `max_future_skew` ahead.
    pub fn parse_at(
        body: &str,
        now: DateTime<Utc>,
        max_future_skew: chrono::Duration,
    ) -> Result<Self, RequestError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(RequestError::Oversized { size: body.len() });
        }
        let malformed = |path: &str, reason: String| RequestError::Malformed {
            path: path.into(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(body).map_err(|e| malformed(".", e.to_string()))?;
        // serde would read a struct from a positional array too; a request is an object.
        if !value.is_object() {
            return Err(malformed(
                ".",
                format!("expected a JSON object, got {value}"),
            ));
        }
        let raw: RawRequest = serde_path_to_error::deserialize(value)
            .map_err(|e| malformed(&e.path().to_string(), e.inner().to_string()))?;
        raw.validate(now, max_future_skew)
    }

    /// The JSON body of this request, as a producer sends it.
    pub fn to_body(&self) -> String {
        serde_json::json!({
            "player_lookup": self.player_lookup,
            "game_date": self.game_date.to_string(),
            "generated_at": canonical_timestamp(self.generated_at),
        })
        .to_string()
    }
}

impl RawRequest {
    fn validate(
        self,
        now: DateTime<Utc>,
        max_future_skew: chrono::Duration,
    ) -> Result<PredictionRequest, RequestError> {
        let lookup = self.player_lookup.trim();
        if lookup.is_empty() || lookup.len() > MAX_PLAYER_LOOKUP_LEN {
            return Err(invalid(
                "player_lookup",
                format!("must be 1 to {MAX_PLAYER_LOOKUP_LEN} characters"),
            ));
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
        let game_date = parse_game_date(&self.game_date).ok_or_else(|| {
            invalid(
                "game_date",
                format!("{:?} is not a YYYY-MM-DD date", self.game_date),
            )
        })?;
        let bounds = game_date_bounds(now.date_naive());
        if !bounds.contains(&game_date) {
            return Err(invalid(
                "game_date",
                format!(
                    "{game_date} is outside {}..={}",
                    bounds.start(),
                    bounds.end()
                ),
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
        if generated_at > now + max_future_skew {
            return Err(invalid(
                "generated_at",
                format!(
                    "{} is more than {} s ahead of now ({}): a request from the future would \
                     hold its predictions against every later one",
                    canonical_timestamp(generated_at),
                    max_future_skew.num_seconds(),
                    canonical_timestamp(now)
                ),
            ));
        }
        Ok(PredictionRequest {
            player_lookup: lookup.to_string(),
            game_date,
            generated_at,
        })
    }
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
    fn a_valid_request_round_trips() {
        let r = PredictionRequest::parse(&body("")).unwrap();
        assert_eq!(r.player_lookup, "lebronjames");
        assert_eq!(PredictionRequest::parse(&r.to_body()).unwrap(), r);
    }

    #[test]
    fn lines_in_a_request_are_refused_the_stored_line_is_the_one_source() {
        let err = PredictionRequest::parse(&body(r#","lines":{"points":24.5}"#))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `lines`"), "{err}");
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
        ];
        for (input, expected) in cases {
            let err = PredictionRequest::parse(&input).unwrap_err().to_string();
            assert!(err.contains(expected), "{input} -> {err}");
        }
    }

    #[test]
    fn the_writer_parses_as_strictly_as_the_processor_naming_the_field() {
        let cases = [
            (
                body("").replace("\"2025-11-05\"", "\"+2025-11-05\""),
                "field `game_date`",
            ),
            (
                r#"["lebronjames","2025-11-05","2025-11-05T14:00:00Z"]"#.to_string(),
                "expected a JSON object",
            ),
            (body(r#","surprise":1"#), "unknown field `surprise`"),
            (
                body("").replace("\"lebronjames\"", "123"),
                "at `player_lookup`: invalid type: integer",
            ),
            (body(r#","surprise":NaN"#), "malformed request JSON at `.`"),
            (
                body(r#","surprise":1e400"#),
                "malformed request JSON at `.`",
            ),
        ];
        for (input, expected) in cases {
            let err = PredictionRequest::parse(&input).unwrap_err().to_string();
            assert!(err.contains(expected), "{input} -> {err}");
        }
    }

    #[test]
    fn a_request_from_the_future_is_refused_beyond_the_skew() {
        let now: DateTime<Utc> = "2025-11-05T14:00:00Z".parse().unwrap();
        let at = |generated_at: &str| {
            PredictionRequest::parse_at(
                &body("").replace("2025-11-05T14:00:00Z", generated_at),
                now,
                DEFAULT_MAX_FUTURE_SKEW,
            )
        };
        assert!(at("2025-11-05T14:05:00Z").is_ok());
        assert!(at("2025-11-05T09:00:00Z").is_ok());
        for future in ["2025-11-05T14:05:01Z", "9999-12-31T00:00:00Z"] {
            let err = at(future).unwrap_err().to_string();
            assert!(err.contains("field `generated_at`"), "{future}: {err}");
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
}
