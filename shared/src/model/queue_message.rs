//! A queue message as the domain sees it: an id and a body, nothing of Lambda's event.

/// One message of a batch: its id (for reporting it failed) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    /// The queue's message id; never empty.
    pub message_id: String,
    /// The message body (empty when the queue delivered none).
    pub body: String,
}

impl QueueMessage {
    /// A message with this id and body.
    pub fn new(message_id: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            message_id: message_id.into(),
            body: body.into(),
        }
    }
}
