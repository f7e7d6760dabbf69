//! A work item run under its entity's circuit breaker: skipped and recorded while the
//! breaker is open, run otherwise; a failure for the entity is counted, and the one
//! that trips the breaker publishes `Circuit Breaker Tripped`.

use chrono::{DateTime, Utc};

use super::{Done, Processor, ProcessorTally, RecordResult};
use crate::domain::breaker::BREAKER_TRIPPED;
use crate::domain::prediction_request::PredictionRequest;
use crate::domain::processors::{self, ProcessorError, ProcessorOutput};
use crate::model::{BreakerKey, BreakerState, ProcessorName, WorkItem, canonical_timestamp};
use crate::ports::{
    BreakerStore, Destination, EventPublisher, FailureOutcome, FeatureSink, FeatureSource,
    GameDataStore,
};

impl<G, B, F, Q, E> Processor<G, B, F, Q, E>
where
    G: GameDataStore,
    B: BreakerStore,
    F: FeatureSink + FeatureSource,
    E: EventPublisher,
{
    /// Runs a work item unless its breaker is open; counts a failure for its entity on
    /// the breaker.
    pub(super) async fn work(
        &self,
        work: &WorkItem,
        state: Option<&BreakerState>,
        now: DateTime<Utc>,
    ) -> RecordResult {
        let key = work.breaker_key();
        if let Some(open) = state.filter(|s| s.is_open(now)) {
            self.breakers
                .record_skipped(&key, &work.to_body(), now)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(breaker = %key, "breaker open: work skipped and recorded for the reset");
            let mut tally = ProcessorTally {
                work_skipped: 1,
                ..Default::default()
            };
            // The trip's event did not go out (its publish failed): it goes out now.
            if let (Some(trip), Some(until)) = (open.trip_event_pending, open.circuit_breaker_until)
            {
                let reason = open.last_error.as_deref().unwrap_or_default();
                self.publish_trip(&key, trip, open.attempt_count, until, reason)
                    .await?;
                tally.breakers_tripped = 1;
            }
            return Ok(tally.into());
        }
        match processors::run(&self.games, &self.features, work, now).await {
            Ok(output) => {
                self.features
                    .put_output(
                        &work.entity_id,
                        work.processor,
                        work.analysis_date,
                        &output.to_json(),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                if state.is_some_and(|s| s.attempt_count > 0) {
                    self.breakers
                        .clear_attempts(&key)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                let mut done = Done::from(ProcessorTally {
                    work_done: 1,
                    ..Default::default()
                });
                match output {
                    ProcessorOutput::DailyCache(_) => {
                        let next = WorkItem {
                            processor: ProcessorName::PlayerCompositeFactors,
                            ..work.clone()
                        };
                        done.follow_ups
                            .push((Destination::ProcessorQueue, next.to_body()));
                    }
                    ProcessorOutput::Composite(features) => {
                        let request = PredictionRequest {
                            player_lookup: features.player_lookup.clone(),
                            game_date: features.game_date,
                            generated_at: now,
                        };
                        done.follow_ups
                            .push((Destination::PredictionQueue, request.to_body()));
                    }
                    _ => {}
                }
                Ok(done)
            }
            Err(ProcessorError::Store(e)) => Err(e.to_string()),
            Err(ProcessorError::Incomplete(reason)) => self.failed(work, &key, &reason, now).await,
            Err(ProcessorError::NoGame(reason)) => {
                tracing::info!(breaker = %key, reason, "no game on the analysis date: work skipped, not failed");
                Ok(ProcessorTally {
                    work_no_game: 1,
                    ..Default::default()
                }
                .into())
            }
        }
    }

    /// Counts a failure for the entity: retried while the breaker stays closed, else
    /// recorded on the (now open) breaker and acknowledged.
    async fn failed(
        &self,
        work: &WorkItem,
        key: &BreakerKey,
        reason: &str,
        now: DateTime<Utc>,
    ) -> RecordResult {
        let outcome = self
            .breakers
            .record_failure(key, reason, &self.settings, now)
            .await
            .map_err(|e| e.to_string())?;
        let tripped = match outcome {
            FailureOutcome::Counted { attempts } => {
                return Err(format!(
                    "{} failed for {} ({attempts}/{} before the breaker trips): {reason}",
                    work.processor, work.entity_id, self.settings.max_attempts
                ));
            }
            FailureOutcome::Tripped {
                attempts,
                until,
                trip,
            } => Some((attempts, until, trip)),
            FailureOutcome::AlreadyOpen { .. } => None,
        };
        // Either way the breaker is open now: the work is recorded for the reset and
        // acknowledged, not retried. Recorded before the trip's event is published, so
        // a failed publish (retried through the breaker's pending flag) loses no work.
        self.breakers
            .record_skipped(key, &work.to_body(), now)
            .await
            .map_err(|e| e.to_string())?;
        if let Some((attempts, until, trip)) = tripped {
            tracing::warn!(breaker = %key, attempts, until = %until, reason, "circuit breaker tripped");
            self.publish_trip(key, trip, attempts, until, reason)
                .await?;
        }
        let tripped = tripped.is_some();
        Ok(ProcessorTally {
            work_failed: 1,
            breakers_tripped: u64::from(tripped),
            work_skipped: u64::from(!tripped),
            ..Default::default()
        }
        .into())
    }

    /// Publishes a trip's `Circuit Breaker Tripped` event, then marks it published. If
    /// the publish fails, the record fails and is retried; the redelivery finds the
    /// breaker open with the event pending and publishes it then.
    async fn publish_trip(
        &self,
        key: &BreakerKey,
        trip: u32,
        attempts: u32,
        until: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), String> {
        let detail = serde_json::json!({
            "processor_name": key.processor_name,
            "entity_id": key.entity_id,
            "analysis_date": key.analysis_date,
            "attempt_count": attempts,
            "trip_count": trip,
            "circuit_breaker_until": canonical_timestamp(until),
            "last_error": reason,
        });
        self.events
            .publish(BREAKER_TRIPPED, &detail)
            .await
            .map_err(|e| format!("publishing the trip of {key}: {e}"))?;
        self.breakers
            .trip_published(key, trip)
            .await
            .map_err(|e| e.to_string())
    }
}
