//! Where a stack's resources are, by the template's logical ids: read from
//! CloudFormation for a deployed stack (`--stack`), or derived from the local
//! provisioning's names for a local one (`--local-stack`), so the operator commands
//! run the same against both.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow};
use aws_config::SdkConfig;

use crate::local_aws::repo_root;
use crate::template::{Physical, Resolver, Template};

/// Physical names (table names, queue URLs, ...) by logical id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResources {
    /// The stack's name.
    pub stack: String,
    physical: BTreeMap<String, String>,
}

impl StackResources {
    /// The resources of a deployed stack, from CloudFormation (`ListStackResources`).
    pub async fn deployed(sdk: &SdkConfig, stack: &str) -> Result<Self> {
        let client = aws_sdk_cloudformation::Client::new(sdk);
        let mut physical = BTreeMap::new();
        let mut token = None;
        loop {
            let page = client
                .list_stack_resources()
                .stack_name(stack)
                .set_next_token(token)
                .send()
                .await
                .map_err(aws_sdk_cloudformation::Error::from)
                .with_context(|| format!("reading the resources of stack {stack}"))?;
            for r in page.stack_resource_summaries() {
                if let (Some(logical), Some(id)) =
                    (r.logical_resource_id(), r.physical_resource_id())
                {
                    physical.insert(logical.to_string(), id.to_string());
                }
            }
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        Ok(Self {
            stack: stack.to_string(),
            physical,
        })
    }

    /// The tables and queues of a stack provisioned locally (`nba-props local-aws` and
    /// the tests): named `{stack}-{logical id}` by `provision`, queue URLs asked of SQS.
    pub async fn local(sdk: &SdkConfig, stack: &str) -> Result<Self> {
        let template = Template::load(&repo_root().join("infra/template.yaml"))?;
        let sqs = aws_sdk_sqs::Client::new(sdk);
        let mut physical = BTreeMap::new();
        for id in template.ids_of("AWS::DynamoDB::Table") {
            physical.insert(id.to_string(), format!("{stack}-{id}"));
        }
        for id in template.ids_of("AWS::SQS::Queue") {
            let url = sqs
                .get_queue_url()
                .queue_name(format!("{stack}-{id}"))
                .send()
                .await
                .map_err(aws_sdk_sqs::Error::from)
                .with_context(|| format!("no queue {id} of local stack {stack}"))?
                .queue_url
                .ok_or_else(|| anyhow!("no URL for queue {id}"))?;
            physical.insert(id.to_string(), url);
        }
        // Event buses and functions by the names the template gives them.
        let resolver = Resolver::new(&template, stack, BTreeMap::new());
        for (kind, name) in [
            ("AWS::Events::EventBus", "Name"),
            ("AWS::Serverless::Function", "FunctionName"),
        ] {
            for id in template.ids_of(kind) {
                if let Some(v) = template.resources[id].properties.get(name) {
                    physical.insert(id.to_string(), resolver.resolve(v)?);
                }
            }
        }
        Ok(Self {
            stack: stack.to_string(),
            physical,
        })
    }

    /// The environment the template gives a function in this stack, its parameters at
    /// their defaults (what the function runs with unless a deployment overrode them).
    pub fn template_environment(
        &self,
        template: &Template,
        function: &str,
    ) -> Result<BTreeMap<String, String>> {
        let physical = self
            .physical
            .iter()
            .filter_map(|(id, name)| {
                let kind = template.resources.get(id)?.kind.as_str();
                let entry = match kind {
                    "AWS::DynamoDB::Table" => Physical::Table {
                        name: name.clone(),
                        arn: String::new(),
                    },
                    "AWS::SQS::Queue" => Physical::Queue {
                        name: name.rsplit('/').next().unwrap_or(name).to_string(),
                        url: name.clone(),
                        arn: String::new(),
                    },
                    // A topic's physical id is its ARN.
                    "AWS::SNS::Topic" => Physical::Topic {
                        name: name.rsplit(':').next().unwrap_or(name).to_string(),
                        arn: name.clone(),
                    },
                    _ => Physical::Named {
                        name: name.clone(),
                        arn: String::new(),
                    },
                };
                Some((id.clone(), entry))
            })
            .collect();
        Resolver::new(template, &self.stack, physical).function_environment(function)
    }

    /// The physical name of a logical id.
    pub fn get(&self, logical_id: &str) -> Result<&str> {
        self.physical
            .get(logical_id)
            .map(String::as_str)
            .ok_or_else(|| anyhow!("stack {} has no resource {logical_id}", self.stack))
    }
}
