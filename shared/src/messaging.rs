//! Ports for sending work onward: queue messages and bus events. The SQS and
//! EventBridge adapters implement them.

use crate::StoreError;

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Destination {
    /// The processor queue (work items).
    ProcessorQueue,
    /// The prediction queue (prediction requests).
    PredictionQueue,
}

/// Sends message bodies to queues.
pub trait MessageSender: Send + Sync {
    /// Sends every body (in batches as the service allows); fails if any was refused.
    fn send_all(
        &self,
        destination: Destination,
        bodies: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Publishes events on the pipeline's bus.
pub trait EventPublisher: Send + Sync {
    /// Publishes one event with this detail-type and detail.
    fn publish(
        &self,
        detail_type: &str,
        detail: &serde_json::Value,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Publishes one event per detail, all with this detail-type (in batches as the
    /// service allows); fails if any was refused.
    fn publish_all(
        &self,
        detail_type: &str,
        details: &[serde_json::Value],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
