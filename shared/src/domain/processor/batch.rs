//! The processor's batch loop: parse every record on its own, read every breaker the
//! batch touches at once, handle the records a few at a time, then send the follow-up
//! messages of the whole batch together.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::{StreamExt, stream};

use super::{Processor, ProcessorTally, RecordResult};
use crate::domain::batch::BatchFailures;
use crate::domain::processor_message::ProcessorMessage;
use crate::model::{BreakerKey, BreakerState, QueueMessage};
use crate::ports::{
    BreakerResets, BreakerStore, Destination, EventPublisher, FeatureSink, FeatureSource,
    GameDataStore, MessageSender, PropLineStore,
};

/// Records of a batch in flight at once; the per-record work is mostly waiting on
/// DynamoDB.
const RECORD_CONCURRENCY: usize = 8;

impl<G, B, F, Q, E> Processor<G, B, F, Q, E>
where
    G: GameDataStore,
    B: BreakerStore + BreakerResets,
    F: FeatureSink + FeatureSource + PropLineStore,
    Q: MessageSender,
    E: EventPublisher,
{
    /// Handles one batch at `now`: returns the records that failed and what the batch
    /// did.
    pub async fn process_batch(
        &self,
        records: &[QueueMessage],
        now: DateTime<Utc>,
    ) -> (BatchFailures, ProcessorTally) {
        let mut tally = ProcessorTally {
            records: records.len() as u64,
            ..ProcessorTally::default()
        };
        let mut failures = BatchFailures::default();
        let mut messages = Vec::new();
        for record in records {
            let id = record.message_id.as_str();
            match ProcessorMessage::parse(&record.body) {
                Ok(m) => messages.push((id, m)),
                Err(e) => failures.fail(id, format!("invalid processor message: {e}")),
            }
        }

        // One read of every breaker this batch touches.
        let keys: Vec<BreakerKey> = messages
            .iter()
            .filter_map(|(_, m)| match m {
                ProcessorMessage::Work(w) => Some(w.breaker_key()),
                _ => None,
            })
            .collect();
        let (states, unread) = self.read_breakers(&keys).await;

        let mut pending = Vec::with_capacity(messages.len());
        for (id, message) in &messages {
            let (states, unread) = (&states, &unread);
            pending.push(async move {
                let result: RecordResult = match message {
                    ProcessorMessage::Schedule(s) => self.ingest_schedule(s).await,
                    ProcessorMessage::BoxScore(b) => self.ingest_box_score(b, now).await,
                    ProcessorMessage::ShotChart(c) => self.ingest_shot_chart(c).await,
                    ProcessorMessage::PropLines(l) => self.ingest_prop_lines(l, now).await,
                    ProcessorMessage::Work(w) => {
                        let key = w.breaker_key();
                        match unread.get(&key) {
                            Some(e) => Err(format!("breaker lookup failed: {e}")),
                            None => self.work(w, states.get(&key), now).await,
                        }
                    }
                };
                (*id, result)
            });
        }
        let results: Vec<_> = stream::iter(pending)
            .buffer_unordered(RECORD_CONCURRENCY)
            .collect()
            .await;
        // Follow-ups of the whole batch go out together, ten per SendMessageBatch; if
        // that fails, the records that asked for them are retried (their work is
        // idempotent).
        let mut follow_ups: HashMap<Destination, Vec<(&str, String)>> = HashMap::new();
        for (id, result) in results {
            match result {
                Ok(done) => {
                    tally += done.tally;
                    for (destination, body) in done.follow_ups {
                        follow_ups.entry(destination).or_default().push((id, body));
                    }
                }
                Err(reason) => failures.fail(id, reason),
            }
        }
        for (destination, messages) in follow_ups {
            let bodies: Vec<String> = messages.iter().map(|(_, b)| b.clone()).collect();
            match self.queues.send_all(destination, &bodies).await {
                Ok(()) => match destination {
                    Destination::ProcessorQueue => tally.work_enqueued += bodies.len() as u64,
                    Destination::PredictionQueue => {
                        tally.predictions_requested += bodies.len() as u64
                    }
                },
                Err(e) => {
                    for (id, _) in &messages {
                        failures.fail(id, format!("sending follow-up work: {e}"));
                    }
                }
            }
        }
        tally.failed_records = failures.len() as u64;
        (failures, tally)
    }

    /// Reads every breaker of the batch in one request. If that request fails (one bad
    /// key, a timeout), each is read on its own, so a key that cannot be read fails only
    /// its own record: returns the states found and the keys that could not be read.
    async fn read_breakers(
        &self,
        keys: &[BreakerKey],
    ) -> (
        HashMap<BreakerKey, BreakerState>,
        HashMap<BreakerKey, String>,
    ) {
        let mut unread = HashMap::new();
        if keys.is_empty() {
            return (HashMap::new(), unread);
        }
        match self.breakers.get_many(keys).await {
            Ok(states) => (states, unread),
            Err(e) => {
                tracing::warn!(error = %e, "batch breaker read failed; reading them one by one");
                let mut states = HashMap::new();
                for key in keys {
                    match self.breakers.get_many(std::slice::from_ref(key)).await {
                        Ok(one) => states.extend(one),
                        Err(e) => {
                            unread.insert(key.clone(), e.to_string());
                        }
                    }
                }
                (states, unread)
            }
        }
    }
}
