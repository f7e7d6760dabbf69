//! The `backfill` function: an SQS batch of `Backfill Requested` events in, the partial
//! batch response out (`domain::backfill` does the work).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};

use super::sqs_batch::{BatchError, batch_response, queue_messages};
use crate::domain::backfill::{BackfillTally, Backfiller};
use crate::ports::{BackfillLedger, BoxScoreSource, EventPublisher};

/// Handles one batch at `now` and returns the response with what the batch did.
pub async fn handle_batch<L, S, E>(
    backfiller: &Backfiller<L, S, E>,
    event: SqsEvent,
    now: DateTime<Utc>,
) -> (Result<SqsBatchResponse, BatchError>, BackfillTally)
where
    L: BackfillLedger,
    S: BoxScoreSource,
    E: EventPublisher,
{
    let size = event.records.len();
    let messages = match queue_messages(event) {
        Ok(messages) => messages,
        Err(e) => {
            let refused = BackfillTally {
                records: size as u64,
                failed_records: size as u64,
                ..BackfillTally::default()
            };
            return (Err(e), refused);
        }
    };
    let (failures, tally) = backfiller.process_batch(&messages, now).await;
    (batch_response(failures, size), tally)
}

/// The Lambda entry point: handles the batch, logs a summary line, emits EMF.
pub async fn handle_event<L, S, E>(
    backfiller: &Backfiller<L, S, E>,
    event: SqsEvent,
) -> Result<SqsBatchResponse, BatchError>
where
    L: BackfillLedger,
    S: BoxScoreSource,
    E: EventPublisher,
{
    let (response, tally) = handle_batch(backfiller, event, Utc::now()).await;
    tracing::info!(
        records = tally.records,
        failed_records = tally.failed_records,
        fetched = tally.fetched,
        published = tally.published,
        refused = tally.refused,
        cooling_down = tally.cooling_down,
        given_up = tally.given_up,
        "backfill batch done"
    );
    tally.metrics(&backfiller.metrics_namespace).emit();
    response
}
