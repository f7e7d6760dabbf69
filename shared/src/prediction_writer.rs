//! The prediction writer: SQS batch of prediction requests in, one current prediction
//! per (player_lookup, game_date, market) out.
//!
//! Per batch: every record is parsed on its own; the features of all valid requests are
//! fetched in one BatchGetItem; each prediction is one conditional PutItem. A record
//! fails alone (bad body, no features, a write error) and is reported in
//! `batchItemFailures`; SQS redelivers it and finally dead-letters it. Redelivering a
//! record whose writes partly landed is harmless: those writes come back as duplicates.

use std::collections::HashMap;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use futures::{StreamExt, stream};

use crate::config::WriterConfig;
use crate::features::{FeatureKey, FeatureStore};
use crate::metrics::Metrics;
use crate::prediction::{PredictionRequest, PredictionStore, WriteOutcome, predictions_for};
use crate::sqs_batch::{BatchError, BatchFailures, message_ids};

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
}

impl std::ops::AddAssign for WriterTally {
    fn add_assign(&mut self, o: WriterTally) {
        self.records += o.records;
        self.failed_records += o.failed_records;
        self.created += o.created;
        self.replaced += o.replaced;
        self.duplicates += o.duplicates;
        self.stale += o.stale;
    }
}

impl WriterTally {
    fn add(&mut self, outcome: WriteOutcome) {
        match outcome {
            WriteOutcome::Created => self.created += 1,
            WriteOutcome::Replaced => self.replaced += 1,
            WriteOutcome::Duplicate => self.duplicates += 1,
            WriteOutcome::Stale => self.stale += 1,
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
        }
    }

    /// The Lambda entry point: handles the batch, logs one summary line and emits the
    /// EMF metrics.
    pub async fn handle_event(&self, event: SqsEvent) -> Result<SqsBatchResponse, BatchError> {
        let (response, tally) = self.handle(event).await;
        tracing::info!(
            records = tally.records,
            failed_records = tally.failed_records,
            created = tally.created,
            replaced = tally.replaced,
            duplicates_suppressed = tally.duplicates,
            stale_writes_ignored = tally.stale,
            "prediction batch done"
        );
        tally.metrics(&self.metrics_namespace).emit();
        response
    }

