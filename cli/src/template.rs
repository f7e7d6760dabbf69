//! Reads `infra/template.yaml` so the local stack is built from the same declarations
//! as the deployed one: tables, queues, redrive policies, function environments and
//! SQS event sources. Only the intrinsic functions the template uses are resolved
//! (`Ref`, `Fn::GetAtt`, `Fn::Sub`), in short or long form.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde_yaml::Value;

/// Region the local stack pretends to be in.
pub const LOCAL_REGION: &str = "us-east-1";
/// Account id the local stack pretends to be (moto's default).
pub const LOCAL_ACCOUNT: &str = "123456789012";

/// One resource of the template.
#[derive(Debug, Clone)]
pub struct Resource {
    /// `AWS::DynamoDB::Table`, `AWS::SQS::Queue`, `AWS::Serverless::Function`, ...
    pub kind: String,
    /// `Properties` (null when absent).
    pub properties: Value,
    /// `Metadata` (null when absent).
    pub metadata: Value,
    /// `DeletionPolicy`, when set.
    pub deletion_policy: Option<String>,
    /// `UpdateReplacePolicy`, when set.
    pub update_replace_policy: Option<String>,
    /// `Condition`: the resource exists only when it holds.
    pub condition: Option<String>,
}

/// The parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    /// Resources by logical id.
    pub resources: BTreeMap<String, Resource>,
    /// Parameter defaults, as strings.
    pub parameters: BTreeMap<String, String>,
    /// `Globals.Function` (null when absent).
    pub function_globals: Value,
}

/// An SQS event source of a function.
#[derive(Debug, Clone, PartialEq)]
pub struct SqsEventSource {
    /// Event name in the template.
    pub name: String,
    /// Logical id of the queue.
    pub queue: String,
    /// Records per invocation.
    pub batch_size: usize,
    /// Whether partial batch responses are enabled.
    pub report_batch_item_failures: bool,
    /// `ScalingConfig.MaximumConcurrency`, when set.
    pub maximum_concurrency: Option<u64>,
}

/// What a logical id stands for once created.
#[derive(Debug, Clone, PartialEq)]
pub enum Physical {
    /// A table: its name and ARN.
    Table {
        /// Table name.
        name: String,
        /// Table ARN.
        arn: String,
    },
    /// A queue: its name, URL and ARN.
    Queue {
        /// Queue name.
        name: String,
        /// Queue URL (`Ref`).
        url: String,
        /// Queue ARN.
        arn: String,
    },
    /// An SNS topic: `Ref` gives its ARN, as CloudFormation's does.
    Topic {
        /// Topic name.
        name: String,
        /// Topic ARN.
        arn: String,
    },
    /// Anything else: `Ref` gives the name, `Arn` a made-up ARN.
    Named {
        /// Physical name.
        name: String,
        /// ARN.
        arn: String,
    },
}

