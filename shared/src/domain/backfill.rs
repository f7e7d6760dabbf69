//! The backfill: answers a `Backfill Requested` event by fetching the game's box score
//! from the box-score source and publishing it as a `Box Score` event, which the ingest
//! rule routes to the processor (which stores it and resets the breakers it held).
//!
//! Fetches are bounded per game by a ledger of conditional writes: at most one per
//! cooldown window (default 2 h) however many requests race or are redelivered, and at
//! most `max_attempts` (default 5) in all; then the game is given up, logged, counted
//! and reported by the morning check. A response that is not the game, not final or
//! not valid is refused with its reason and counts as an attempt.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::batch::BatchFailures;
use crate::domain::boxscore_v3::BoxScoreV3;
use crate::domain::processor_message::{BOX_SCORE_DETAIL_TYPE, check_game_id, check_team};
use crate::metrics::Metrics;
use crate::model::QueueMessage;
use crate::ports::{BackfillClaim, BackfillLedger, BoxScoreSource, EventPublisher};

/// Default minutes between two fetches of one game.
pub const DEFAULT_COOLDOWN_MINUTES: u32 = 120;
/// Default fetches of one game before it is given up.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// How often one game may be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackfillSettings {
    /// Minutes between two fetches of one game (`BACKFILL_COOLDOWN_MINUTES`).
    pub cooldown_minutes: u32,
    /// Fetches before the game is given up (`BACKFILL_MAX_ATTEMPTS`).
    pub max_attempts: u32,
}

