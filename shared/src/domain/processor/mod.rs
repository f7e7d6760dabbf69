//! The processor function's work: a batch of ingest messages and work items.
//!
//! - A schedule is stored, and the first time a date is scheduled its per-entity work is
//!   fanned out to the processor queue (team work for both teams of every game, player
//!   work for their rosters): `ingest`, `fan_out`.
//! - A box score is stored (a newer correction replaces an older one), its game is
//!   marked complete, and the tripped breakers that waited for it are reset and their
//!   work enqueued again, through the completeness check's own reset: `ingest`.
//! - A game's prop-lines snapshot: its names are matched to the two teams' players,
//!   one line per player and market is chosen and stored (a newer snapshot replaces an
//!   older one), and a moved or new line re-prices the player's predictions when his
//!   features exist: `prop_lines`.
//! - A work item runs its processor unless the entity's breaker is open (then it is
//!   acknowledged and recorded on the breaker, for the reset to enqueue again). A
//!   player's daily cache, once computed, enqueues the player's composite factors; the
//!   composite factors send a prediction request: `breaker_guard`.
//!
//! Breakers for the whole batch are read with one BatchGetItem (`batch`). A failure for
//! the entity (incomplete inputs) is counted on its breaker; the failure that trips it
//! is acknowledged (the work is recorded), the others are retried by the queue. Storage
//! errors are retried without being held against the entity.

mod batch;
mod breaker_guard;
mod fan_out;
mod ingest;
mod prop_lines;

use crate::domain::prop_lines::BookPriority;
use crate::metrics::Metrics;
use crate::model::BreakerSettings;
use crate::ports::Destination;

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessorTally {
    /// Records in the batch.
    pub records: u64,
    /// Records reported failed.
    pub failed_records: u64,
    /// Schedules stored.
    pub schedules: u64,
    /// Box scores stored.
    pub box_scores_stored: u64,
    /// Box scores ignored (same or older version already stored).
    pub box_scores_ignored: u64,
    /// Shot charts stored.
    pub shot_charts_stored: u64,
    /// Work items processed.
    pub work_done: u64,
    /// Work items that failed for their entity.
    pub work_failed: u64,
    /// Work items skipped because their breaker is open.
    pub work_skipped: u64,
    /// Work items with nothing to compute: the entity's team has no game that day.
    pub work_no_game: u64,
    /// Breakers tripped.
    pub breakers_tripped: u64,
    /// Breakers reset because the box score they waited for was stored.
    pub breakers_reset: u64,
    /// Work items enqueued (fan-out and follow-ups).
    pub work_enqueued: u64,
    /// Prediction requests sent.
    pub predictions_requested: u64,
    /// Prop-line snapshots handled.
    pub prop_snapshots: u64,
    /// Prop lines stored (new or moved).
    pub prop_lines_stored: u64,
    /// Prop lines unchanged (the same line, or an older snapshot).
    pub prop_lines_unchanged: u64,
    /// Sportsbook rows whose name matched no player of the game's teams.
    pub prop_rows_unmatched: u64,
}

impl std::ops::AddAssign for ProcessorTally {
    fn add_assign(&mut self, o: ProcessorTally) {
        self.records += o.records;
        self.failed_records += o.failed_records;
        self.schedules += o.schedules;
        self.box_scores_stored += o.box_scores_stored;
        self.box_scores_ignored += o.box_scores_ignored;
        self.shot_charts_stored += o.shot_charts_stored;
        self.work_done += o.work_done;
        self.work_failed += o.work_failed;
        self.work_skipped += o.work_skipped;
        self.work_no_game += o.work_no_game;
        self.breakers_tripped += o.breakers_tripped;
        self.breakers_reset += o.breakers_reset;
        self.work_enqueued += o.work_enqueued;
        self.predictions_requested += o.predictions_requested;
        self.prop_snapshots += o.prop_snapshots;
        self.prop_lines_stored += o.prop_lines_stored;
        self.prop_lines_unchanged += o.prop_lines_unchanged;
        self.prop_rows_unmatched += o.prop_rows_unmatched;
    }
}

impl ProcessorTally {
    /// The tally as EMF counters.
    pub fn metrics(&self, namespace: &str) -> Metrics {
        let mut m = Metrics::new(namespace, "processor");
        m.count("ProcessorRecords", self.records);
        m.count("FailedRecords", self.failed_records);
        m.count("WorkItemsProcessed", self.work_done);
        m.count("WorkItemsFailed", self.work_failed);
        m.count("WorkItemsSkippedBreakerOpen", self.work_skipped);
        m.count("WorkItemsWithoutGame", self.work_no_game);
        m.count("CircuitBreakersTripped", self.breakers_tripped);
        m.count("CircuitBreakersReset", self.breakers_reset);
        m.count("BoxScoresStored", self.box_scores_stored);
        m.count("PredictionRequestsSent", self.predictions_requested);
        m.count("PropLinesStored", self.prop_lines_stored);
        m.count("PropRowsUnmatched", self.prop_rows_unmatched);
        m
    }
}

/// The processor's ports and settings.
#[derive(Debug, Clone)]
pub struct Processor<G, B, F, Q, E> {
    /// Game data.
    pub games: G,
    /// Breakers.
    pub breakers: B,
    /// Where outputs go.
    pub features: F,
    /// Queues.
    pub queues: Q,
    /// The bus.
    pub events: E,
    /// Breaker settings.
    pub settings: BreakerSettings,
    /// Which bookmaker's line is preferred.
    pub book_priority: BookPriority,
    /// EMF namespace.
    pub metrics_namespace: String,
}

/// What one record did, and the messages it asks to send once the batch is done.
#[derive(Debug, Default)]
struct Done {
    tally: ProcessorTally,
    follow_ups: Vec<(Destination, String)>,
}

impl From<ProcessorTally> for Done {
    fn from(tally: ProcessorTally) -> Self {
        Self {
            tally,
            follow_ups: Vec::new(),
        }
    }
}

/// A record's outcome: what it did, or why it failed (the record is then retried).
type RecordResult = Result<Done, String>;
