//! Creates the template's tables and queues on the local stack, under a stack name that
//! keeps parallel tests apart (`{stack}-{LogicalId}`).

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use nba_props::adapters::dynamodb::RequestCounter;
use serde_yaml::Value;

use crate::local_aws::{Endpoints, repo_root};
use crate::template::{Physical, Resolver, Template};
use crate::topic_relay::TopicRelay;

/// The template's resources as created on the local stack.
#[derive(Debug, Clone)]
pub struct LocalStack {
    /// Stack name (the prefix of every physical name).
    pub name: String,
    /// The template it was built from.
    pub template: Template,
    /// What each logical id became.
    pub physical: BTreeMap<String, Physical>,
    /// Where the servers answer.
    pub endpoints: Endpoints,
    /// SQS and EventBridge requests sent through this stack's clients (the functions',
    /// the event sources' and the harness's), per operation.
    pub moto_requests: RequestCounter,
    /// Rule targets that are SNS topics, which moto's EventBridge cannot deliver to:
    /// each gets a relay queue instead (`topic_relay`).
    pub topic_relays: Vec<TopicRelay>,
}

fn text<'a>(v: &'a Value, field: &str) -> Result<&'a str> {
    v.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("missing string {field} in {v:?}"))
}

fn key_schema(v: &Value) -> Result<Vec<KeySchemaElement>> {
    v.as_sequence()
        .ok_or_else(|| anyhow!("KeySchema is not a list"))?
        .iter()
        .map(|k| {
            Ok(KeySchemaElement::builder()
                .attribute_name(text(k, "AttributeName")?)
                .key_type(KeyType::from(text(k, "KeyType")?))
                .build()?)
        })
        .collect()
}

/// Creates a queue with these attributes; returns its (URL, ARN).
pub async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    attributes: HashMap<QueueAttributeName, String>,
) -> Result<(String, String)> {
    let url = sqs
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attributes))
        .send()
        .await?
        .queue_url
        .ok_or_else(|| anyhow!("no URL for queue {name}"))?;
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| anyhow!("no ARN for queue {name}"))?;
    Ok((url, arn))
}

impl LocalStack {
    /// Provisions `infra/template.yaml` under `stack_name`.
    pub async fn provision(endpoints: &Endpoints, stack_name: &str) -> Result<Self> {
        let template = Template::load(&repo_root().join("infra/template.yaml"))?;
        Self::provision_template(endpoints, stack_name, template).await
    }

    /// Provisions a parsed template under `stack_name`.
    pub async fn provision_template(
        endpoints: &Endpoints,
        stack_name: &str,
        template: Template,
    ) -> Result<Self> {
        let ddb = aws_sdk_dynamodb::Client::new(&endpoints.dynamodb_config().await);
        let sqs = aws_sdk_sqs::Client::new(&endpoints.moto_config().await);
        let mut physical = BTreeMap::new();

        for id in template.ids_of("AWS::DynamoDB::Table") {
            let name = format!("{stack_name}-{id}");
            create_table(&ddb, &name, &template.resources[id].properties)
                .await
                .with_context(|| format!("creating table {id}"))?;
            let arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}");
            physical.insert(id.to_string(), Physical::Table { name, arn });
        }

        let queues: Vec<String> = template
            .ids_of("AWS::SQS::Queue")
            .into_iter()
            .map(String::from)
            .collect();
        for id in &queues {
            let name = format!("{stack_name}-{id}");
            let props = &template.resources[id].properties;
            let mut attributes = HashMap::new();
            for (field, attr) in [
                ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
                (
                    "MessageRetentionPeriod",
                    QueueAttributeName::MessageRetentionPeriod,
                ),
                ("DelaySeconds", QueueAttributeName::DelaySeconds),
                (
                    "ReceiveMessageWaitTimeSeconds",
                    QueueAttributeName::ReceiveMessageWaitTimeSeconds,
                ),
            ] {
                if let Some(v) = props.get(field).and_then(Value::as_u64) {
                    attributes.insert(attr, v.to_string());
                }
            }
            let (url, arn) = create_queue(&sqs, &name, attributes)
                .await
                .with_context(|| format!("creating queue {id}"))?;
            physical.insert(id.to_string(), Physical::Queue { name, url, arn });
        }
        for id in template.ids_of("AWS::Logs::LogGroup") {
            let name = format!("/aws/lambda/{stack_name}-{id}");
            let arn = format!("arn:aws:logs:us-east-1:123456789012:log-group:{name}");
            physical.insert(id.to_string(), Physical::Named { name, arn });
        }

