//! Ports: every trait the domain needs from the outside world (game data, breakers,
//! features, predictions, queues and the bus), the outcomes they report and the one
//! error they fail with. The adapters (`adapters::dynamodb`, `adapters::sqs`,
//! `adapters::eventbridge`) implement them; the domain's unit tests implement them in
//! memory. Ports import only `model`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use std::collections::HashSet;

use crate::model::{
    BoxScore, BreakerKey, BreakerSettings, BreakerState, DaySchedule, FeatureKey, MarketLineCount,
    PlayerGame, PlayerShotGame, Prediction, PredictionInputs, ProcessorName, PropLine, RosterEntry,
    Schedule, ShotChart, TeamGame, TrippedBreaker,
};

/// A storage, queue or bus call that failed (network, throttling after the SDK's
/// retries, bad item).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation} failed: {message}")]
pub struct StoreError {
    /// What was being done ("PutItem predictions", ...).
    pub operation: String,
    /// The underlying error, rendered with its sources.
    pub message: String,
}

impl StoreError {
    /// Wraps an error with the operation it interrupted.
    pub fn new(operation: impl Into<String>, error: impl std::fmt::Display) -> Self {
        Self {
            operation: operation.into(),
            message: error.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------
// Game data

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
    /// Stores a date's schedule, replacing the stored one: games it no longer lists are
    /// dropped (unless their box score is in), postponed and cancelled games leave the
    /// teams' games, games already stored keep their completeness. Returns the ids of
    /// its played games whose work was never sent whole ([`Self::mark_fanned_out`]).
    fn put_schedule(
        &self,
        schedule: &Schedule,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Marks these games' work sent whole; called only after every send succeeded, so
    /// a fan-out that fails half way is sent again by the redelivery.
    fn mark_fanned_out(
        &self,
        date: NaiveDate,
        game_ids: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores a box score and marks its game complete, unless a newer version is stored.
    fn put_box_score(
        &self,
        box_score: &BoxScore,
    ) -> impl Future<Output = Result<BoxScoreOutcome, BoxScoreRejected>> + Send;

    /// A date's stored schedule: whether one was stored, and its games.
    fn schedule_on(
        &self,
        date: NaiveDate,
    ) -> impl Future<Output = Result<DaySchedule, StoreError>> + Send;

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

    /// Whether a date's fan-out has been sent whole (strongly consistent).
    fn fan_out_done(
        &self,
        date: NaiveDate,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Marks a date's fan-out sent whole; called only after every send succeeded.
    fn mark_fan_out_done(
        &self,
        date: NaiveDate,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

// ---------------------------------------------------------------------------------
// Circuit breakers

/// What happened when a failure was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    /// Counted; the breaker is still closed, so the work is retried.
    Counted {
        /// Failures so far.
        attempts: u32,
    },
    /// This failure tripped the breaker (exactly one caller sees this per trip).
    Tripped {
        /// Failures so far.
        attempts: u32,
        /// End of the lockout.
        until: DateTime<Utc>,
        /// Which trip of this breaker it is (1 for the first); its event is pending
        /// until [`BreakerStore::trip_published`].
        trip: u32,
    },
    /// The breaker was already open (another failure tripped it).
    AlreadyOpen {
        /// Failures so far.
        attempts: u32,
    },
}

/// Persistent breakers.
pub trait BreakerStore: Send + Sync {
    /// The stored state of many breakers in one request; absent keys have no item.
    fn get_many(
        &self,
        keys: &[BreakerKey],
    ) -> impl Future<Output = Result<HashMap<BreakerKey, BreakerState>, StoreError>> + Send;

    /// Counts one failure atomically and trips the breaker when the count reaches the
    /// limit; the trip is a conditional write, so it happens once however many failures
    /// race.
    fn record_failure(
        &self,
        key: &BreakerKey,
        error: &str,
        settings: &BreakerSettings,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<FailureOutcome, StoreError>> + Send;

    /// Records work that was not processed because the breaker is open, so a reset can
    /// enqueue it again.
    fn record_skipped(
        &self,
        key: &BreakerKey,
        work: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Marks trip number `trip`'s `Circuit Breaker Tripped` event published. Until then
    /// the breaker says its event is pending, and whoever finds it so publishes it: a
    /// failed publish is retried, never lost.
    fn trip_published(
        &self,
        key: &BreakerKey,
        trip: u32,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Clears the failure count after a success (only when one was counted).
    fn clear_attempts(
        &self,
        key: &BreakerKey,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What a conditional reset found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetOutcome {
    /// Cleared: the entity processes again.
    Reset,
    /// The breaker changed since it was read (tripped again, or reset by another run);
    /// left as it is.
    Changed,
}

/// The reset side of the breakers, used by the completeness check. A reset is two
/// writes around the enqueue: clear the breaker (conditional), enqueue its work, then
/// forget the work and drop it from the tripped index. A run that stops in between
/// leaves the breaker cleared but still indexed with its work, and the next run
/// enqueues it: work is never lost, at worst enqueued twice (it is idempotent).
pub trait BreakerResets: Send + Sync {
    /// Breakers tripped (or cleared and awaiting re-enqueue) for an analysis date,
    /// from the sparse index: a Query, never a Scan.
    fn tripped_on(
        &self,
        analysis_date: NaiveDate,
    ) -> impl Future<Output = Result<Vec<TrippedBreaker>, StoreError>> + Send;

    /// Every breaker on the sparse tripped index (tripped, or cleared and awaiting
    /// re-enqueue), whatever its date: a Scan of an index that holds only those.
    fn tripped_all(&self) -> impl Future<Output = Result<Vec<TrippedBreaker>, StoreError>> + Send;

    /// Clears a tripped breaker if it has not tripped again since it was read.
    fn reset(
        &self,
        breaker: &TrippedBreaker,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<ResetOutcome, StoreError>> + Send;

    /// After the work was enqueued: forgets it and drops the breaker from the tripped
    /// index (unless it tripped again meanwhile).
    fn finish_reset(
        &self,
        breaker: &TrippedBreaker,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

// ---------------------------------------------------------------------------------
// Features

/// Reads what the prediction writer needs per player and game date: the composite
/// features and the stored prop lines.
pub trait FeatureStore: Send + Sync {
    /// Fetches the features and lines of many players at once (one request, strongly
    /// consistent); keys without features are absent from the map.
    fn get_many(
        &self,
        keys: &[FeatureKey],
    ) -> impl Future<Output = Result<HashMap<FeatureKey, PredictionInputs>, StoreError>> + Send;
}

/// What storing a prop line did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// No line was stored for the key, or the stored one was older and different: this
    /// one is current now, and predictions are re-priced.
    Stored,
    /// The stored line is the same (line, book, odds) or from a newer snapshot:
    /// nothing changed.
    Unchanged,
}

/// Stores the chosen prop lines.
pub trait PropLineStore: Send + Sync {
    /// Stores a line unless the stored one is from the same or a newer snapshot, or
    /// is the same line, book and odds (then the stored one, first seen earlier, stays).
    fn put_line_if_newer(
        &self,
        line: &PropLine,
    ) -> impl Future<Output = Result<LineOutcome, StoreError>> + Send;
}

/// Stores processor outputs.
pub trait FeatureSink: Send + Sync {
    /// Stores one processor's output for an entity and analysis date (overwrites: a
    /// recomputation of the same inputs gives the same output).
    fn put_output(
        &self,
        entity_id: &str,
        processor: ProcessorName,
        analysis_date: NaiveDate,
        output: &serde_json::Value,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Reads stored processor outputs.
pub trait FeatureSource: Send + Sync {
    /// One processor's output for an entity and analysis date, if stored.
    fn get_output(
        &self,
        entity_id: &str,
        processor: ProcessorName,
        analysis_date: NaiveDate,
    ) -> impl Future<Output = Result<Option<serde_json::Value>, StoreError>> + Send;

    /// Which of these entities have the processor's output stored for the date (one
    /// strongly consistent request).
    fn stored_outputs(
        &self,
        entity_ids: &[String],
        processor: ProcessorName,
        analysis_date: NaiveDate,
    ) -> impl Future<Output = Result<HashSet<String>, StoreError>> + Send;
}

// ---------------------------------------------------------------------------------
// Predictions

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
    /// A prediction from the same inputs but a different payload (its `payload_hash`
    /// differs: another model version, say) is stored. The stored one is kept.
    PayloadConflict,
    /// The stored prediction was made from inputs neither older nor newer than these
    /// (newer features but an older line, or the reverse): two writers read while both
    /// changed. The record is retried; its fresh read sees both changes.
    Concurrent,
}

/// Stores predictions so that exactly one current item exists per key and the newest wins.
pub trait PredictionStore: Send + Sync {
    /// Writes `prediction` only when its inputs are newer than the stored item's: its
    /// `features_at` and `line_snapshot_at` each at least the stored ones, and one of
    /// them later. The same inputs are a duplicate when the `payload_hash` matches,
    /// else a payload conflict.
    fn put_if_newer(
        &self,
        prediction: &Prediction,
    ) -> impl Future<Output = Result<WriteOutcome, StoreError>> + Send;
}

/// Reads what the predictions table holds for a date, for the morning report.
pub trait PredictionCounts: Send + Sync {
    /// The date's current predictions by market, with a line and without.
    fn line_counts(
        &self,
        game_date: NaiveDate,
    ) -> impl Future<Output = Result<Vec<MarketLineCount>, StoreError>> + Send;
}

// ---------------------------------------------------------------------------------
// Queues and the bus

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// The processor queue (work items).
    ProcessorQueue,
    /// The prediction queue (prediction requests).
    PredictionQueue,
}

/// Sends message bodies to queues.
pub trait MessageSender: Send + Sync {
    /// Sends every body (in batches as the service allows); fails if any was refused.
    fn send_all(
        &self,
        destination: Destination,
        bodies: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Publishes events on the pipeline's bus.
pub trait EventPublisher: Send + Sync {
    /// Publishes one event with this detail-type and detail.
    fn publish(
        &self,
        detail_type: &str,
        detail: &serde_json::Value,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Publishes one event per detail, all with this detail-type (in batches as the
    /// service allows); fails if any was refused.
    fn publish_all(
        &self,
        detail_type: &str,
        details: &[serde_json::Value],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

// ---------------------------------------------------------------------------------
// Backfill

/// What a claim on a game's backfill found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackfillClaim {
    /// The caller may fetch now: this is attempt number `attempt`.
    Fetch {
        /// Attempts so far, this one included.
        attempt: u32,
    },
    /// The game was fetched (or tried) within the cooldown window; nothing is fetched.
    CoolingDown {
        /// When the last attempt was made.
        last_attempt_at: DateTime<Utc>,
    },
    /// The attempts are used up: the game was given up.
    GivenUp,
}

/// The per-game ledger that bounds backfill fetches: one conditional write claims a
/// fetch, so however many requests race or are redelivered, at most one fetch happens
/// per game per cooldown window, and at most `max_attempts` in all.
pub trait BackfillLedger: Send + Sync {
    /// Claims a fetch of the game at `now` unless one was made after `now - cooldown`,
    /// or `max_attempts` were made, or the game was given up.
    fn claim(
        &self,
        game_id: &str,
        game_date: NaiveDate,
        now: DateTime<Utc>,
        cooldown: chrono::Duration,
        max_attempts: u32,
    ) -> impl Future<Output = Result<BackfillClaim, StoreError>> + Send;

    /// Records how a claimed fetch ended: `None` when the box score was published, else
    /// the reason; `give_up` marks the game given up.
    fn record_attempt(
        &self,
        game_id: &str,
        error: Option<&str>,
        give_up: bool,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Of these games, the ones given up (one request).
    fn given_up(
        &self,
        game_ids: &[String],
    ) -> impl Future<Output = Result<HashSet<String>, StoreError>> + Send;
}

/// Why a box-score source gave no response body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The source does not know the game (HTTP 404).
    #[error("the source has no box score for the game: {0}")]
    NotFound(String),
    /// Down, slow, or failing after the retries (timeouts, 5xx, 429, refused).
    #[error("the source is unavailable: {0}")]
    Unavailable(String),
}

/// Where box scores are fetched from.
pub trait BoxScoreSource: Send + Sync {
    /// The raw `boxscoretraditionalv3` response body of a game.
    fn fetch(&self, game_id: &str) -> impl Future<Output = Result<Vec<u8>, SourceError>> + Send;
}
