//! A local stand-in for Lambda's SQS event source mapping: receive up to `BatchSize`
//! messages, hand them to the handler as an `SqsEvent`, delete the ones not listed in
//! `batchItemFailures`, and put the failed ones back.
//!
//! One deliberate difference: failed messages are made visible again at once
//! (`ChangeMessageVisibility 0`) instead of after the queue's visibility timeout, so a
//! test sees `maxReceiveCount` receives in seconds. Receive counts and the move to the
//! dead-letter queue are moto's own.

use std::collections::HashMap;
use std::future::Future;

use futures::StreamExt;

use anyhow::{Context, Result};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageSystemAttributeName,
};

use crate::template::LOCAL_REGION;

/// What draining a queue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainStats {
    /// Handler invocations.
    pub invocations: u64,
    /// Messages delivered (a redelivery counts again).
    pub delivered: u64,
    /// Messages deleted after success.
    pub succeeded: u64,
    /// Messages put back after failing.
    pub failed: u64,
    /// Invocations that returned an error (the whole batch failed).
    pub invocation_errors: u64,
    /// Time spent inside the handler, summed over invocations (what Lambda bills as
    /// duration), milliseconds.
    pub handler_millis: u64,
}

/// Polls one queue for one function.
#[derive(Debug, Clone)]
pub struct SqsEventSource {
    client: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    batch_size: i32,
    concurrency: usize,
}

impl SqsEventSource {
    /// A poller for `queue_url` delivering batches of at most `batch_size` (SQS caps at 10).
    pub fn new(
        client: aws_sdk_sqs::Client,
        queue_url: &str,
        queue_arn: &str,
        batch_size: usize,
    ) -> Self {
        Self {
            client,
            queue_url: queue_url.to_string(),
            queue_arn: queue_arn.to_string(),
            batch_size: batch_size.clamp(1, 10) as i32,
            concurrency: 1,
        }
    }

    /// Up to `concurrency` batches in flight at once, as Lambda runs up to the event
    /// source's `MaximumConcurrency` invocations.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Receives one batch; an empty event when the queue has nothing visible.
    pub async fn receive(&self) -> Result<SqsEvent> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(self.batch_size)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .wait_time_seconds(0)
            .send()
            .await
            .context("ReceiveMessage")?;
        let mut event = SqsEvent::default();
        event.records = out
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| {
                let mut record = SqsMessage::default();
                record.message_id = m.message_id;
                record.receipt_handle = m.receipt_handle;
                record.body = m.body;
                record.md5_of_body = m.md5_of_body;
                record.attributes = m
                    .attributes
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k.as_str().to_string(), v))
                    .collect::<HashMap<_, _>>();
                record.event_source = Some("aws:sqs".into());
                record.event_source_arn = Some(self.queue_arn.clone());
                record.aws_region = Some(LOCAL_REGION.into());
                record
            })
            .collect();
        Ok(event)
    }

    /// Delivers batches to `handler` until the queue has nothing visible, or until
    /// `max_invocations`.
    pub async fn drain<H, Fut, E>(&self, max_invocations: u64, handler: H) -> Result<DrainStats>
    where
        H: Fn(SqsEvent) -> Fut,
        Fut: Future<Output = std::result::Result<SqsBatchResponse, E>>,
        E: std::fmt::Display,
    {
        let mut stats = DrainStats::default();
        while stats.invocations < max_invocations {
            // Receives one after another: moto can hand the same message to two
            // concurrent receives, which would make test counts nondeterministic.
            let mut events = Vec::new();
            for _ in 0..self.concurrency {
                let event = self.receive().await?;
                if event.records.is_empty() {
                    break;
                }
                events.push(event);
            }
            if events.is_empty() {
                break;
            }
            let handler = &handler;
            let outcomes: Vec<_> = futures::stream::iter(events)
                .map(|event| async move {
                    let receipts: Vec<(String, String)> = event
                        .records
                        .iter()
                        .map(|r| {
                            (
                                r.message_id.clone().unwrap_or_default(),
                                r.receipt_handle.clone().unwrap_or_default(),
                            )
                        })
                        .collect();
                    let started = std::time::Instant::now();
                    let outcome = handler(event).await;
                    let millis = started.elapsed().as_millis() as u64;
                    let failed: Option<Vec<String>> = match outcome {
                        Ok(response) => Some(response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect()),
                        Err(e) => {
                            tracing::warn!(error = %e, "invocation failed; the whole batch returns to the queue");
                            None
                        }
                    };
                    (receipts, failed, millis)
                })
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
            let mut settles = Vec::new();
            for (receipts, failed, millis) in outcomes {
                stats.invocations += 1;
                stats.handler_millis += millis;
                stats.delivered += receipts.len() as u64;
                let failed = failed.unwrap_or_else(|| {
                    stats.invocation_errors += 1;
                    receipts.iter().map(|(id, _)| id.clone()).collect()
                });
                settles.push(self.settle(receipts, failed));
            }
            for settled in futures::future::join_all(settles).await {
                let (succeeded, failed) = settled?;
                stats.succeeded += succeeded;
                stats.failed += failed;
            }
        }
        Ok(stats)
    }

    /// Deletes the successes of a batch and makes its failures visible again; returns
    /// (succeeded, failed).
    async fn settle(
        &self,
        receipts: Vec<(String, String)>,
        failed: Vec<String>,
    ) -> Result<(u64, u64)> {
        let (retry, done): (Vec<_>, Vec<_>) = receipts
            .into_iter()
            .partition(|(id, _)| failed.contains(id));
        let counts = (done.len() as u64, retry.len() as u64);
        if !done.is_empty() {
            let entries = done
                .iter()
                .enumerate()
                .map(|(i, (_, handle))| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(handle)
                        .build()
                })
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let out = self
                .client
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .context("DeleteMessageBatch")?;
            if !out.failed.is_empty() {
                anyhow::bail!("DeleteMessageBatch refused {:?}", out.failed);
            }
        }
        if !retry.is_empty() {
            let entries = retry
                .iter()
                .enumerate()
                .map(|(i, (_, handle))| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(handle)
                        .visibility_timeout(0)
                        .build()
                })
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let out = self
                .client
                .change_message_visibility_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .context("ChangeMessageVisibilityBatch")?;
            if !out.failed.is_empty() {
                anyhow::bail!("ChangeMessageVisibilityBatch refused {:?}", out.failed);
            }
        }
        Ok(counts)
    }
}

