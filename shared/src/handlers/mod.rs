//! Handlers: one module per function. Each turns its Lambda event into domain calls
//! and builds the response; this is the only layer that sees `aws_lambda_events`
//! types. The binaries in `functions/` wire a handler to its adapters.

pub mod backfill;
pub mod completeness_checker;
pub mod prediction_writer;
pub mod processor;
pub mod sqs_batch;

/// Sets up `tracing` for a Lambda function: JSON lines when the function's
/// `LoggingConfig.LogFormat` is JSON (as `infra/template.yaml` sets it), level from
/// `AWS_LAMBDA_LOG_LEVEL` / `RUST_LOG`. Call once at cold start.
pub fn init_logging() {
    lambda_runtime::tracing::init_default_subscriber();
}
