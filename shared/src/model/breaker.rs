//! Circuit-breaker records: the settings every function shares, a breaker's stored
//! state, and a tripped breaker as the reset sees it. The rules (when a breaker is
//! open, how long a lockout lasts) are in `domain::breaker`.

use chrono::{DateTime, Utc};

use super::ids::BreakerKey;

/// Default lockout after a breaker trips.
pub const DEFAULT_LOCKOUT_HOURS: u32 = 24;
/// Default failures before a breaker trips.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// Circuit-breaker settings shared by every function (read by `config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Hours an entity stays locked out after a trip (`CIRCUIT_BREAKER_ENTITY_LOCKOUT_HOURS`).
    pub lockout_hours: u32,
    /// Failures before the breaker trips (`CIRCUIT_BREAKER_MAX_ATTEMPTS`).
    pub max_attempts: u32,
}

impl BreakerSettings {
    /// The lockout as a duration.
    pub fn lockout(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.lockout_hours))
    }
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            lockout_hours: DEFAULT_LOCKOUT_HOURS,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
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
    /// The number of the trip whose `Circuit Breaker Tripped` event is not published
    /// yet (set by the trip, cleared once the event is out).
    pub trip_event_pending: Option<u32>,
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
    /// When DynamoDB's TTL may delete the item (`None` if the item has no TTL).
    pub expires_at: Option<DateTime<Utc>>,
}
