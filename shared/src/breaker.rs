//! Per-entity circuit breakers: one per (processor, entity, analysis date).
//!
//! A work item that fails for its entity counts a failure. After
//! `CIRCUIT_BREAKER_MAX_ATTEMPTS` failures the breaker trips, and it stays open until
//! `circuit_breaker_until` = trip time + `CIRCUIT_BREAKER_ENTITY_LOCKOUT_HOURS`. Openness is
//! always judged from that timestamp: DynamoDB's TTL only collects the item some time
//! later (up to days), so an item that is still there may well be closed.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::config::BreakerSettings;

/// How long a breaker item is kept after its lockout ends, for operators to read,
/// before TTL may collect it.
pub const RETENTION_AFTER_LOCKOUT: chrono::Duration = chrono::Duration::days(7);

/// The five processors of phases 3 and 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessorName {
    /// Recent form of a player.
    PlayerDailyCache,
    /// Shot distribution and efficiency by zone of a player.
    PlayerShotZoneAnalysis,
    /// What a team allows.
    TeamDefenseZoneAnalysis,
    /// A team's next game: home/away, rest, opponent.
    UpcomingTeamGameContext,
    /// The player's adjustments for the next game, combining the others.
    PlayerCompositeFactors,
}

impl ProcessorName {
    /// Every processor.
    pub const ALL: [ProcessorName; 5] = [
        ProcessorName::PlayerDailyCache,
        ProcessorName::PlayerShotZoneAnalysis,
        ProcessorName::TeamDefenseZoneAnalysis,
        ProcessorName::UpcomingTeamGameContext,
        ProcessorName::PlayerCompositeFactors,
    ];

    /// The name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessorName::PlayerDailyCache => "player_daily_cache",
            ProcessorName::PlayerShotZoneAnalysis => "player_shot_zone_analysis",
            ProcessorName::TeamDefenseZoneAnalysis => "team_defense_zone_analysis",
            ProcessorName::UpcomingTeamGameContext => "upcoming_team_game_context",
            ProcessorName::PlayerCompositeFactors => "player_composite_factors",
        }
    }

    /// The processor of a stored name, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Whether the processor works on players (else on teams).
    pub fn is_player_processor(self) -> bool {
        !matches!(
            self,
            ProcessorName::TeamDefenseZoneAnalysis | ProcessorName::UpcomingTeamGameContext
        )
    }
}

impl fmt::Display for ProcessorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a breaker guards: one processor for one entity on one analysis date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BreakerKey {
    /// Processor.
    pub processor_name: ProcessorName,
    /// `player#lookup` or `team#ABC`.
    pub entity_id: String,
    /// The date the work is for.
    pub analysis_date: NaiveDate,
}

impl BreakerKey {
    /// Partition key of the breaker item (`processor#entity`).
    pub fn breaker_id(&self) -> String {
        format!("{}#{}", self.processor_name, self.entity_id)
    }
}

impl fmt::Display for BreakerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.processor_name, self.entity_id, self.analysis_date
        )
    }
}

/// A breaker as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BreakerState {
    /// Failures counted since the last success or reset.
    pub attempt_count: u32,
    /// Set when the breaker tripped.
    pub circuit_breaker_tripped: bool,
    /// End of the lockout.
    pub circuit_breaker_until: Option<DateTime<Utc>>,
    /// The last failure's reason.
    pub last_error: Option<String>,
}

impl BreakerState {
    /// Open only while tripped and the lockout has not ended, whatever TTL did or did not
    /// delete.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.circuit_breaker_tripped && self.circuit_breaker_until.is_some_and(|until| until > now)
    }
}

/// The lockout of a trip at `now`: (`circuit_breaker_until`, TTL epoch seconds).
pub fn lockout(settings: &BreakerSettings, now: DateTime<Utc>) -> (DateTime<Utc>, i64) {
    let until = now + settings.lockout();
    (until, (until + RETENTION_AFTER_LOCKOUT).timestamp())
}

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

    /// Clears the failure count after a success (only when one was counted).
    fn clear_attempts(
        &self,
        key: &BreakerKey,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A breaker found tripped on an analysis date, with what a reset needs.
#[derive(Debug, Clone, PartialEq)]
pub struct TrippedBreaker {
    /// Which breaker.
    pub key: BreakerKey,
    /// Its state when read.
    pub state: BreakerState,
    /// How many times it has tripped; a reset is conditional on this being unchanged,
    /// so a breaker that tripped again meanwhile is not cleared by a stale decision.
    pub trip_count: u32,
    /// The work recorded while it was open (message bodies), to enqueue again.
    pub pending_work: Vec<String>,
}

impl TrippedBreaker {
    /// Cleared by an earlier reset whose work was not yet enqueued (that run stopped
    /// between the two steps): only the enqueue remains to be done.
    pub fn awaiting_reenqueue(&self) -> bool {
        !self.state.circuit_breaker_tripped
    }

    /// The work to enqueue on reset: what was recorded, or the breaker's own work item
    /// if nothing was (the key alone says what to run).
    pub fn work_to_reenqueue(&self) -> Vec<String> {
        if self.pending_work.is_empty() {
            vec![crate::ingest::WorkItem::for_breaker(&self.key).to_body()]
        } else {
            self.pending_work.clone()
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn an_expired_lockout_reads_closed_even_though_the_item_remains() {
        let state = BreakerState {
            attempt_count: 3,
            circuit_breaker_tripped: true,
            circuit_breaker_until: Some(at("2025-11-05T12:00:00Z")),
            last_error: None,
        };
        assert!(state.is_open(at("2025-11-05T11:59:59Z")));
        assert!(!state.is_open(at("2025-11-05T12:00:00Z")));
        assert!(!state.is_open(at("2025-11-12T00:00:00Z")));
    }

    #[test]
    fn lockout_comes_from_configuration() {
        let now = at("2025-11-05T10:00:00Z");
        let two = BreakerSettings {
            lockout_hours: 2,
            max_attempts: 3,
        };
        let (until, ttl) = lockout(&two, now);
        assert_eq!(until, at("2025-11-05T12:00:00Z"));
        assert_eq!(ttl, (until + RETENTION_AFTER_LOCKOUT).timestamp());
        let (until, _) = lockout(&BreakerSettings::default(), now);
        assert_eq!(until, at("2025-11-06T10:00:00Z"));
    }

    #[test]
    fn a_reset_enqueues_the_recorded_work_or_else_the_breakers_own() {
        let key = BreakerKey {
            processor_name: ProcessorName::PlayerDailyCache,
            entity_id: "player#lebronjames".into(),
            analysis_date: "2024-11-08".parse().unwrap(),
        };
        let mut breaker = TrippedBreaker {
            key: key.clone(),
            state: BreakerState::default(),
            trip_count: 1,
            pending_work: vec![],
        };
        let own = breaker.work_to_reenqueue();
        let parsed = crate::ingest::ProcessorMessage::parse(&own[0]).unwrap();
        assert!(
            matches!(parsed, crate::ingest::ProcessorMessage::Work(w) if w.breaker_key() == key)
        );
        breaker.pending_work = vec!["recorded".into()];
        assert_eq!(breaker.work_to_reenqueue(), vec!["recorded".to_string()]);
    }

    #[test]
    fn processor_names_read_back_from_their_stored_form() {
        for p in ProcessorName::ALL {
            assert_eq!(ProcessorName::from_name(p.as_str()), Some(p));
        }
        assert_eq!(ProcessorName::from_name("player_daily"), None);
    }

    #[test]
    fn a_never_tripped_breaker_is_closed() {
        assert!(!BreakerState::default().is_open(Utc::now()));
    }
}
