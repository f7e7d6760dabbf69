//! Domain logic and AWS adapters shared by the nba-props-serverless functions.
//!
//! Domain modules (`prediction`, `features`, `prediction_writer`, `processor`,
//! `processors`, `breaker`, `completeness`, `nba_data`, ...) know nothing of the SDK;
//! they talk to storage, queues and the bus through the traits they define. The
//! adapters (`dynamodb`, `sqs`, `eventbridge`, `aws`) implement those traits, one
//! module per AWS service.

pub mod aws;
pub mod breaker;
pub mod completeness;
pub mod config;
pub mod dynamodb;
pub mod eventbridge;
pub mod features;
pub mod game_data;
pub mod ingest;
pub mod messaging;
pub mod metrics;
pub mod nba_data;
pub mod prediction;
pub mod prediction_writer;
pub mod processor;
pub mod processors;
pub mod sqs;
pub mod sqs_batch;
pub mod telemetry;

/// A storage call that failed (network, throttling after the SDK's retries, bad item).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation} failed: {message}")]
pub struct StoreError {
    /// What was being done ("PutItem predictions", ...).
    pub operation: String,
    /// The underlying error, rendered with its sources.
    pub message: String,
}

impl StoreError {
    /// Wraps an error with the operation it interrupted.
    pub fn new(operation: impl Into<String>, error: impl std::fmt::Display) -> Self {
        Self {
            operation: operation.into(),
            message: error.to_string(),
        }
    }
}
