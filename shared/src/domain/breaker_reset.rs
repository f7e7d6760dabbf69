//! Resetting tripped breakers whose entity has its data now: one code path for the
//! morning completeness check, the processor right after it stores a late box score,
//! and the operators' `nba-props breakers reset`.
//!
//! A breaker is ready when its work's inputs are all stored, judged by the same check
//! its processor fails on ([`processors::missing_inputs`]). A reset is conditional (a
//! breaker that tripped again since it was read is left alone), then the recorded work
//! is enqueued, then forgotten: a run that stops in between leaves the breaker cleared
//! but still indexed with its work, and the next run enqueues it.

use chrono::{DateTime, NaiveDate, Utc};
use futures::{StreamExt, TryStreamExt, stream};

use crate::domain::processors;
use crate::model::{TrippedBreaker, WorkItem};
use crate::ports::{
    BreakerResets, Destination, GameDataStore, MessageSender, ResetOutcome, StoreError,
};

/// Breaker reads and input checks kept in flight at once.
const CONCURRENCY: usize = 8;

/// Tripped breakers sorted by whether their entity's inputs are complete now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Judged {
    /// Inputs complete (or cleared by an interrupted run, awaiting re-enqueue), by key.
    pub ready: Vec<TrippedBreaker>,
    /// Still missing data, each with the reason it would still fail; they stay tripped.
    pub still_tripped: Vec<(TrippedBreaker, String)>,
}

impl Judged {
    /// Ready breakers that still need clearing (not those an interrupted run cleared).
    pub fn ready_to_reset(&self) -> u32 {
        self.ready
            .iter()
            .filter(|b| !b.awaiting_reenqueue())
            .count() as u32
    }

    /// The work a reset of the ready breakers would enqueue.
    pub fn work_to_reenqueue(&self) -> u32 {
        self.ready
            .iter()
            .map(|b| b.work_to_reenqueue().len() as u32)
            .sum()
    }
}

/// What a reset did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResetDone {
    /// Breakers cleared by this call.
    pub reset: u32,
    /// Work items enqueued again.
    pub reenqueued: u32,
}

/// The ports a reset reads and writes.
#[derive(Debug, Clone, Copy)]
pub struct BreakerReset<'a, G, B, Q> {
    /// Game data, to judge the inputs.
    pub games: &'a G,
    /// The breakers.
    pub breakers: &'a B,
    /// The processor queue, for the recorded work.
    pub queues: &'a Q,
}

impl<G, B, Q> BreakerReset<'_, G, B, Q>
where
    G: GameDataStore,
    B: BreakerResets,
    Q: MessageSender,
{
    /// Sorts tripped breakers into ready and still tripped (logging each of these with
    /// why it still waits).
    pub async fn judge(&self, tripped: Vec<TrippedBreaker>) -> Result<Judged, StoreError> {
        let judged: Vec<(TrippedBreaker, Option<String>)> = stream::iter(tripped)
            .map(|b| async move {
                if b.awaiting_reenqueue() {
                    return Ok((b, None));
                }
                let work = WorkItem::for_breaker(&b.key);
                let missing = processors::missing_inputs(self.games, &work).await?;
                Ok::<_, StoreError>((b, missing))
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let mut out = Judged::default();
        for (b, missing) in judged {
            match missing {
                None => out.ready.push(b),
                Some(reason) => {
                    tracing::info!(breaker = %b.key, reason, "breaker stays tripped: data still missing");
                    out.still_tripped.push((b, reason));
                }
            }
        }
        out.ready.sort_by(|a, b| a.key.cmp(&b.key));
        out.still_tripped.sort_by(|a, b| a.0.key.cmp(&b.0.key));
        Ok(out)
    }

    /// Clears each ready breaker (conditionally), enqueues the work of those cleared,
    /// then forgets that work.
    pub async fn reset(
        &self,
        ready: &[TrippedBreaker],
        now: DateTime<Utc>,
    ) -> Result<ResetDone, StoreError> {
        let outcomes: Vec<(&TrippedBreaker, bool)> = stream::iter(ready)
            .map(|b| async move {
                if b.awaiting_reenqueue() {
                    return Ok((b, false));
                }
                match self.breakers.reset(b, now).await? {
                    ResetOutcome::Reset => Ok((b, true)),
                    ResetOutcome::Changed => {
                        tracing::info!(breaker = %b.key, "breaker changed since it was read; left for the next check");
                        Ok::<_, StoreError>((b, false))
                    }
                }
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let cleared: Vec<&TrippedBreaker> = outcomes
            .iter()
            .filter(|(b, reset)| *reset || b.awaiting_reenqueue())
            .map(|(b, _)| *b)
            .collect();
        let reset = outcomes.iter().filter(|(_, reset)| *reset).count() as u32;
        let bodies: Vec<String> = cleared.iter().flat_map(|b| b.work_to_reenqueue()).collect();
        self.queues
            .send_all(Destination::ProcessorQueue, &bodies)
            .await?;
        for b in &cleared {
            tracing::info!(breaker = %b.key, "breaker reset; its work is enqueued again");
        }
        stream::iter(&cleared)
            .map(|b| self.breakers.finish_reset(b))
            .buffer_unordered(CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(ResetDone {
            reset,
            reenqueued: bodies.len() as u32,
        })
    }

    /// Right after a game's box score is stored: resets the breakers it held, those
    /// of later analysis dates whose last failure names this game, once their inputs
    /// are complete. One Scan of the sparse tripped index, then the usual judgement;
    /// a breaker still waiting for another game stays for the morning check.
    pub async fn after_box_score(
        &self,
        game_id: &str,
        game_date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<ResetDone, StoreError> {
        let held: Vec<TrippedBreaker> = self
            .breakers
            .tripped_all()
            .await?
            .into_iter()
            .filter(|b| b.key.analysis_date > game_date && waits_for(b, game_id))
            .collect();
        if held.is_empty() {
            return Ok(ResetDone::default());
        }
        let judged = self.judge(held).await?;
        self.reset(&judged.ready, now).await
    }
}

/// Whether the breaker's last failure was this game's missing box score (the
/// processors name the game in it), or it was cleared and awaits its re-enqueue.
fn waits_for(b: &TrippedBreaker, game_id: &str) -> bool {
    b.awaiting_reenqueue()
        || b.state
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains(game_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BreakerKey, BreakerState, ProcessorName};

    fn breaker(error: Option<&str>, tripped: bool) -> TrippedBreaker {
        TrippedBreaker {
            key: BreakerKey {
                processor_name: ProcessorName::PlayerDailyCache,
                entity_id: "player#jalenbrunson".into(),
                analysis_date: "2025-11-05".parse().unwrap(),
            },
            state: BreakerState {
                circuit_breaker_tripped: tripped,
                last_error: error.map(str::to_string),
                ..BreakerState::default()
            },
            trip_count: 1,
            pending_work: vec![],
            expires_at: None,
        }
    }

    #[test]
    fn a_box_score_considers_the_breakers_whose_failure_names_its_game() {
        let named = breaker(
            Some("inputs incomplete: NYK's game 0022500123 on 2025-11-03 has no box score yet"),
            true,
        );
        assert!(waits_for(&named, "0022500123"));
        assert!(!waits_for(&named, "0022500124"));
        assert!(!waits_for(&breaker(None, true), "0022500123"));
        // Cleared by an interrupted reset: whatever it waited for, its work is due.
        assert!(waits_for(&breaker(None, false), "0022500124"));
    }
}
