//! Adapters: the AWS services behind the ports, one module per service. The SDK is
//! named only here.
//!
//! - `dynamodb/`: one file per table (predictions, features, game data, breakers).
//! - `sqs`: sends to the pipeline's queues ([`crate::ports::MessageSender`]).
//! - `eventbridge`: publishes on the pipeline's bus ([`crate::ports::EventPublisher`]).
//! - `sdk_config`: the SDK configuration every client is built from.
//! - `box_score_http` (feature `box-score-http`): the box-score source over HTTPS.

#[cfg(feature = "box-score-http")]
pub mod box_score_http;
pub mod dynamodb;
pub mod eventbridge;
pub mod sdk_config;
pub mod sqs;