impl Template {
    /// Loads and parses a template file.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// Parses template text.
    pub fn parse(text: &str) -> Result<Self> {
        let doc: Value = serde_yaml::from_str(text)?;
        let mut resources = BTreeMap::new();
        let section = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| anyhow!("template has no Resources"))?;
        for (id, body) in section {
            let id = id
                .as_str()
                .ok_or_else(|| anyhow!("non-string logical id"))?;
            let kind = body
                .get("Type")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("resource {id} has no Type"))?;
            resources.insert(
                id.to_string(),
                Resource {
                    kind: kind.to_string(),
                    properties: body.get("Properties").cloned().unwrap_or(Value::Null),
                    metadata: body.get("Metadata").cloned().unwrap_or(Value::Null),
                    deletion_policy: body
                        .get("DeletionPolicy")
                        .and_then(Value::as_str)
                        .map(String::from),
                    update_replace_policy: body
                        .get("UpdateReplacePolicy")
                        .and_then(Value::as_str)
                        .map(String::from),
                    condition: body
                        .get("Condition")
                        .and_then(Value::as_str)
                        .map(String::from),
                },
            );
        }
        let mut parameters = BTreeMap::new();
        if let Some(params) = doc.get("Parameters").and_then(Value::as_mapping) {
            for (name, body) in params {
                if let (Some(name), Some(default)) = (name.as_str(), body.get("Default")) {
                    parameters.insert(name.to_string(), scalar_string(default)?);
                }
            }
        }
        let function_globals = doc
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .cloned()
            .unwrap_or(Value::Null);
        Ok(Self {
            resources,
            parameters,
            function_globals,
        })
    }

    /// Logical ids of the resources of one type, in order.
    pub fn ids_of(&self, kind: &str) -> Vec<&str> {
        self.resources
            .iter()
            .filter(|(_, r)| r.kind == kind)
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// A resource by logical id.
    pub fn resource(&self, id: &str) -> Result<&Resource> {
        self.resources
            .get(id)
            .ok_or_else(|| anyhow!("template has no resource {id}"))
    }

    /// The logical id of the function built from `binary` (`Metadata.BuildProperties.Binary`).
    pub fn function_for_binary(&self, binary: &str) -> Result<&str> {
        self.ids_of("AWS::Serverless::Function")
            .into_iter()
            .find(|id| {
                self.resources[*id]
                    .metadata
                    .get("BuildProperties")
                    .and_then(|b| b.get("Binary"))
                    .and_then(Value::as_str)
                    == Some(binary)
            })
            .ok_or_else(|| anyhow!("no function in the template builds binary {binary}"))
    }

    /// A function's effective property: its own, else `Globals.Function`'s.
    pub fn function_property(&self, function: &str, name: &str) -> Result<Option<Value>> {
        let own = self.resource(function)?.properties.get(name).cloned();
        Ok(own.or_else(|| self.function_globals.get(name).cloned()))
    }

    /// A function's timeout in seconds (SAM's default is 3).
    pub fn function_timeout(&self, function: &str) -> Result<u64> {
        Ok(self
            .function_property(function, "Timeout")?
            .and_then(|v| v.as_u64())
            .unwrap_or(3))
    }

    /// Queues that something sends its failures to: an SQS redrive policy's target, an
    /// EventBridge or Scheduler `DeadLetterConfig`, a Lambda `OnFailure` destination.
    pub fn dead_letter_queues(&self) -> Vec<String> {
        fn walk(v: &Value, found: &mut std::collections::BTreeSet<String>) {
            match v {
                Value::Mapping(m) => {
                    for (k, v) in m {
                        if matches!(
                            k.as_str(),
                            Some("deadLetterTargetArn" | "DeadLetterConfig" | "OnFailure")
                        ) {
                            found.extend(references(v));
                        }
                        walk(v, found);
                    }
                }
                Value::Sequence(items) => items.iter().for_each(|v| walk(v, found)),
                _ => {}
            }
        }
        let mut found = std::collections::BTreeSet::new();
        for r in self.resources.values() {
            walk(&r.properties, &mut found);
        }
        found
            .into_iter()
            .filter(|id| {
                self.resources
                    .get(id)
                    .is_some_and(|r| r.kind == "AWS::SQS::Queue")
            })
            .collect()
    }

    /// A function's memory in MB (SAM's default is 128).
    pub fn function_memory_mb(&self, function: &str) -> Result<u64> {
        Ok(self
            .function_property(function, "MemorySize")?
            .and_then(|v| v.as_u64())
            .unwrap_or(128))
    }

    /// A function's environment variables (globals merged with its own), unresolved.
    pub fn function_environment(&self, function: &str) -> Result<BTreeMap<String, Value>> {
        let mut env = BTreeMap::new();
        let globals = self
            .function_globals
            .get("Environment")
            .and_then(|e| e.get("Variables"));
        let own = self
            .resource(function)?
            .properties
            .get("Environment")
            .and_then(|e| e.get("Variables"));
        for vars in [globals, own].into_iter().flatten() {
            for (k, v) in vars.as_mapping().into_iter().flatten() {
                let k = k
                    .as_str()
                    .ok_or_else(|| anyhow!("non-string variable name"))?;
                env.insert(k.to_string(), v.clone());
            }
        }
        Ok(env)
    }

    /// A function's SQS event sources.
    pub fn sqs_event_sources(&self, function: &str) -> Result<Vec<SqsEventSource>> {
        let mut out = Vec::new();
        let events = self
            .resource(function)?
            .properties
            .get("Events")
            .and_then(Value::as_mapping);
        for (name, event) in events.into_iter().flatten() {
            if event.get("Type").and_then(Value::as_str) != Some("SQS") {
                continue;
            }
            let props = event.get("Properties").cloned().unwrap_or(Value::Null);
            let queue = props
                .get("Queue")
                .map(referenced_id)
                .transpose()?
                .flatten()
                .ok_or_else(|| {
                    anyhow!("SQS event of {function} names no queue of this template")
                })?;
            out.push(SqsEventSource {
                name: name.as_str().unwrap_or_default().to_string(),
                queue,
                batch_size: props.get("BatchSize").and_then(Value::as_u64).unwrap_or(10) as usize,
                report_batch_item_failures: props
                    .get("FunctionResponseTypes")
                    .and_then(Value::as_sequence)
                    .is_some_and(|t| {
                        t.iter()
                            .any(|v| v.as_str() == Some("ReportBatchItemFailures"))
                    }),
                maximum_concurrency: props
                    .get("ScalingConfig")
                    .and_then(|s| s.get("MaximumConcurrency"))
                    .and_then(Value::as_u64),
            });
        }
        Ok(out)
    }
}

