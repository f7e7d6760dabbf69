//! The `prediction-writer` function: an SQS batch of prediction requests in, the
//! partial batch response out (`domain::prediction_writer` does the work).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

use super::sqs_batch::{BatchError, batch_response, queue_messages};
use crate::domain::prediction_writer::{PredictionWriter, WriterTally};
use crate::ports::{FeatureStore, PredictionStore};

/// Handles one batch and returns the response with what the batch did.
pub async fn handle_batch<F: FeatureStore, P: PredictionStore>(
    writer: &PredictionWriter<F, P>,
    event: SqsEvent,
) -> (Result<SqsBatchResponse, BatchError>, WriterTally) {
    let size = event.records.len();
    let messages = match queue_messages(event) {
        Ok(messages) => messages,
        Err(e) => {
            let refused = WriterTally {
                records: size as u64,
                failed_records: size as u64,
                ..WriterTally::default()
            };
            return (Err(e), refused);
        }
    };
    let (failures, tally) = writer.write_batch(&messages).await;
    (batch_response(failures, size), tally)
}

/// The Lambda entry point: handles the batch, logs one summary line and emits the EMF
/// metrics.
pub async fn handle_event<F: FeatureStore, P: PredictionStore>(
    writer: &PredictionWriter<F, P>,
    event: SqsEvent,
) -> Result<SqsBatchResponse, BatchError> {
    let (response, tally) = handle_batch(writer, event).await;
    tracing::info!(
        records = tally.records,
        failed_records = tally.failed_records,
        created = tally.created,
        replaced = tally.replaced,
        duplicates_suppressed = tally.duplicates,
        stale_writes_ignored = tally.stale,
        payload_conflicts = tally.payload_conflicts,
        "prediction batch done"
    );
    tally.metrics(writer.metrics_namespace()).emit();
    response
}
