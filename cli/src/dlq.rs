//! Dead-letter queues: send their messages back to the queue they came from.
//!
//! Records end in a dead-letter queue after `maxReceiveCount` failed deliveries. Once
//! the cause is fixed (data arrived, a throttling storm passed), a redrive sends them
//! back; every handler is idempotent, so a record that was half done completes and
//! what it had already written comes back as duplicates.

use anyhow::{Context, Result, bail};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use serde::Serialize;

/// How long a received message stays invisible while it is moved: if the redrive
/// stops half way, it reappears in the dead-letter queue after this.
const MOVE_VISIBILITY_SECONDS: i32 = 60;

/// What a redrive did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RedriveReport {
    /// The dead-letter queue.
    pub from: String,
    /// The queue the messages went back to.
    pub to: String,
    /// Messages moved.
    pub moved: u64,
}

/// Moves every message of `dlq_url` to `to_url`, ten at a time: each batch is sent
/// first and deleted from the dead-letter queue only once sent, so a redrive that stops
/// half way loses nothing (at worst a message is sent twice, which the idempotent
/// handlers absorb).
pub async fn redrive(client: &Client, dlq_url: &str, to_url: &str) -> Result<RedriveReport> {
    let mut report = RedriveReport {
        from: dlq_url.to_string(),
        to: to_url.to_string(),
        moved: 0,
    };
    loop {
        let received = client
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(10)
            .visibility_timeout(MOVE_VISIBILITY_SECONDS)
            .send()
            .await
            .with_context(|| format!("ReceiveMessage {dlq_url}"))?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(report);
        }
        let entries = messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(m.body().unwrap_or_default())
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sent = client
            .send_message_batch()
            .queue_url(to_url)
            .set_entries(Some(entries))
            .send()
            .await
            .with_context(|| format!("SendMessageBatch {to_url}"))?;
        if let Some(failed) = sent.failed.first() {
            bail!(
                "{} of {} messages refused by {to_url} (first: {:?}); they stay in the dead-letter queue",
                sent.failed.len(),
                messages.len(),
                failed.message
            );
        }
        let deletes = messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let deleted = client
            .delete_message_batch()
            .queue_url(dlq_url)
            .set_entries(Some(deletes))
            .send()
            .await
            .with_context(|| format!("DeleteMessageBatch {dlq_url}"))?;
        if let Some(failed) = deleted.failed.first() {
            bail!(
                "sent, but {} could not be deleted from {dlq_url} (first: {:?}); they will be sent again by the next redrive",
                deleted.failed.len(),
                failed.message
            );
        }
        report.moved += messages.len() as u64;
    }
}
