//! EventBridge adapter: publishes the pipeline's events on its custom bus.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::ports::{EventPublisher, StoreError};

/// Source of the events the pipeline's functions publish.
pub const PIPELINE_SOURCE: &str = "nba-props.pipeline";

/// The pipeline's bus.
#[derive(Debug, Clone)]
pub struct EventBus {
    client: Client,
    bus_name: String,
    source: &'static str,
}

impl EventBus {
    /// Wraps a client and the bus name (from the function's environment); events go
    /// out with the pipeline's source.
    pub fn new(client: Client, bus_name: impl Into<String>) -> Self {
        Self {
            client,
            bus_name: bus_name.into(),
            source: PIPELINE_SOURCE,
        }
    }

    /// The same bus, publishing with another source: the backfill publishes the box
    /// scores it fetches as the ingest would (`nba-props.ingest`), so the ingest rule
    /// routes them; its IAM policy allows only that source with `Box Score`.
    pub fn with_source(mut self, source: &'static str) -> Self {
        self.source = source;
        self
    }
}

/// PutEvents takes at most ten entries.
const PUT_EVENTS_LIMIT: usize = 10;

impl EventPublisher for EventBus {
    async fn publish(
        &self,
        detail_type: &str,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.publish_all(detail_type, std::slice::from_ref(detail))
            .await
    }

    async fn publish_all(
        &self,
        detail_type: &str,
        details: &[serde_json::Value],
    ) -> Result<(), StoreError> {
        let operation = || format!("PutEvents {}", self.bus_name);
        for chunk in details.chunks(PUT_EVENTS_LIMIT) {
            let entries = chunk
                .iter()
                .map(|detail| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus_name)
                        .source(self.source)
                        .detail_type(detail_type)
                        .detail(detail.to_string())
                        .build()
                })
                .collect();
            let out = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| StoreError::new(operation(), DisplayErrorContext(e)))?;
            if out.failed_entry_count > 0 {
                let reason = out
                    .entries()
                    .iter()
                    .find_map(|e| e.error_message())
                    .unwrap_or("unknown")
                    .to_string();
                return Err(StoreError::new(
                    operation(),
                    format!(
                        "{} of {} refused, first: {reason}",
                        out.failed_entry_count,
                        chunk.len()
                    ),
                ));
            }
        }
        Ok(())
    }
}