        let mut stack = Self {
            name: stack_name.to_string(),
            template,
            physical,
            endpoints: endpoints.clone(),
            moto_requests: RequestCounter::default(),
            topic_relays: Vec::new(),
        };
        stack.create_buses_and_rules().await?;
        // Redrive policies refer to other queues, so they are set once all exist.
        for id in &queues {
            let Some(policy) = stack.template.resources[id].properties.get("RedrivePolicy") else {
                continue;
            };
            let resolver = stack.resolver();
            let target = resolver.resolve(
                policy
                    .get("deadLetterTargetArn")
                    .ok_or_else(|| anyhow!("{id} RedrivePolicy has no deadLetterTargetArn"))?,
            )?;
            let max = policy
                .get("maxReceiveCount")
                .and_then(Value::as_u64)
                .ok_or_else(|| anyhow!("{id} RedrivePolicy has no maxReceiveCount"))?;
            let redrive =
                serde_json::json!({ "deadLetterTargetArn": target, "maxReceiveCount": max });
            sqs.set_queue_attributes()
                .queue_url(stack.queue_url(id)?)
                .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
                .send()
                .await
                .with_context(|| format!("setting the redrive policy of {id}"))?;
        }
        Ok(stack)
    }

    /// SNS topics, event buses, then rules with their targets (moto routes PutEvents to
    /// SQS targets by pattern; an SNS target gets a relay queue, see `topic_relay`).
    /// Queue and topic policies are not created: moto does not enforce them.
    async fn create_buses_and_rules(&mut self) -> Result<()> {
        let events = aws_sdk_eventbridge::Client::new(&self.endpoints.moto_config().await);
        let sns = aws_sdk_sns::Client::new(&self.endpoints.moto_config().await);
        let sqs = aws_sdk_sqs::Client::new(&self.endpoints.moto_config().await);
        for id in self
            .template
            .ids_of("AWS::SNS::Topic")
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
        {
            let name = self.physical_name(&id, "TopicName")?;
            let arn = sns
                .create_topic()
                .name(&name)
                .send()
                .await
                .with_context(|| format!("creating topic {id}"))?
                .topic_arn
                .ok_or_else(|| anyhow!("no ARN for topic {id}"))?;
            self.physical.insert(id, Physical::Topic { name, arn });
        }
        for id in self
            .template
            .ids_of("AWS::Events::EventBus")
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
        {
            let name = self.physical_name(&id, "Name")?;
            let arn = events
                .create_event_bus()
                .name(&name)
                .send()
                .await
                .with_context(|| format!("creating event bus {id}"))?
                .event_bus_arn
                .ok_or_else(|| anyhow!("no ARN for event bus {id}"))?;
            self.physical.insert(id, Physical::Named { name, arn });
        }
        for id in self
            .template
            .ids_of("AWS::Events::Rule")
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
        {
            let props = self.template.resources[&id].properties.clone();
            if props.get("ScheduleExpression").is_some() {
                // moto delivers every event to a schedule-only rule: never create one.
                continue;
            }
            let name = format!("{}-{id}", self.name);
            let bus = match props.get("EventBusName") {
                Some(v) => Some(self.resolver().resolve(v)?),
                None => None,
            };
            let pattern: serde_json::Value = serde_json::to_value(
                props
                    .get("EventPattern")
                    .ok_or_else(|| anyhow!("rule {id} has no EventPattern"))?,
            )?;
            let arn = events
                .put_rule()
                .name(&name)
                .set_event_bus_name(bus.clone())
                .event_pattern(pattern.to_string())
                .send()
                .await
                .with_context(|| format!("creating rule {id}"))?
                .rule_arn
                .ok_or_else(|| anyhow!("no ARN for rule {id}"))?;
            for target in props
                .get("Targets")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                let mut target_arn = self.resolver().resolve(
                    target
                        .get("Arn")
                        .ok_or_else(|| anyhow!("rule {id}: target without Arn"))?,
                )?;
                if target_arn.starts_with("arn:aws:sns:") {
                    let relay =
                        TopicRelay::create(&sqs, &self.name, &id, target, &target_arn).await?;
                    target_arn = relay.queue_arn.clone();
                    self.topic_relays.push(relay);
                }
                events
                    .put_targets()
                    .rule(&name)
                    .set_event_bus_name(bus.clone())
                    .targets(
                        aws_sdk_eventbridge::types::Target::builder()
                            .id(text(target, "Id")?)
                            .arn(target_arn)
                            .build()?,
                    )
                    .send()
                    .await
                    .with_context(|| format!("adding a target to rule {id}"))?;
            }
            self.physical.insert(id, Physical::Named { name, arn });
        }
        Ok(())
    }

    /// The name the template gives a resource in `property`, else `{stack}-{id}`.
    fn physical_name(&self, id: &str, property: &str) -> Result<String> {
        match self.template.resources[id].properties.get(property) {
            Some(v) => self.resolver().resolve(v),
            None => Ok(format!("{}-{id}", self.name)),
        }
    }

    /// Resolves template values against this stack.
    pub fn resolver(&self) -> Resolver<'_> {
        Resolver::new(&self.template, &self.name, self.physical.clone())
    }

    /// The physical name of a table.
    pub fn table(&self, id: &str) -> Result<String> {
        match self.physical.get(id) {
            Some(Physical::Table { name, .. }) => Ok(name.clone()),
            _ => bail!("{id} is not a table of the stack"),
        }
    }

    /// The URL of a queue.
    pub fn queue_url(&self, id: &str) -> Result<String> {
        match self.physical.get(id) {
            Some(Physical::Queue { url, .. }) => Ok(url.clone()),
            _ => bail!("{id} is not a queue of the stack"),
        }
    }

    /// The ARN of a queue.
    pub fn queue_arn(&self, id: &str) -> Result<String> {
        match self.physical.get(id) {
            Some(Physical::Queue { arn, .. }) => Ok(arn.clone()),
            _ => bail!("{id} is not a queue of the stack"),
        }
    }

    /// The environment the template gives the function built from `binary`, resolved
    /// against this stack, plus what reaches the local servers.
    pub fn function_env(&self, binary: &str) -> Result<BTreeMap<String, String>> {
        let function = self.template.function_for_binary(binary)?;
        let mut env = self.resolver().function_environment(function)?;
        env.extend(self.endpoints.function_env());
        env.insert(
            "AWS_LAMBDA_FUNCTION_NAME".into(),
            format!("{}-{binary}", self.name),
        );
        Ok(env)
    }
}

