//! EventBridge → SNS on the local stack. moto's EventBridge delivers to SQS targets but
//! not to SNS topics, so each SNS target of a rule gets a relay queue as its moto
//! target, and [`LocalStack::relay_to_topics`] does the hop EventBridge would: applies
//! the target's input transformer to each event and publishes the result to the topic.
//! moto matches the rule's pattern before and delivers to the topic's subscribers
//! after; only this one hop is emulated.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_yaml::Value;

use crate::event_source::take_all;
use crate::provision::{LocalStack, create_queue};
use crate::template::Physical;

/// A rule target's input transformer (`InputPathsMap` and `InputTemplate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputTransformer {
    /// Placeholder name → JSON path in the event (`$.detail.summary`).
    pub paths: BTreeMap<String, String>,
    /// The text with `<name>` placeholders.
    pub template: String,
}

impl InputTransformer {
    /// The transformer of a rule target in the template, if it has one.
    pub fn of_target(target: &Value) -> Result<Option<Self>> {
        let Some(t) = target.get("InputTransformer") else {
            return Ok(None);
        };
        let template = t
            .get("InputTemplate")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("InputTransformer without an InputTemplate"))?
            .to_string();
        let mut paths = BTreeMap::new();
        for (k, v) in t
            .get("InputPathsMap")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
        {
            let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else {
                bail!("InputPathsMap entries are strings");
            };
            paths.insert(k.to_string(), v.to_string());
        }
        Ok(Some(Self { paths, template }))
    }

    /// What EventBridge sends the target: each `<name>` replaced by the value at its
    /// path. A string value goes in as it is (EventBridge does not escape path values),
    /// any other value as JSON text, and a path the event lacks as nothing.
    pub fn apply(&self, event: &serde_json::Value) -> Result<String> {
        let mut out = self.template.clone();
        for (name, path) in &self.paths {
            let value = match value_at(event, path)? {
                None => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            };
            out = out.replace(&format!("<{name}>"), &value);
        }
        Ok(out)
    }
}

/// The value at a dot-notation JSON path (`$.detail.summary`), the only form the
/// template uses.
fn value_at<'e>(event: &'e serde_json::Value, path: &str) -> Result<Option<&'e serde_json::Value>> {
    let rest = path
        .strip_prefix('$')
        .ok_or_else(|| anyhow!("JSON path {path:?} does not start with $"))?;
    let mut at = event;
    for key in rest.split('.').filter(|k| !k.is_empty()) {
        match at.get(key) {
            Some(v) => at = v,
            None => return Ok(None),
        }
    }
    Ok(Some(at))
}

/// One SNS target of a rule, relayed through a queue.
#[derive(Debug, Clone)]
pub struct TopicRelay {
    /// The rule's logical id.
    pub rule: String,
    /// The relay queue moto delivers the rule's events to.
    pub queue_url: String,
    /// Its ARN (the target moto is given).
    pub queue_arn: String,
    /// The topic the events are published to.
    pub topic_arn: String,
    /// The target's input transformer; without one the whole event is published.
    pub transformer: Option<InputTransformer>,
}

impl TopicRelay {
    /// Creates the relay queue for `target` of `rule`.
    pub async fn create(
        sqs: &aws_sdk_sqs::Client,
        stack: &str,
        rule: &str,
        target: &Value,
        topic_arn: &str,
    ) -> Result<Self> {
        let target_id = target.get("Id").and_then(Value::as_str).unwrap_or("target");
        let (queue_url, queue_arn) = create_queue(
            sqs,
            &format!("{stack}-{rule}-{target_id}-relay"),
            HashMap::new(),
        )
        .await
        .with_context(|| format!("creating the relay queue of {rule}"))?;
        Ok(Self {
            rule: rule.to_string(),
            queue_url,
            queue_arn,
            topic_arn: topic_arn.to_string(),
            transformer: InputTransformer::of_target(target)
                .with_context(|| format!("rule {rule}"))?,
        })
    }
}

