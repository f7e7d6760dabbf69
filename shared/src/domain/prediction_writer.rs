//! The prediction writer: a batch of prediction requests in, one current prediction
//! per (player_lookup, game_date, market) out.
//!
//! Per batch: every record is parsed on its own; the features and stored prop lines of
//! all valid requests are fetched in one BatchGetItem; each prediction is one
//! conditional PutItem, ordered by the inputs' times (`features_at`,
//! `line_snapshot_at`), so a request only says "price this player now". A record
//! fails alone (bad body, no features, a write error) and is reported in
//! `batchItemFailures`; SQS redelivers it and finally dead-letters it. Redelivering a
//! record whose writes partly landed is harmless: those writes come back as duplicates.

use std::collections::HashMap;

use futures::{StreamExt, stream};

use crate::config::WriterConfig;
use crate::domain::batch::BatchFailures;
use crate::domain::prediction::predictions_for;
use crate::domain::prediction_request::PredictionRequest;
use crate::metrics::Metrics;
use crate::model::{FeatureKey, Prediction, QueueMessage};
use crate::ports::{FeatureStore, PredictionStore, StoreError, WriteOutcome};

/// Rounds of writes per invocation: the first, then retries of what failed.
const WRITE_ROUNDS: u32 = 3;
/// Pause before a retry round, times the round number.
const WRITE_ROUND_BACKOFF: std::time::Duration = std::time::Duration::from_millis(200);

/// What one batch did, for logs, metrics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterTally {
    /// Records in the batch.
    pub records: u64,
    /// Records reported as failed.
    pub failed_records: u64,
    /// Predictions stored for a key that had none.
    pub created: u64,
    /// Older predictions replaced.
    pub replaced: u64,
    /// Writes suppressed because the same `generated_at` was stored (redelivery, replay).
    pub duplicates: u64,
    /// Writes ignored because a newer prediction was stored.
    pub stale: u64,
    /// Writes refused because a different prediction with the same `generated_at` was
    /// stored (the stored one is kept).
    pub payload_conflicts: u64,
}

impl std::ops::AddAssign for WriterTally {
    fn add_assign(&mut self, o: WriterTally) {
        self.records += o.records;
        self.failed_records += o.failed_records;
        self.created += o.created;
        self.replaced += o.replaced;
        self.duplicates += o.duplicates;
        self.stale += o.stale;
        self.payload_conflicts += o.payload_conflicts;
    }
}

impl WriterTally {
    fn add(&mut self, outcome: WriteOutcome) {
        match outcome {
            WriteOutcome::Created => self.created += 1,
            WriteOutcome::Replaced => self.replaced += 1,
            WriteOutcome::Duplicate => self.duplicates += 1,
            WriteOutcome::Stale => self.stale += 1,
            WriteOutcome::PayloadConflict => self.payload_conflicts += 1,
            WriteOutcome::Concurrent => {}
        }
    }

    /// The tally as EMF counters.
    pub fn metrics(&self, namespace: &str) -> Metrics {
        let mut m = Metrics::new(namespace, "prediction-writer");
        m.count("PredictionRequests", self.records);
        m.count("FailedRecords", self.failed_records);
        m.count("PredictionsCreated", self.created);
        m.count("PredictionsReplaced", self.replaced);
        m.count("DuplicatesSuppressed", self.duplicates);
        m.count("StaleWritesIgnored", self.stale);
        m.count("PayloadConflicts", self.payload_conflicts);
        m
    }
}

/// The writer, generic over its stores so the logic runs without AWS in unit tests.
#[derive(Debug, Clone)]
pub struct PredictionWriter<F, P> {
    features: F,
    predictions: P,
    model_version: String,
    metrics_namespace: String,
    write_concurrency: usize,
    max_future_skew: chrono::Duration,
}

impl<F: FeatureStore, P: PredictionStore> PredictionWriter<F, P> {
    /// Builds a writer over its stores with the configured model and concurrency.
    pub fn new(features: F, predictions: P, config: &WriterConfig) -> Self {
        Self {
            features,
            predictions,
            model_version: config.model_version.clone(),
            metrics_namespace: config.metrics_namespace.clone(),
            write_concurrency: config.write_concurrency,
            max_future_skew: config.max_future_skew,
        }
    }

    /// The EMF namespace of this writer's metrics.
    pub fn metrics_namespace(&self) -> &str {
        &self.metrics_namespace
    }

