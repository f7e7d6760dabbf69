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

/// A message waiting in a dead-letter queue, as an operator reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    /// The dead-letter queue's logical id in the template.
    pub queue: String,
    /// SQS message id.
    pub message_id: String,
    /// Deliveries so far (this listing's receive included: SQS has no peek).
    pub receive_count: u32,
    /// Why it is here, from what the sender attached.
    pub reason: String,
    /// The message body.
    pub body: String,
}

/// Why a message is in a dead-letter queue: EventBridge attaches the delivery error,
/// a Lambda on-failure destination wraps the invocation's error around the input, and
/// an SQS redrive leaves only the receive count and the source queue.
pub fn reason(
    body: &str,
    attributes: &std::collections::HashMap<String, String>,
    message_attributes: &std::collections::HashMap<String, String>,
) -> String {
    if let Some(code) = message_attributes.get("ERROR_CODE") {
        let message = message_attributes
            .get("ERROR_MESSAGE")
            .map_or("", String::as_str);
        return format!("EventBridge could not deliver it: {code} {message}")
            .trim_end()
            .to_string();
    }
    if let Ok(record) = serde_json::from_str::<serde_json::Value>(body)
        && let Some(condition) = record["requestContext"]["condition"].as_str()
    {
        let error = record["responsePayload"]["errorMessage"]
            .as_str()
            .unwrap_or("no error message");
        return format!("asynchronous invocation failed ({condition}): {error}");
    }
    let receives = attributes
        .get("ApproximateReceiveCount")
        .map_or("?", String::as_str);
    match attributes.get("DeadLetterQueueSourceArn") {
        Some(source) => format!(
            "failed on every delivery from {}; the handler's log has each failure with this message id",
            source.rsplit(':').next().unwrap_or(source)
        ),
        None => format!(
            "{receives} receive(s); the handler's log has each failure with this message id"
        ),
    }
}

/// Rounds of receiving a queue's messages before the listing stops finding new ones.
const PEEK_ROUNDS: usize = 10;

/// Lists a dead-letter queue's messages without consuming them: received with a zero
/// visibility timeout (they stay visible, nothing is deleted), round after round until
/// a round finds no message not seen before.
pub async fn peek(client: &Client, logical_id: &str, url: &str) -> Result<Vec<DeadLetter>> {
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..PEEK_ROUNDS {
        let out = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .with_context(|| format!("ReceiveMessage {url}"))?;
        let mut new = 0;
        for m in out.messages.unwrap_or_default() {
            let id = m.message_id().unwrap_or_default().to_string();
            if seen.contains_key(&id) {
                continue;
            }
            new += 1;
            let attributes: std::collections::HashMap<String, String> = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let message_attributes: std::collections::HashMap<String, String> = m
                .message_attributes()
                .map(|a| {
                    a.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            let body = m.body().unwrap_or_default().to_string();
            seen.insert(
                id.clone(),
                DeadLetter {
                    queue: logical_id.to_string(),
                    message_id: id,
                    receive_count: attributes
                        .get("ApproximateReceiveCount")
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(0),
                    reason: reason(&body, &attributes, &message_attributes),
                    body,
                },
            );
        }
        if new == 0 {
            break;
        }
    }
    Ok(seen.into_values().collect())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn the_reason_comes_from_what_the_sender_attached() {
        let none = HashMap::new();
        let eventbridge = HashMap::from([
            ("ERROR_CODE".to_string(), "SDK_CLIENT_ERROR".to_string()),
            (
                "ERROR_MESSAGE".to_string(),
                "queue does not exist".to_string(),
            ),
        ]);
        assert_eq!(
            reason("{}", &none, &eventbridge),
            "EventBridge could not deliver it: SDK_CLIENT_ERROR queue does not exist"
        );
        let lambda = r#"{"requestContext":{"condition":"RetriesExhausted"},"responsePayload":{"errorMessage":"breakers table unreachable"}}"#;
        assert_eq!(
            reason(lambda, &none, &none),
            "asynchronous invocation failed (RetriesExhausted): breakers table unreachable"
        );
        let redriven = HashMap::from([
            ("ApproximateReceiveCount".to_string(), "1".to_string()),
            (
                "DeadLetterQueueSourceArn".to_string(),
                "arn:aws:sqs:us-east-1:1:nba-props-dev-ProcessorQueue-X".to_string(),
            ),
        ]);
        assert!(
            reason("not json", &redriven, &none)
                .starts_with("failed on every delivery from nba-props-dev-ProcessorQueue-X")
        );
    }
}