async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str, props: &Value) -> Result<()> {
    let definitions = props
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .ok_or_else(|| anyhow!("no AttributeDefinitions"))?
        .iter()
        .map(|d| {
            Ok(AttributeDefinition::builder()
                .attribute_name(text(d, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(text(d, "AttributeType")?))
                .build()?)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut request = client
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(definitions))
        .set_key_schema(Some(key_schema(
            props.get("KeySchema").unwrap_or(&Value::Null),
        )?))
        .billing_mode(BillingMode::from(
            props
                .get("BillingMode")
                .and_then(Value::as_str)
                .unwrap_or("PROVISIONED"),
        ));
    for gsi in props
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let projection = gsi.get("Projection").unwrap_or(&Value::Null);
        let non_key: Option<Vec<String>> = projection
            .get("NonKeyAttributes")
            .and_then(Value::as_sequence)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            });
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(text(gsi, "IndexName")?)
                .set_key_schema(Some(key_schema(
                    gsi.get("KeySchema").unwrap_or(&Value::Null),
                )?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(
                            projection
                                .get("ProjectionType")
                                .and_then(Value::as_str)
                                .unwrap_or("ALL"),
                        ))
                        .set_non_key_attributes(non_key)
                        .build(),
                )
                .build()?,
        );
    }
    request.send().await?;
    if let Some(ttl) = props.get("TimeToLiveSpecification") {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(text(ttl, "AttributeName")?)
                    .enabled(ttl.get("Enabled").and_then(Value::as_bool).unwrap_or(false))
                    .build()?,
            )
            .send()
            .await?;
    }
    Ok(())
}

/// A stack name unique to this process and call, for tests that share servers.
pub fn unique_stack_name(prefix: &str) -> String {
    use rand::Rng;
    let suffix: u32 = rand::rng().random();
    format!("{prefix}-{suffix:08x}")
}