    /// Handles one batch: returns the records that failed and what the batch did.
    pub async fn write_batch(&self, messages: &[QueueMessage]) -> (BatchFailures, WriterTally) {
        let mut tally = WriterTally {
            records: messages.len() as u64,
            ..WriterTally::default()
        };
        let mut failures = BatchFailures::default();

        let now = chrono::Utc::now();
        let mut requests = Vec::with_capacity(messages.len());
        for message in messages {
            let id = message.message_id.as_str();
            match PredictionRequest::parse_at(&message.body, now, self.max_future_skew) {
                Ok(request) => requests.push((id, request)),
                Err(e) => failures.fail(id, format!("invalid prediction request: {e}")),
            }
        }

        let keys: Vec<FeatureKey> = requests
            .iter()
            .map(|(_, r)| FeatureKey {
                player_lookup: r.player_lookup.clone(),
                game_date: r.game_date,
            })
            .collect();
        let features = if keys.is_empty() {
            HashMap::new()
        } else {
            match self.features.get_many(&keys).await {
                Ok(found) => found,
                // One bad key or one failed request must not fail every record: read
                // them one by one, so only the records whose own read fails are retried.
                Err(e) => {
                    tracing::warn!(error = %e, "batch features read failed; reading record by record");
                    let mut found = HashMap::new();
                    for ((id, _), key) in requests.iter().zip(&keys) {
                        match self.features.get_many(std::slice::from_ref(key)).await {
                            Ok(one) => found.extend(one),
                            Err(e) => failures.fail(id, format!("feature lookup failed: {e}")),
                        }
                    }
                    found
                }
            }
        };

        let mut writes = Vec::new();
        for ((id, request), key) in requests.iter().zip(&keys) {
            if failures.has_failed(id) {
                continue;
            }
            match features.get(key) {
                Some(inputs) => writes.extend(
                    predictions_for(request, inputs, &self.model_version, now)
                        .into_iter()
                        .map(|p| (*id, p)),
                ),
                None => failures.fail(
                    id,
                    format!(
                        "no player features for {} on {} yet",
                        request.player_lookup, request.game_date
                    ),
                ),
            }
        }

        // A write that fails (throttled past the SDK's retries, a timeout) is tried again
        // in a later round before its record is given up, so a record rarely leaves the
        // invocation with only some of its markets written.
        for round in 1..=WRITE_ROUNDS {
            if writes.is_empty() {
                break;
            }
            if round > 1 {
                tokio::time::sleep(WRITE_ROUND_BACKOFF * round).await;
            }
            let mut retry = Vec::new();
            for (id, prediction, result) in self.put_all(writes).await {
                match result {
                    // Read while features and line both changed: the redelivery's fresh
                    // read sees both, and its write dominates both.
                    Ok(WriteOutcome::Concurrent) => failures.fail(
                        id,
                        format!(
                            "{}: a concurrent write used other inputs; retrying with a fresh read",
                            prediction.prediction_key
                        ),
                    ),
                    Ok(outcome) => {
                        log_outcome(id, &prediction, outcome);
                        tally.add(outcome);
                    }
                    Err(e) if round < WRITE_ROUNDS => {
                        tracing::info!(message_id = id, prediction_key = %prediction.prediction_key, error = %e, round, "write failed; trying again");
                        retry.push((id, prediction));
                    }
                    Err(e) => {
                        failures.fail(id, format!("writing {}: {e}", prediction.prediction_key))
                    }
                }
            }
            writes = retry;
        }

        tally.failed_records = failures.len() as u64;
        (failures, tally)
    }

    /// Writes every prediction, a few at a time, and returns each one's result.
    async fn put_all<'a>(
        &self,
        writes: Vec<(&'a str, Prediction)>,
    ) -> Vec<(&'a str, Prediction, Result<WriteOutcome, StoreError>)> {
        // Futures built in a loop, not a closure: a closure over borrowed ids makes the
        // handler's future fail the `Send` check that spawning it needs.
        let store = &self.predictions;
        let mut pending = Vec::with_capacity(writes.len());
        for (id, prediction) in writes {
            pending.push(async move {
                let result = store.put_if_newer(&prediction).await;
                (id, prediction, result)
            });
        }
        stream::iter(pending)
            .buffer_unordered(self.write_concurrency)
            .collect()
            .await
    }
}