/// The logical id a `!Ref X` / `!GetAtt X.Attr` points at, if `value` is one.
pub fn referenced_id(value: &Value) -> Result<Option<String>> {
    Ok(intrinsic(value)?.and_then(|i| match i {
        Intrinsic::Ref(id) => Some(id),
        Intrinsic::GetAtt(id, _) => Some(id),
        Intrinsic::Sub(_) => None,
    }))
}

/// Every logical id a value refers to (through `Ref`, `GetAtt` and `Sub`), recursively.
pub fn references(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_references(value, &mut out);
    out
}

fn collect_references(value: &Value, out: &mut Vec<String>) {
    match intrinsic(value) {
        Ok(Some(Intrinsic::Ref(id) | Intrinsic::GetAtt(id, _))) => out.push(id),
        Ok(Some(Intrinsic::Sub(text))) => {
            for name in sub_names(&text) {
                out.push(name.split('.').next().unwrap_or_default().to_string());
            }
        }
        _ => match value {
            Value::Sequence(items) => items.iter().for_each(|v| collect_references(v, out)),
            Value::Mapping(map) => map.values().for_each(|v| collect_references(v, out)),
            Value::Tagged(t) => collect_references(&t.value, out),
            _ => {}
        },
    }
}

enum Intrinsic {
    Ref(String),
    GetAtt(String, String),
    Sub(String),
}

fn intrinsic(value: &Value) -> Result<Option<Intrinsic>> {
    let (name, arg) = match value {
        Value::Tagged(t) => (
            t.tag.to_string().trim_start_matches('!').to_string(),
            &t.value,
        ),
        Value::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.iter().next().expect("one entry");
            match k.as_str() {
                Some("Ref") => ("Ref".to_string(), v),
                Some(k) if k.starts_with("Fn::") => (k.trim_start_matches("Fn::").to_string(), v),
                _ => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(match name.as_str() {
        "Ref" => Intrinsic::Ref(
            arg.as_str()
                .ok_or_else(|| anyhow!("Ref takes a name"))?
                .into(),
        ),
        "GetAtt" => match arg {
            Value::String(s) => {
                let (id, attr) = s
                    .split_once('.')
                    .ok_or_else(|| anyhow!("GetAtt {s} has no attribute"))?;
                Intrinsic::GetAtt(id.into(), attr.into())
            }
            Value::Sequence(parts) if parts.len() == 2 => Intrinsic::GetAtt(
                parts[0].as_str().unwrap_or_default().into(),
                parts[1].as_str().unwrap_or_default().into(),
            ),
            _ => bail!("GetAtt takes X.Attr or [X, Attr]"),
        },
        "Sub" => Intrinsic::Sub(
            arg.as_str()
                .ok_or_else(|| anyhow!("only the one-string form of Sub is supported"))?
                .into(),
        ),
        _ => return Ok(None),
    }))
}

fn sub_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        names.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    names
}

fn scalar_string(value: &Value) -> Result<String> {
    Ok(match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => bail!("expected a scalar, found {other:?}"),
    })
}

/// Resolves template values against what the local stack created.
#[derive(Debug, Clone)]
pub struct Resolver<'t> {
    template: &'t Template,
    stack_name: String,
    physical: BTreeMap<String, Physical>,
}

impl<'t> Resolver<'t> {
    /// A resolver for a stack named `stack_name`, knowing the resources in `physical`.
    pub fn new(
        template: &'t Template,
        stack_name: &str,
        physical: BTreeMap<String, Physical>,
    ) -> Self {
        Self {
            template,
            stack_name: stack_name.to_string(),
            physical,
        }
    }

    /// Resolves a value to a string.
    pub fn resolve(&self, value: &Value) -> Result<String> {
        match intrinsic(value)? {
            None => scalar_string(value),
            Some(Intrinsic::Ref(id)) => self.reference(&id),
            Some(Intrinsic::GetAtt(id, attr)) => self.attribute(&id, &attr),
            Some(Intrinsic::Sub(text)) => {
                let mut out = text.clone();
                for name in sub_names(&text) {
                    let replacement = match name.split_once('.') {
                        Some((id, attr)) => self.attribute(id, attr)?,
                        None => self.reference(&name)?,
                    };
                    out = out.replace(&format!("${{{name}}}"), &replacement);
                }
                Ok(out)
            }
        }
    }