/// Sends message bodies to a queue, ten per `SendMessageBatch`.
pub async fn send_bodies(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
    bodies: &[String],
) -> Result<()> {
    for chunk in bodies.chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, body)| {
                aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .build()
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let out = client
            .send_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .context("SendMessageBatch")?;
        if !out.failed.is_empty() {
            anyhow::bail!(
                "SendMessageBatch refused {} messages: {:?}",
                out.failed.len(),
                out.failed
            );
        }
    }
    Ok(())
}

/// (visible, in flight) messages of a queue, approximate as SQS reports them.
async fn queue_counts(client: &aws_sdk_sqs::Client, queue_url: &str) -> Result<(u64, u64)> {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let attrs = client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .context("GetQueueAttributes")?
        .attributes
        .unwrap_or_default();
    let n = |a: A| {
        attrs
            .get(&a)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok((
        n(A::ApproximateNumberOfMessages),
        n(A::ApproximateNumberOfMessagesNotVisible),
    ))
}

/// Messages visible plus in flight on a queue (approximate, as SQS reports).
pub async fn queue_depth(client: &aws_sdk_sqs::Client, queue_url: &str) -> Result<u64> {
    let (visible, in_flight) = queue_counts(client, queue_url).await?;
    Ok(visible + in_flight)
}

/// Messages of a queue that a receive would get now (not those in flight). moto's count
/// of in-flight messages can include ones already settled when deletes, visibility
/// changes and sends race on one queue, so "was anything sent" is asked this way.
pub async fn visible_messages(client: &aws_sdk_sqs::Client, queue_url: &str) -> Result<u64> {
    Ok(queue_counts(client, queue_url).await?.0)
}

/// Receives and deletes every visible message of a queue; returns their bodies (for
/// reading a dead-letter queue or an observer queue in tests and tools).
pub async fn take_all(client: &aws_sdk_sqs::Client, queue_url: &str) -> Result<Vec<String>> {
    let mut bodies = Vec::new();
    loop {
        let out = client
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .context("ReceiveMessage")?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(bodies);
        }
        for m in messages {
            client
                .delete_message()
                .queue_url(queue_url)
                .receipt_handle(m.receipt_handle.unwrap_or_default())
                .send()
                .await
                .context("DeleteMessage")?;
            bodies.push(m.body.unwrap_or_default());
        }
    }
}