/// Logs the outcomes an operator may want to look into.
fn log_outcome(message_id: &str, prediction: &Prediction, outcome: WriteOutcome) {
    match outcome {
        WriteOutcome::Stale => tracing::info!(
            message_id,
            player_lookup = %prediction.player_lookup,
            prediction_key = %prediction.prediction_key,
            features_at = %prediction.features_at,
            line_snapshot_at = ?prediction.line_snapshot_at,
            "stale prediction ignored: one from newer inputs is stored"
        ),
        WriteOutcome::PayloadConflict => tracing::warn!(
            message_id,
            player_lookup = %prediction.player_lookup,
            prediction_key = %prediction.prediction_key,
            features_at = %prediction.features_at,
            payload_hash = %prediction.payload_hash,
            "payload conflict: a different prediction from the same inputs is stored; kept the stored one"
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    //! The writer's record-level logic with in-memory stores; the conditional-write
    //! semantics themselves are tested against DynamoDB Local in `tests/`.
    use super::*;
    use crate::model::{Market, PlayerGameFeatures, Prediction, PredictionInputs, PropLine};
    use crate::ports::StoreError;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Features and lines in memory; with `fail_batches`, any read of more than one key
    /// fails, as a BatchGetItem refused for one bad key would.
    struct Features {
        stored: HashMap<FeatureKey, PredictionInputs>,
        fail_batches: bool,
    }
    impl FeatureStore for Features {
        async fn get_many(
            &self,
            keys: &[FeatureKey],
        ) -> Result<HashMap<FeatureKey, PredictionInputs>, StoreError> {
            if self.fail_batches && keys.len() > 1 {
                return Err(StoreError::new("BatchGetItem features", "injected"));
            }
            Ok(keys
                .iter()
                .filter_map(|k| self.stored.get(k).map(|f| (k.clone(), f.clone())))
                .collect())
        }
    }

    /// Predictions in memory, keyed as the table is, ordered as the table's condition
    /// orders them; the first `fail_first` writes fail as throttled writes would.
    #[derive(Default)]
    struct Predictions {
        stored: Mutex<HashMap<String, Prediction>>,
        fail_first: AtomicU32,
    }
    impl PredictionStore for Predictions {
        async fn put_if_newer(&self, p: &Prediction) -> Result<WriteOutcome, StoreError> {
            if self
                .fail_first
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(StoreError::new("PutItem predictions", "injected throttle"));
            }
            let mut m = self.stored.lock().unwrap();
            let key = format!("{}|{}", p.player_lookup, p.prediction_key);
            let version = |x: &Prediction| (x.features_at.clone(), x.line_snapshot_at.clone());
            Ok(match m.get(&key) {
                Some(old) if version(old) == version(p) => {
                    if old.payload_hash == p.payload_hash {
                        WriteOutcome::Duplicate
                    } else {
                        WriteOutcome::PayloadConflict
                    }
                }
                Some(old)
                    if old.features_at > p.features_at
                        || old.line_snapshot_at > p.line_snapshot_at =>
                {
                    WriteOutcome::Stale
                }
                old => {
                    let replaced = old.is_some();
                    m.insert(key, p.clone());
                    if replaced {
                        WriteOutcome::Replaced
                    } else {
                        WriteOutcome::Created
                    }
                }
            })
        }
    }

    fn writer_with(fail_batches: bool, fail_first: u32) -> PredictionWriter<Features, Predictions> {
        let mut stored = HashMap::new();
        for lookup in ["lebronjames", "anthonydavis"] {
            let mut features = PlayerGameFeatures::example();
            features.player_lookup = lookup.into();
            let key = FeatureKey {
                player_lookup: features.player_lookup.clone(),
                game_date: features.game_date,
            };
            let lines = [(
                Market::Points,
                PropLine::example(lookup, Market::Points, 22.5),
            )]
            .into();
            stored.insert(key, PredictionInputs { features, lines });
        }
        let cfg = WriterConfig::from_source(&[("PREDICTIONS_TABLE", "p"), ("FEATURES_TABLE", "f")])
            .unwrap();
        PredictionWriter::new(
            Features {
                stored,
                fail_batches,
            },
            Predictions {
                fail_first: AtomicU32::new(fail_first),
                ..Predictions::default()
            },
            &cfg,
        )
    }

    fn writer() -> PredictionWriter<Features, Predictions> {
        writer_with(false, 0)
    }

    fn batch(bodies: &[(&str, &str)]) -> Vec<QueueMessage> {
        bodies
            .iter()
            .map(|(id, body)| QueueMessage::new(*id, *body))
            .collect()
    }

    fn failed_ids(failures: BatchFailures) -> Vec<String> {
        failures
            .into_failed()
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    const GOOD: &str = r#"{"player_lookup":"lebronjames","game_date":"2025-11-05","generated_at":"2025-11-05T14:00:00Z"}"#;

    #[tokio::test]
    async fn given_one_bad_record_when_handled_then_only_it_fails() {
        let w = writer();
        let (failures, tally) = w
            .write_batch(&batch(&[
                ("ok", GOOD),
                ("bad", "{not json"),
                ("nofeatures", &GOOD.replace("lebronjames", "nobody")),
            ]))
            .await;
        assert_eq!(failed_ids(failures), ["bad", "nofeatures"]);
        assert_eq!(tally.created, 3);
        assert_eq!(tally.failed_records, 2);
    }

    #[tokio::test]
    async fn the_stored_line_is_carried_with_its_provenance() {
        let w = writer();
        w.write_batch(&batch(&[("a", GOOD)])).await;
        let stored = w.predictions.stored.lock().unwrap();
        let points = &stored["lebronjames|2025-11-05#points"];
        assert_eq!(points.line, Some(22.5));
        assert_eq!(points.line_source, crate::model::LineSource::ActualProp);
        assert_eq!(points.bookmaker.as_deref(), Some("draftkings"));
        assert_eq!(
            (points.over_odds, points.under_odds),
            (Some(-110), Some(-110))
        );
        let rebounds = &stored["lebronjames|2025-11-05#rebounds"];
        assert_eq!(rebounds.line_source, crate::model::LineSource::NoPropLine);
        assert_eq!(
            rebounds.recommendation,
            crate::model::Recommendation::NoLine
        );
    }

    #[tokio::test]
    async fn given_a_redelivery_or_a_later_request_on_the_same_inputs_then_nothing_changes() {
        let w = writer();
        let (_, first) = w.write_batch(&batch(&[("a", GOOD)])).await;
        let (failures, again) = w.write_batch(&batch(&[("a", GOOD)])).await;
        assert!(failures.is_empty());
        assert_eq!((first.created, again.created, again.duplicates), (3, 0, 3));
        let later = GOOD.replace("14:00:00Z", "15:00:00Z");
        let (_, later) = w.write_batch(&batch(&[("b", &later)])).await;
        assert_eq!((later.replaced, later.duplicates), (0, 3));
    }

    #[tokio::test]
    async fn given_a_failed_batch_read_when_handled_then_records_are_read_one_by_one() {
        // GIVEN a features store whose multi-key reads fail
        let w = writer_with(true, 0);
        // WHEN a batch of two good records and one without features is handled
        let (failures, tally) = w
            .write_batch(&batch(&[
                ("a", GOOD),
                ("b", &GOOD.replace("lebronjames", "anthonydavis")),
                ("c", &GOOD.replace("lebronjames", "nobody")),
            ]))
            .await;
        // THEN only the record without features fails
        assert_eq!(failed_ids(failures), ["c"]);
        assert_eq!(tally.created, 6);
    }

    #[tokio::test]
    async fn given_failed_writes_when_handled_then_they_are_retried_within_the_invocation() {
        // GIVEN a store whose first two writes fail
        let w = writer_with(false, 2);
        // WHEN one request (three markets) is handled
        let (failures, tally) = w.write_batch(&batch(&[("a", GOOD)])).await;
        // THEN every market is written and the record succeeds
        assert!(failures.is_empty());
        assert_eq!(tally.created, 3);
        // AND a store that keeps failing gives the record up after the last round
        let w = writer_with(false, 3 * WRITE_ROUNDS);
        let (failures, tally) = w.write_batch(&batch(&[("a", GOOD)])).await;
        assert_eq!(failed_ids(failures), ["a"]);
        assert_eq!(tally.created, 0);
    }

    #[tokio::test]
    async fn the_same_inputs_priced_by_another_model_are_a_conflict_not_a_duplicate() {
        let w = writer();
        w.write_batch(&batch(&[("a", GOOD)])).await;
        let mut other = writer();
        other.predictions = Predictions {
            stored: Mutex::new(w.predictions.stored.lock().unwrap().clone()),
            ..Predictions::default()
        };
        other.model_version = "other-model".into();
        let (failures, tally) = other.write_batch(&batch(&[("b", GOOD)])).await;
        assert!(failures.is_empty());
        assert_eq!(tally.payload_conflicts, 3);
    }
}