    /// Handles one batch and returns the response with what it did.
    pub async fn handle(
        &self,
        event: SqsEvent,
    ) -> (Result<SqsBatchResponse, BatchError>, WriterTally) {
        let records = event.records;
        let mut tally = WriterTally {
            records: records.len() as u64,
            ..WriterTally::default()
        };
        let ids = match message_ids(&records) {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "batch refused whole");
                tally.failed_records = tally.records;
                return (Err(e), tally);
            }
        };
        let mut failures = BatchFailures::default();

        let mut requests = Vec::with_capacity(records.len());
        for (id, record) in ids.iter().zip(&records) {
            match PredictionRequest::parse(record.body.as_deref().unwrap_or_default()) {
                Ok(request) => requests.push((id.as_str(), request)),
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
                Err(e) => {
                    for (id, _) in &requests {
                        failures.fail(id, format!("feature lookup failed: {e}"));
                    }
                    HashMap::new()
                }
            }
        };

        let now = chrono::Utc::now();
        let mut writes = Vec::new();
        for ((id, request), key) in requests.iter().zip(&keys) {
            if failures.has_failed(id) {
                continue;
            }
            match features.get(key) {
                Some(f) => writes.extend(
                    predictions_for(request, f, &self.model_version, now)
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
        let results: Vec<_> = stream::iter(pending)
            .buffer_unordered(self.write_concurrency)
            .collect()
            .await;
        for (id, prediction, result) in results {
            match result {
                Ok(outcome) => {
                    if outcome == WriteOutcome::Stale {
                        tracing::info!(
                            message_id = id,
                            player_lookup = %prediction.player_lookup,
                            prediction_key = %prediction.prediction_key,
                            generated_at = %prediction.generated_at,
                            "stale prediction ignored: a newer one is stored"
                        );
                    }
                    tally.add(outcome);
                }
                Err(e) => failures.fail(id, format!("writing {}: {e}", prediction.prediction_key)),
            }
        }

        tally.failed_records = failures.len() as u64;
        (failures.into_response(records.len()), tally)
    }
}

#[cfg(test)]
mod tests {
    //! The writer's record-level logic with in-memory stores; the conditional-write
    //! semantics themselves are tested against DynamoDB Local in `tests/`.
    use super::*;
    use crate::StoreError;
    use crate::features::PlayerGameFeatures;
    use crate::prediction::Prediction;
    use aws_lambda_events::event::sqs::SqsMessage;
    use std::sync::Mutex;

    struct Features(HashMap<FeatureKey, PlayerGameFeatures>);
    impl FeatureStore for Features {
        async fn get_many(
            &self,
            keys: &[FeatureKey],
        ) -> Result<HashMap<FeatureKey, PlayerGameFeatures>, StoreError> {
            Ok(keys
                .iter()
                .filter_map(|k| self.0.get(k).map(|f| (k.clone(), f.clone())))
                .collect())
        }
    }

    #[derive(Default)]
    struct Predictions(Mutex<HashMap<String, String>>);
    impl PredictionStore for Predictions {
        async fn put_if_newer(&self, p: &Prediction) -> Result<WriteOutcome, StoreError> {
            let mut m = self.0.lock().unwrap();
            let key = format!("{}|{}", p.player_lookup, p.prediction_key);
            Ok(match m.get(&key) {
                Some(g) if *g == p.generated_at => WriteOutcome::Duplicate,
                Some(g) if *g > p.generated_at => WriteOutcome::Stale,
                old => {
                    let replaced = old.is_some();
                    m.insert(key, p.generated_at.clone());
                    if replaced {
                        WriteOutcome::Replaced
                    } else {
                        WriteOutcome::Created
                    }
                }
            })
        }
    }

    fn writer() -> PredictionWriter<Features, Predictions> {
        let f = PlayerGameFeatures::example();
        let key = FeatureKey {
            player_lookup: f.player_lookup.clone(),
            game_date: f.game_date,
        };
        let cfg = WriterConfig::from_source(&[("PREDICTIONS_TABLE", "p"), ("FEATURES_TABLE", "f")])
            .unwrap();
        PredictionWriter::new(
            Features(HashMap::from([(key, f)])),
            Predictions::default(),
            &cfg,
        )
    }

    fn event(bodies: &[(&str, &str)]) -> SqsEvent {
        let mut e = SqsEvent::default();
        e.records = bodies
            .iter()
            .map(|(id, body)| {
                let mut m = SqsMessage::default();
                m.message_id = Some((*id).into());
                m.body = Some((*body).into());
                m
            })
            .collect();
        e
    }

    const GOOD: &str = r#"{"player_lookup":"lebronjames","game_date":"2025-11-05","generated_at":"2025-11-05T14:00:00Z","lines":{"points":22.5}}"#;

    #[tokio::test]
    async fn given_one_bad_record_when_handled_then_only_it_fails() {
        let w = writer();
        let (resp, tally) = w
            .handle(event(&[
                ("ok", GOOD),
                ("bad", "{not json"),
                ("nofeatures", &GOOD.replace("lebronjames", "nobody")),
            ]))
            .await;
        let ids: Vec<_> = resp
            .unwrap()
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        assert_eq!(ids, ["bad", "nofeatures"]);
        assert_eq!(tally.created, 3);
        assert_eq!(tally.failed_records, 2);
    }

    #[tokio::test]
    async fn given_a_redelivery_when_handled_then_writes_are_counted_as_duplicates() {
        let w = writer();
        let (_, first) = w.handle(event(&[("a", GOOD)])).await;
        let (resp, again) = w.handle(event(&[("a", GOOD)])).await;
        assert!(resp.unwrap().batch_item_failures.is_empty());
        assert_eq!((first.created, again.created, again.duplicates), (3, 0, 3));
    }
}
