//! The `processor` function: an SQS batch of schedules, box scores, shot charts and
//! work items in, the partial batch response out (`domain::processor` does the work).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};

use super::sqs_batch::{BatchError, batch_response, queue_messages};
use crate::domain::processor::{Processor, ProcessorTally};
use crate::ports::{
    BreakerResets, BreakerStore, EventPublisher, FeatureSink, FeatureSource, GameDataStore,
    MessageSender, PropLineStore,
};

/// Handles one batch at `now` and returns the response with what the batch did.
pub async fn handle_batch<G, B, F, Q, E>(
    processor: &Processor<G, B, F, Q, E>,
    event: SqsEvent,
    now: DateTime<Utc>,
) -> (Result<SqsBatchResponse, BatchError>, ProcessorTally)
where
    G: GameDataStore,
    B: BreakerStore + BreakerResets,
    F: FeatureSink + FeatureSource + PropLineStore,
    Q: MessageSender,
    E: EventPublisher,
{
    let size = event.records.len();
    let messages = match queue_messages(event) {
        Ok(messages) => messages,
        Err(e) => {
            let refused = ProcessorTally {
                records: size as u64,
                failed_records: size as u64,
                ..ProcessorTally::default()
            };
            return (Err(e), refused);
        }
    };
    let (failures, tally) = processor.process_batch(&messages, now).await;
    (batch_response(failures, size), tally)
}

/// The Lambda entry point: handles the batch, logs a summary line, emits EMF.
pub async fn handle_event<G, B, F, Q, E>(
    processor: &Processor<G, B, F, Q, E>,
    event: SqsEvent,
) -> Result<SqsBatchResponse, BatchError>
where
    G: GameDataStore,
    B: BreakerStore + BreakerResets,
    F: FeatureSink + FeatureSource + PropLineStore,
    Q: MessageSender,
    E: EventPublisher,
{
    let (response, tally) = handle_batch(processor, event, Utc::now()).await;
    tracing::info!(
        records = tally.records,
        failed_records = tally.failed_records,
        work_done = tally.work_done,
        work_failed = tally.work_failed,
        work_skipped = tally.work_skipped,
        breakers_tripped = tally.breakers_tripped,
        work_enqueued = tally.work_enqueued,
        predictions_requested = tally.predictions_requested,
        "processor batch done"
    );
    tally.metrics(&processor.metrics_namespace).emit();
    response
}
