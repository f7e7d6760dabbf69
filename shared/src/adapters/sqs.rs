//! SQS adapter: sends message bodies to the pipeline's queues.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use futures::{StreamExt, TryStreamExt, stream};

use crate::ports::{Destination, MessageSender, StoreError};

/// SendMessageBatch takes at most ten messages.
const SEND_BATCH_LIMIT: usize = 10;
/// SendMessageBatch calls in flight at once.
const SEND_CONCURRENCY: usize = 8;

/// The queues a function sends to, by URL (from its environment).
#[derive(Debug, Clone)]
pub struct Queues {
    client: Client,
    processor_queue_url: Option<String>,
    prediction_queue_url: Option<String>,
}

impl Queues {
    /// Wraps a client and the URLs the function may send to.
    pub fn new(
        client: Client,
        processor_queue_url: Option<String>,
        prediction_queue_url: Option<String>,
    ) -> Self {
        Self {
            client,
            processor_queue_url,
            prediction_queue_url,
        }
    }
}

impl Queues {
    /// One SendMessageBatch of at most ten bodies; fails if any was refused.
    async fn send_batch(&self, url: &str, chunk: &[String]) -> Result<(), StoreError> {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::new("building SendMessageBatch", e))?;
        let out = self
            .client
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| StoreError::new("SendMessageBatch", DisplayErrorContext(e)))?;
        if let Some(failed) = out.failed.first() {
            return Err(StoreError::new(
                "SendMessageBatch",
                format!(
                    "{} of {} refused, first: {:?}",
                    out.failed.len(),
                    chunk.len(),
                    failed.message
                ),
            ));
        }
        Ok(())
    }
}

impl MessageSender for Queues {
    async fn send_all(
        &self,
        destination: Destination,
        bodies: &[String],
    ) -> Result<(), StoreError> {
        let url = match destination {
            Destination::ProcessorQueue => &self.processor_queue_url,
            Destination::PredictionQueue => &self.prediction_queue_url,
        }
        .as_ref()
        .ok_or_else(|| {
            StoreError::new(
                "SendMessageBatch",
                format!("no queue configured for {destination:?}"),
            )
        })?;
        // Batches go out a few at a time: a date's fan-out of 500+ work items sent one
        // batch after another would take a good part of the function's timeout.
        // Futures built in a loop, not a closure, for the `Send` check (see the writer).
        let mut batches = Vec::new();
        for chunk in bodies.chunks(SEND_BATCH_LIMIT) {
            batches.push(self.send_batch(url, chunk));
        }
        stream::iter(batches)
            .buffer_unordered(SEND_CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }
}