impl LocalStack {
    /// The ARN of a topic of the stack.
    pub fn topic_arn(&self, id: &str) -> Result<String> {
        match self.physical.get(id) {
            Some(Physical::Topic { arn, .. }) => Ok(arn.clone()),
            _ => bail!("{id} is not a topic of the stack"),
        }
    }

    /// Publishes every event waiting on the relay queues to its topic, transformed as
    /// the rule's target says: what EventBridge does on AWS. Returns the messages
    /// published.
    pub async fn relay_to_topics(&self) -> Result<usize> {
        // Not the pipeline's requests (AWS makes this hop itself): not counted.
        let sqs = aws_sdk_sqs::Client::new(&self.endpoints.moto_config().await);
        let sns = aws_sdk_sns::Client::new(&self.endpoints.moto_config().await);
        let mut published = 0;
        for relay in &self.topic_relays {
            for body in take_all(&sqs, &relay.queue_url).await? {
                let message = match &relay.transformer {
                    Some(t) => t.apply(&serde_json::from_str(&body).with_context(|| {
                        format!("an event relayed for {} is not JSON", relay.rule)
                    })?)?,
                    None => body,
                };
                sns.publish()
                    .topic_arn(&relay.topic_arn)
                    .message(message)
                    .send()
                    .await
                    .with_context(|| format!("publishing to {}", relay.topic_arn))?;
                published += 1;
            }
        }
        Ok(published)
    }

    /// Subscribes a new queue to a topic of the stack with raw message delivery (the
    /// queue receives the message text itself, as an email would); returns its URL.
    pub async fn subscribe_queue(&self, topic_id: &str) -> Result<String> {
        let sqs = aws_sdk_sqs::Client::new(&self.endpoints.moto_config().await);
        let sns = aws_sdk_sns::Client::new(&self.endpoints.moto_config().await);
        let (url, arn) = create_queue(
            &sqs,
            &format!("{}-{topic_id}-subscriber", self.name),
            HashMap::from([(
                QueueAttributeName::ReceiveMessageWaitTimeSeconds,
                "0".into(),
            )]),
        )
        .await?;
        sns.subscribe()
            .topic_arn(self.topic_arn(topic_id)?)
            .protocol("sqs")
            .endpoint(arn)
            .attributes("RawMessageDelivery", "true")
            .send()
            .await
            .with_context(|| format!("subscribing a queue to {topic_id}"))?;
        Ok(url)
    }

    /// Takes every message a subscriber queue received (requests not counted: the
    /// subscriber is not part of the pipeline).
    pub async fn delivered(&self, subscriber_url: &str) -> Result<Vec<String>> {
        let sqs = aws_sdk_sqs::Client::new(&self.endpoints.moto_config().await);
        take_all(&sqs, subscriber_url).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transformer() -> InputTransformer {
        let target: Value = serde_yaml::from_str(
            "Id: t\nArn: x\nInputTransformer:\n  InputPathsMap:\n    summary: $.detail.summary\n    n: $.detail.count\n    gone: $.detail.nothing\n  InputTemplate: \"<summary> (<n>)<gone>\"\n",
        )
        .unwrap();
        InputTransformer::of_target(&target).unwrap().unwrap()
    }

    #[test]
    fn strings_go_in_as_they_are_other_values_as_json_and_missing_paths_as_nothing() {
        let event =
            serde_json::json!({"detail": {"summary": "line one\nline \"two\"", "count": 3}});
        assert_eq!(
            transformer().apply(&event).unwrap(),
            "line one\nline \"two\" (3)"
        );
    }

    #[test]
    fn a_target_without_a_transformer_has_none() {
        let target: Value = serde_yaml::from_str("Id: t\nArn: x\n").unwrap();
        assert_eq!(InputTransformer::of_target(&target).unwrap(), None);
    }
}
