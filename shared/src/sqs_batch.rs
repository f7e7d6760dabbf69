//! Partial batch responses for SQS-triggered functions.
//!
//! Each record succeeds or fails on its own; only failed message ids are reported, so
//! SQS redelivers just those and, after `maxReceiveCount`, moves them to the DLQ.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsMessage};

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

/// The message id of every record, or an error naming the first record without one.
pub fn message_ids(records: &[SqsMessage]) -> Result<Vec<String>, BatchError> {
    records
        .iter()
        .enumerate()
        .map(|(index, r)| {
            r.message_id
                .clone()
                .filter(|id| !id.is_empty())
                .ok_or(BatchError::MissingMessageId { index })
        })
        .collect()
}

/// Collects the failed records of one batch.
#[derive(Debug, Default)]
pub struct BatchFailures {
    failed: Vec<(String, String)>,
}

impl BatchFailures {
    /// Marks a record failed and logs its id and reason. A record failed twice is
    /// reported once.
    pub fn fail(&mut self, message_id: &str, reason: impl std::fmt::Display) {
        let reason = reason.to_string();
        tracing::warn!(message_id, reason = %reason, "record failed; SQS will redeliver it, then dead-letter it");
        if !self.failed.iter().any(|(id, _)| id == message_id) {
            self.failed.push((message_id.to_string(), reason));
        }
    }

    /// Whether this record has failed.
    pub fn has_failed(&self, message_id: &str) -> bool {
        self.failed.iter().any(|(id, _)| id == message_id)
    }

    /// Failed records so far.
    pub fn len(&self) -> usize {
        self.failed.len()
    }

    /// Whether nothing failed.
    pub fn is_empty(&self) -> bool {
        self.failed.is_empty()
    }

    /// The response for a batch of `batch_size` records: the failed ids, or an error
    /// when every record of a non-empty batch failed.
    pub fn into_response(self, batch_size: usize) -> Result<SqsBatchResponse, BatchError> {
        if batch_size > 0 && self.failed.len() == batch_size {
            return Err(BatchError::AllFailed {
                count: batch_size,
                first_reason: self.failed[0].1.clone(),
            });
        }
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = self
            .failed
            .into_iter()
            .map(|(id, _)| {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                failure
            })
            .collect();
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: Option<&str>) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = id.map(String::from);
        m
    }

    #[test]
    fn only_failed_ids_are_reported() {
        let mut f = BatchFailures::default();
        f.fail("b", "bad json");
        f.fail("b", "again");
        let r = f.into_response(3).unwrap();
        let ids: Vec<_> = r
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(ids, ["b"]);
    }

    #[test]
    fn all_success_is_an_empty_list() {
        let r = BatchFailures::default().into_response(2).unwrap();
        assert!(r.batch_item_failures.is_empty());
    }

    #[test]
    fn a_batch_where_everything_failed_is_an_invocation_error() {
        let mut f = BatchFailures::default();
        f.fail("a", "x");
        assert!(matches!(
            f.into_response(1),
            Err(BatchError::AllFailed { count: 1, .. })
        ));
    }

    #[test]
    fn a_record_without_id_is_refused_not_reported_empty() {
        let recs = [record(Some("a")), record(Some(""))];
        assert_eq!(
            message_ids(&recs),
            Err(BatchError::MissingMessageId { index: 1 })
        );
        assert_eq!(message_ids(&recs[..1]).unwrap(), ["a"]);
    }
}