impl Default for BackfillSettings {
    fn default() -> Self {
        Self {
            cooldown_minutes: DEFAULT_COOLDOWN_MINUTES,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

impl BackfillSettings {
    /// The cooldown as a duration.
    pub fn cooldown(&self) -> Duration {
        Duration::minutes(i64::from(self.cooldown_minutes))
    }
}

/// A game to fetch, as the completeness check asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackfillRequest {
    /// NBA game id.
    pub game_id: String,
    /// The game's date on the stored schedule.
    pub game_date: NaiveDate,
    /// Home team.
    pub home: String,
    /// Away team.
    pub away: String,
}

impl BackfillRequest {
    /// Reads a queue message: the EventBridge event the rule delivers (its `detail`),
    /// or the bare request.
    pub fn parse(body: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
        let detail = match value.get("detail") {
            Some(d) if value.get("detail-type").is_some() => d.clone(),
            _ => value,
        };
        let request: BackfillRequest = serde_path_to_error::deserialize(detail)
            .map_err(|e| format!("at {}: {}", e.path(), e.inner()))?;
        check_game_id("game_id", &request.game_id).map_err(|e| e.to_string())?;
        check_team("home", &request.home).map_err(|e| e.to_string())?;
        check_team("away", &request.away).map_err(|e| e.to_string())?;
        Ok(request)
    }
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackfillTally {
    /// Records in the batch.
    pub records: u64,
    /// Records reported failed.
    pub failed_records: u64,
    /// Fetches made (HTTP requests to the source, its own retries not counted).
    pub fetched: u64,
    /// Box scores published.
    pub published: u64,
    /// Responses refused (not final, another game, invalid) or sources unavailable.
    pub refused: u64,
    /// Requests answered by the cooldown: no fetch.
    pub cooling_down: u64,
    /// Games given up by this batch.
    pub given_up: u64,
    /// Requests for games already given up.
    pub already_given_up: u64,
}

impl std::ops::AddAssign for BackfillTally {
    fn add_assign(&mut self, o: Self) {
        self.records += o.records;
        self.failed_records += o.failed_records;
        self.fetched += o.fetched;
        self.published += o.published;
        self.refused += o.refused;
        self.cooling_down += o.cooling_down;
        self.given_up += o.given_up;
        self.already_given_up += o.already_given_up;
    }
}

impl BackfillTally {
    /// The tally as EMF counters.
    pub fn metrics(&self, namespace: &str) -> Metrics {
        let mut m = Metrics::new(namespace, "backfill");
        m.count("BackfillFetches", self.fetched);
        m.count("BackfillBoxScoresPublished", self.published);
        m.count("BackfillRefused", self.refused);
        m.count("BackfillCoolingDown", self.cooling_down);
        m.count("BackfillGivenUp", self.given_up);
        m.count("FailedRecords", self.failed_records);
        m
    }
}

/// The backfill's ports and settings.
#[derive(Debug, Clone)]
pub struct Backfiller<L, S, E> {
    /// The per-game ledger.
    pub ledger: L,
    /// Where box scores come from.
    pub source: S,
    /// The bus, publishing as the ingest source.
    pub events: E,
    /// Cooldown and attempts.
    pub settings: BackfillSettings,
    /// EMF namespace.
    pub metrics_namespace: String,
}

impl<L, S, E> Backfiller<L, S, E>
where
    L: BackfillLedger,
    S: BoxScoreSource,
    E: EventPublisher,
{
    /// Handles one batch at `now`. A malformed request fails alone (and is dead-lettered
    /// after the queue's retries); a storage or bus failure fails its record, which the
    /// queue redelivers; everything else is acknowledged.
    pub async fn process_batch(
        &self,
        records: &[QueueMessage],
        now: DateTime<Utc>,
    ) -> (BatchFailures, BackfillTally) {
        let mut failures = BatchFailures::default();
        let mut tally = BackfillTally {
            records: records.len() as u64,
            ..Default::default()
        };
        for record in records {
            let id = record.message_id.as_str();
            let request = match BackfillRequest::parse(&record.body) {
                Ok(r) => r,
                Err(e) => {
                    failures.fail(id, format!("invalid backfill request: {e}"));
                    continue;
                }
            };
            match self.backfill(&request, now).await {
                Ok(t) => tally += t,
                Err(e) => failures.fail(id, e),
            }
        }
        tally.failed_records = failures.len() as u64;
        (failures, tally)
    }

    async fn backfill(
        &self,
        r: &BackfillRequest,
        now: DateTime<Utc>,
    ) -> Result<BackfillTally, String> {
        let mut tally = BackfillTally::default();
        let claim = self
            .ledger
            .claim(
                &r.game_id,
                r.game_date,
                now,
                self.settings.cooldown(),
                self.settings.max_attempts,
            )
            .await
            .map_err(|e| e.to_string())?;
        let attempt = match claim {
            BackfillClaim::Fetch { attempt } => attempt,
            BackfillClaim::CoolingDown { last_attempt_at } => {
                tracing::info!(game_id = %r.game_id, %last_attempt_at, "backfill cooling down: not fetched");
                tally.cooling_down = 1;
                return Ok(tally);
            }
            BackfillClaim::GivenUp => {
                tracing::info!(game_id = %r.game_id, "backfill given up earlier: not fetched");
                tally.already_given_up = 1;
                return Ok(tally);
            }
        };
        tally.fetched = 1;
        let box_score = match self.source.fetch(&r.game_id).await {
            Err(e) => Err(e.to_string()),
            Ok(body) => BoxScoreV3::parse(&body)
                .and_then(|v3| v3.into_box_score(&r.game_id, r.game_date, &r.home, &r.away, now))
                .map_err(|e| e.to_string()),
        };
        match box_score {
            Ok(b) => {
                let mut detail = serde_json::to_value(&b).expect("box scores serialise");
                if let Some(o) = detail.as_object_mut() {
                    o.remove("kind");
                }
                self.events
                    .publish(BOX_SCORE_DETAIL_TYPE, &detail)
                    .await
                    .map_err(|e| format!("publishing the box score of {}: {e}", r.game_id))?;
                self.ledger
                    .record_attempt(&r.game_id, None, false, now)
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::info!(game_id = %r.game_id, attempt, "backfill: box score published");
                tally.published = 1;
            }
            Err(reason) => {
                let give_up = attempt >= self.settings.max_attempts;
                self.ledger
                    .record_attempt(&r.game_id, Some(&reason), give_up, now)
                    .await
                    .map_err(|e| e.to_string())?;
                tally.refused = 1;
                if give_up {
                    tracing::warn!(game_id = %r.game_id, attempt, reason, "backfill given up");
                    tally.given_up = 1;
                } else {
                    tracing::info!(game_id = %r.game_id, attempt, reason, "backfill fetch refused; the next request after the cooldown tries again");
                }
            }
        }
        Ok(tally)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_read_from_the_event_or_bare() {
        let detail = serde_json::json!({"game_id": "0022400180", "game_date": "2024-11-06",
            "home": "BOS", "away": "NYK", "reason": "no box score", "requested_at": "x"});
        let event = serde_json::json!({"version": "0", "id": "e", "detail-type": "Backfill Requested",
            "source": "nba-props.pipeline", "detail": detail});
        let from_event = BackfillRequest::parse(&event.to_string()).unwrap();
        assert_eq!(from_event.game_id, "0022400180");
        assert_eq!(
            BackfillRequest::parse(&detail.to_string()).unwrap(),
            from_event
        );
    }

    #[test]
    fn a_bad_request_names_what_is_wrong() {
        for (body, needle) in [
            ("not json", "not JSON"),
            (
                r#"{"game_id": "1", "game_date": "2024-11-06", "home": "BOS", "away": "NYK"}"#,
                "game_id",
            ),
            (
                r#"{"game_id": "0022400180", "home": "BOS", "away": "NYK"}"#,
                "game_date",
            ),
            (
                r#"{"game_id": "0022400180", "game_date": "11/06", "home": "BOS", "away": "NYK"}"#,
                "game_date",
            ),
        ] {
            let e = BackfillRequest::parse(body).unwrap_err();
            assert!(e.contains(needle), "{body}: {e}");
        }
    }
}
