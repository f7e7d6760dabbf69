//! Failures of one queue batch, record by record.
//!
//! Each record succeeds or fails on its own; only failed message ids are reported, so
//! the queue redelivers just those and, after `maxReceiveCount`, moves them to the DLQ.
//! How the failures become Lambda's batch response is the handlers' business.

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
        if !self.has_failed(message_id) {
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

    /// The failed message ids with their reasons, in the order they first failed.
    pub fn into_failed(self) -> Vec<(String, String)> {
        self.failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_failed_twice_is_reported_once_with_its_first_reason() {
        let mut f = BatchFailures::default();
        f.fail("b", "bad json");
        f.fail("b", "again");
        assert!(f.has_failed("b") && !f.has_failed("a"));
        assert_eq!(f.len(), 1);
        assert_eq!(f.into_failed(), [("b".to_string(), "bad json".to_string())]);
    }
}
