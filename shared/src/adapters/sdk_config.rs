//! SDK configuration shared by every adapter.
//!
//! Endpoints, region and credentials come from the SDK's standard chain
//! (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_REGION`, ...): there is no
//! endpoint code of ours, so the same binary runs against AWS and the local stand-ins.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Attempts per SDK call (first try plus retries) with the SDK's standard backoff.
pub const SDK_MAX_ATTEMPTS: u32 = 4;

/// Loads the SDK configuration from the environment with our retry policy.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS))
        .load()
        .await
}
