//! Structured logging setup.

/// Sets up `tracing` for a Lambda function: JSON lines when the function's
/// `LoggingConfig.LogFormat` is JSON (as `infra/template.yaml` sets it), level from
/// `AWS_LAMBDA_LOG_LEVEL` / `RUST_LOG`. Call once at cold start.
pub fn init_lambda_logging() {
    lambda_runtime::tracing::init_default_subscriber();
}
