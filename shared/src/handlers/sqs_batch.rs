//! SQS batches in and partial batch responses out, for the SQS-triggered functions.
//!
//! A record without a message id, or a batch in which every record failed, is answered
//! with an invocation error instead of a response: the records' fate is the same, but
//! Lambda backs off instead of polling again at full speed (as Powertools' batch
//! processor does). An empty `itemIdentifier` would fail the batch anyway.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use crate::domain::batch::BatchFailures;
use crate::model::QueueMessage;

/// A batch that cannot be answered record by record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// A record has no message id, so its failure could not be reported on its own
    /// (an empty `itemIdentifier` would fail the batch anyway).
    #[error("record {index} of the batch has no messageId")]
    MissingMessageId {
        /// Position in the batch.
        index: usize,
    },
    /// Every record failed: surfaced as an invocation error so Lambda backs off
    /// instead of polling again at full speed.
    #[error("all {count} records of the batch failed; first: {first_reason}")]
    AllFailed {
        /// Records in the batch.
        count: usize,
        /// Reason of the first failure.
        first_reason: String,
    },
}

/// The batch's records as the domain sees them, or an error naming the first record
/// without a message id (logged: the whole batch is refused).
pub fn queue_messages(event: SqsEvent) -> Result<Vec<QueueMessage>, BatchError> {
    event
        .records
        .into_iter()
        .enumerate()
        .map(|(index, r)| {
            let id = r
                .message_id
                .filter(|id| !id.is_empty())
                .ok_or(BatchError::MissingMessageId { index })?;
            Ok(QueueMessage::new(id, r.body.unwrap_or_default()))
        })
        .collect::<Result<_, _>>()
        .inspect_err(|e| tracing::error!(error = %e, "batch refused whole"))
}

/// The response for a batch of `batch_size` records: the failed ids, or an error when
/// every record of a non-empty batch failed.
pub fn batch_response(
    failures: BatchFailures,
    batch_size: usize,
) -> Result<SqsBatchResponse, BatchError> {
    let failed = failures.into_failed();
    if batch_size > 0 && failed.len() == batch_size {
        return Err(BatchError::AllFailed {
            count: batch_size,
            first_reason: failed[0].1.clone(),
        });
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|(id, _)| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::SqsMessage;

    fn record(id: Option<&str>) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = id.map(String::from);
        m
    }

    fn event(records: Vec<SqsMessage>) -> SqsEvent {
        let mut e = SqsEvent::default();
        e.records = records;
        e
    }

    #[test]
    fn only_failed_ids_are_reported() {
        let mut f = BatchFailures::default();
        f.fail("b", "bad json");
        f.fail("b", "again");
        let r = batch_response(f, 3).unwrap();
        let ids: Vec<_> = r
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(ids, ["b"]);
    }

    #[test]
    fn all_success_is_an_empty_list() {
        let r = batch_response(BatchFailures::default(), 2).unwrap();
        assert!(r.batch_item_failures.is_empty());
    }

    #[test]
    fn a_batch_where_everything_failed_is_an_invocation_error() {
        let mut f = BatchFailures::default();
        f.fail("a", "x");
        assert!(matches!(
            batch_response(f, 1),
            Err(BatchError::AllFailed { count: 1, .. })
        ));
    }

    #[test]
    fn a_record_without_id_is_refused_not_reported_empty() {
        assert_eq!(
            queue_messages(event(vec![record(Some("a")), record(Some(""))])),
            Err(BatchError::MissingMessageId { index: 1 })
        );
        let ids: Vec<String> = queue_messages(event(vec![record(Some("a"))]))
            .unwrap()
            .into_iter()
            .map(|m| m.message_id)
            .collect();
        assert_eq!(ids, ["a"]);
    }
}
