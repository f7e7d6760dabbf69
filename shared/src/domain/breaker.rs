//! Per-entity circuit breakers: one per (processor, entity, analysis date).
//!
//! A work item that fails for its entity counts a failure. After
//! `CIRCUIT_BREAKER_MAX_ATTEMPTS` failures the breaker trips, and it stays open until
//! `circuit_breaker_until` = trip time + `CIRCUIT_BREAKER_ENTITY_LOCKOUT_HOURS`. Openness is
//! always judged from that timestamp: DynamoDB's TTL only collects the item some time
//! later (up to days), so an item that is still there may well be closed.

use chrono::{DateTime, Utc};

use crate::model::{BreakerSettings, BreakerState, TrippedBreaker, WorkItem};

/// Detail-type of the event published when a breaker trips.
pub const BREAKER_TRIPPED: &str = "Circuit Breaker Tripped";

/// How long a breaker item is kept after its lockout ends, for operators to read,
/// before TTL may collect it.
pub const RETENTION_AFTER_LOCKOUT: chrono::Duration = chrono::Duration::days(7);

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
            vec![WorkItem::for_breaker(&self.key).to_body()]
        } else {
            self.pending_work.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::processor_message::ProcessorMessage;
    use crate::model::{BreakerKey, ProcessorName};

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
            trip_event_pending: None,
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
            expires_at: None,
        };
        let own = breaker.work_to_reenqueue();
        let parsed = ProcessorMessage::parse(&own[0]).unwrap();
        assert!(matches!(parsed, ProcessorMessage::Work(w) if w.breaker_key() == key));
        breaker.pending_work = vec!["recorded".into()];
        assert_eq!(breaker.work_to_reenqueue(), vec!["recorded".to_string()]);
    }

    #[test]
    fn a_never_tripped_breaker_is_closed() {
        assert!(!BreakerState::default().is_open(Utc::now()));
    }
}