    fn reference(&self, id: &str) -> Result<String> {
        match id {
            "AWS::StackName" => return Ok(self.stack_name.clone()),
            "AWS::Region" => return Ok(LOCAL_REGION.into()),
            "AWS::AccountId" => return Ok(LOCAL_ACCOUNT.into()),
            _ => {}
        }
        if let Some(default) = self.template.parameters.get(id) {
            return Ok(default.clone());
        }
        Ok(match self.physical(id)? {
            Physical::Table { name, .. } | Physical::Named { name, .. } => name.clone(),
            Physical::Queue { url, .. } => url.clone(),
            Physical::Topic { arn, .. } => arn.clone(),
        })
    }

    fn attribute(&self, id: &str, attr: &str) -> Result<String> {
        Ok(match (self.physical(id)?, attr) {
            (
                Physical::Table { arn, .. }
                | Physical::Queue { arn, .. }
                | Physical::Named { arn, .. },
                "Arn",
            ) => arn.clone(),
            (Physical::Queue { name, .. }, "QueueName") => name.clone(),
            (Physical::Queue { url, .. }, "QueueUrl") => url.clone(),
            (Physical::Named { name, .. }, "Name") => name.clone(),
            (Physical::Topic { name, .. }, "TopicName") => name.clone(),
            (Physical::Topic { arn, .. }, "TopicArn") => arn.clone(),
            (_, attr) => bail!("attribute {id}.{attr} is not known locally"),
        })
    }

    fn physical(&self, id: &str) -> Result<&Physical> {
        self.physical.get(id).ok_or_else(|| {
            anyhow!(
                "{id} is not created locally (type {:?})",
                self.template.resources.get(id).map(|r| &r.kind)
            )
        })
    }

    /// A function's environment with every value resolved.
    pub fn function_environment(&self, function: &str) -> Result<BTreeMap<String, String>> {
        self.template
            .function_environment(function)?
            .into_iter()
            .map(|(k, v)| {
                let resolved = self
                    .resolve(&v)
                    .with_context(|| format!("{function} variable {k}"))?;
                Ok((k, resolved))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
Parameters:
  Hours: { Type: Number, Default: 24 }
Globals:
  Function:
    Timeout: 30
    Environment:
      Variables:
        HOURS: !Ref Hours
Resources:
  T:
    Type: AWS::DynamoDB::Table
  Q:
    Type: AWS::SQS::Queue
  F:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: f } }
    Properties:
      Environment:
        Variables:
          TABLE: !Ref T
          QUEUE_ARN: { "Fn::GetAtt": [Q, Arn] }
          NAME: !Sub "${AWS::StackName}-x-${Q.QueueName}"
      Events:
        E:
          Type: SQS
          Properties: { Queue: !GetAtt Q.Arn, BatchSize: 5, FunctionResponseTypes: [ReportBatchItemFailures] }
"#;

    #[test]
    fn environment_resolves_refs_getatts_subs_and_parameters() {
        let t = Template::parse(TEMPLATE).unwrap();
        let physical = BTreeMap::from([
            (
                "T".to_string(),
                Physical::Table {
                    name: "s-T".into(),
                    arn: "arn:t".into(),
                },
            ),
            (
                "Q".to_string(),
                Physical::Queue {
                    name: "s-Q".into(),
                    url: "http://q".into(),
                    arn: "arn:q".into(),
                },
            ),
        ]);
        let r = Resolver::new(&t, "s", physical);
        let env = r
            .function_environment(t.function_for_binary("f").unwrap())
            .unwrap();
        assert_eq!(env["TABLE"], "s-T");
        assert_eq!(env["QUEUE_ARN"], "arn:q");
        assert_eq!(env["NAME"], "s-x-s-Q");
        assert_eq!(env["HOURS"], "24");
        assert_eq!(t.function_timeout("F").unwrap(), 30);
        let sources = t.sqs_event_sources("F").unwrap();
        assert_eq!(sources[0].queue, "Q");
        assert_eq!(sources[0].batch_size, 5);
        assert!(sources[0].report_batch_item_failures);
    }

    #[test]
    fn references_are_found_inside_nested_values() {
        let t = Template::parse(TEMPLATE).unwrap();
        let env = t.function_environment("F").unwrap();
        let mut refs: Vec<String> = env.values().flat_map(references).collect();
        refs.sort();
        assert_eq!(refs, ["AWS::StackName", "Hours", "Q", "Q", "T"]);
    }
}
