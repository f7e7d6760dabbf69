//! What `infra/template.yaml` means, checked beyond `sam validate --lint` (which misses
//! dangling references, bad runtimes and over-broad policies).

use std::collections::BTreeSet;

use anyhow::Result;
use nba_props_cli::local_aws::repo_root;
use nba_props_cli::template::{Template, references};
use serde_yaml::Value;

fn template() -> Template {
    Template::load(&repo_root().join("infra/template.yaml")).expect("template parses")
}

/// The attribute names of a table's key schema, in order.
fn key_names(table: &Value) -> Vec<&str> {
    table["KeySchema"]
        .as_sequence()
        .expect("KeySchema")
        .iter()
        .filter_map(|k| k["AttributeName"].as_str())
        .collect()
}

fn functions(t: &Template) -> Vec<String> {
    t.ids_of("AWS::Serverless::Function")
        .into_iter()
        .map(String::from)
        .collect()
}

#[test]
fn every_reference_names_a_resource_or_parameter() {
    let t = template();
    let known: BTreeSet<&str> = t
        .resources
        .keys()
        .map(String::as_str)
        .chain(t.parameters.keys().map(String::as_str))
        .collect();
    for (id, r) in &t.resources {
        for target in references(&r.properties) {
            assert!(
                target.starts_with("AWS::") || known.contains(target.as_str()),
                "{id} refers to unknown {target}"
            );
        }
    }
}

#[test]
fn functions_are_rust_on_al2023_built_from_workspace_binaries() {
    let t = template();
    assert!(!functions(&t).is_empty());
    for f in functions(&t) {
        let r = &t.resources[&f];
        assert_eq!(
            t.function_property(&f, "Runtime").unwrap(),
            Some(Value::from("provided.al2023")),
            "{f}"
        );
        assert_eq!(
            t.function_property(&f, "Handler").unwrap(),
            Some(Value::from("bootstrap")),
            "{f}"
        );
        assert_eq!(
            r.metadata["BuildMethod"],
            Value::from("rust-cargolambda"),
            "{f}"
        );
        let binary = r.metadata["BuildProperties"]["Binary"]
            .as_str()
            .expect("Binary");
        let manifest = repo_root()
            .join("functions")
            .join(binary)
            .join("Cargo.toml");
        assert!(
            manifest.exists(),
            "{f} builds {binary}, but {} is missing",
            manifest.display()
        );
        // CodeUri is the workspace root, relative to infra/
        let code_uri = t
            .function_property(&f, "CodeUri")
            .unwrap()
            .expect("CodeUri");
        let root = repo_root()
            .join("infra")
            .join(code_uri.as_str().expect("string"));
        assert!(
            root.join("Cargo.toml").exists(),
            "CodeUri {code_uri:?} is not the workspace root"
        );
    }
}

#[test]
fn sqs_sources_report_partial_failures_and_queues_outlast_the_function() {
    let t = template();
    for f in functions(&t) {
        let timeout = t.function_timeout(&f).unwrap();
        for source in t.sqs_event_sources(&f).unwrap() {
            assert!(
                source.report_batch_item_failures,
                "{f}/{} lacks ReportBatchItemFailures",
                source.name
            );
            assert!(
                source.maximum_concurrency.is_some(),
                "{f}/{} has no maximum concurrency",
                source.name
            );
            let queue = &t.resources[&source.queue].properties;
            let visibility = queue["VisibilityTimeout"]
                .as_u64()
                .expect("VisibilityTimeout");
            assert!(
                visibility >= 6 * timeout,
                "{}: visibility {visibility}s < 6 x {timeout}s",
                source.queue
            );
            let redrive = &queue["RedrivePolicy"];
            assert!(
                redrive["maxReceiveCount"].as_u64().is_some_and(|n| n >= 1),
                "{} has no redrive",
                source.queue
            );
            let dlq = nba_props_cli::template::referenced_id(&redrive["deadLetterTargetArn"])
                .unwrap()
                .expect("DLQ ref");
            assert_eq!(t.resources[&dlq].kind, "AWS::SQS::Queue");
            // a dead-letter queue keeps messages longer than its source, or they expire unseen
            let keep = |p: &Value| p["MessageRetentionPeriod"].as_u64().unwrap_or(345_600);
            assert!(
                keep(&t.resources[&dlq].properties) > keep(queue),
                "{dlq} keeps messages no longer than {}",
                source.queue
            );
            // an alarm watches it
            let watched = t
                .ids_of("AWS::CloudWatch::Alarm")
                .into_iter()
                .any(|a| references(&t.resources[a].properties).contains(&dlq));
            assert!(watched, "no alarm on {dlq}");
        }
    }
}

#[test]
fn function_environments_name_every_resource_the_code_reads() {
    let t = template();
    let writer = t.function_for_binary("prediction-writer").unwrap();
    let env = t.function_environment(writer).unwrap();
    for var in [
        nba_props::config::vars::PREDICTIONS_TABLE,
        nba_props::config::vars::FEATURES_TABLE,
        nba_props::config::vars::LOCKOUT_HOURS,
        nba_props::config::vars::MAX_ATTEMPTS,
    ] {
        assert!(
            env.contains_key(var),
            "the template does not set {var} for {writer}"
        );
    }
    assert_eq!(
        references(&env[nba_props::config::vars::PREDICTIONS_TABLE]),
        ["PredictionsTable"]
    );
}

/// Each function has its own role whose statements name only resources of this stack
/// that the function uses (its environment, its event sources, its log group), never `*`.
#[test]
fn each_role_names_only_what_its_function_uses() -> Result<()> {
    let t = template();
    for f in functions(&t) {
        let props = &t.resources[&f].properties;
        let role = nba_props_cli::template::referenced_id(&props["Role"])?.unwrap_or_else(|| {
            panic!("{f} has no role of its own (SAM would attach broad managed policies)")
        });
        assert!(
            props.get("Policies").is_none(),
            "{f}: Policies are ignored when Role is set"
        );
        let mut used: BTreeSet<String> = t
            .function_environment(&f)?
            .values()
            .flat_map(references)
            .collect();
        used.extend(t.sqs_event_sources(&f)?.into_iter().map(|s| s.queue));
        used.extend(references(&props["LoggingConfig"]));
        // Lambda sends failed asynchronous invocations on with the function's role.
        if let Some(invoke) = props.get("EventInvokeConfig") {
            used.extend(references(invoke));
        }
        let role_props = &t.resources[&role].properties;
        assert!(
            role_props.get("ManagedPolicyArns").is_none(),
            "{role}: managed policies are too broad"
        );
        let mut statements = 0;
        for policy in role_props["Policies"]
            .as_sequence()
            .expect("inline policies")
        {
            for st in policy["PolicyDocument"]["Statement"]
                .as_sequence()
                .expect("statements")
            {
                statements += 1;
                let resources = match &st["Resource"] {
                    Value::Sequence(items) => items.clone(),
                    other => vec![other.clone()],
                };
                for r in resources {
                    assert_ne!(
                        r.as_str(),
                        Some("*"),
                        "{role}: a statement allows every resource"
                    );
                    for target in references(&r) {
                        assert!(
                            used.contains(&target),
                            "{role} grants {target}, which {f} does not use"
                        );
                    }
                    assert!(
                        !references(&r).is_empty(),
                        "{role}: {r:?} is not a resource of this stack"
                    );
                }
                let actions: Vec<&str> = match &st["Action"] {
                    Value::Sequence(a) => a.iter().filter_map(Value::as_str).collect(),
                    other => other.as_str().into_iter().collect(),
                };
                assert!(
                    actions.iter().all(|a| !a.ends_with('*')),
                    "{role}: wildcard action in {actions:?}"
                );
            }
        }
        assert!(statements > 0);
    }
    Ok(())
}

#[test]
fn tables_key_schemas_match_what_the_code_writes() {
    let t = template();
    let predictions = &t.resources["PredictionsTable"].properties;
    let keys: Vec<&str> = key_names(predictions);
    assert_eq!(
        keys,
        [
            nba_props::adapters::dynamodb::keys::PLAYER_LOOKUP,
            nba_props::adapters::dynamodb::keys::PREDICTION_KEY
        ]
    );
    let indexes: Vec<&str> = predictions["GlobalSecondaryIndexes"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|i| i["IndexName"].as_str())
        .collect();
    assert!(indexes.contains(&nba_props::adapters::dynamodb::predictions::BY_GAME_DATE_INDEX));
    let features = &t.resources["FeaturesTable"].properties;
    let keys: Vec<&str> = key_names(features);
    assert_eq!(
        keys,
        [
            nba_props::adapters::dynamodb::keys::ENTITY_ID,
            nba_props::adapters::dynamodb::keys::FEATURE_KEY
        ]
    );
}

#[test]
fn a_failing_entity_trips_its_breaker_before_sqs_dead_letters_its_work() {
    let t = template();
    let max_attempts: u64 = t.parameters["CircuitBreakerMaxAttempts"].parse().unwrap();
    let processor = t.function_for_binary("processor").unwrap();
    for source in t.sqs_event_sources(processor).unwrap() {
        let receives = t.resources[&source.queue].properties["RedrivePolicy"]["maxReceiveCount"]
            .as_u64()
            .unwrap();
        assert!(
            receives > max_attempts,
            "{}: {receives} receives <= {max_attempts} attempts",
            source.queue
        );
    }
    assert_eq!(t.parameters["CircuitBreakerEntityLockoutHours"], "24");
}

#[test]
fn no_allowed_max_attempts_lets_sqs_dead_letter_work_before_its_breaker_trips() {
    // The parameter's bound, not just its default: a deployment may set any allowed value.
    let raw: Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo_root().join("infra/template.yaml")).unwrap(),
    )
    .unwrap();
    let bound = raw["Parameters"]["CircuitBreakerMaxAttempts"]["MaxValue"]
        .as_u64()
        .expect("CircuitBreakerMaxAttempts has a MaxValue");
    let t = template();
    let processor = t.function_for_binary("processor").unwrap();
    for source in t.sqs_event_sources(processor).unwrap() {
        let receives = t.resources[&source.queue].properties["RedrivePolicy"]["maxReceiveCount"]
            .as_u64()
            .unwrap();
        assert!(
            bound < receives,
            "{}: CircuitBreakerMaxAttempts may be {bound}, not below maxReceiveCount {receives}",
            source.queue
        );
    }
    // The function refuses what the template refuses, and accepts its whole range.
    let at = |n: u64| {
        let n = n.to_string();
        nba_props::config::BreakerSettings::from_source(&[(
            nba_props::config::vars::MAX_ATTEMPTS,
            n.as_str(),
        )])
    };
    assert!(at(bound).is_ok());
    assert!(at(bound + 1).is_err());
    assert_eq!(u64::from(nba_props::config::MAX_ATTEMPTS_LIMIT), bound);
}

#[test]
fn breakers_table_has_the_ttl_and_index_the_code_uses() {
    let t = template();
    let breakers = &t.resources["BreakersTable"].properties;
    assert_eq!(
        breakers["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some(nba_props::adapters::dynamodb::breakers::TTL_ATTRIBUTE)
    );
    assert_eq!(
        breakers["TimeToLiveSpecification"]["Enabled"].as_bool(),
        Some(true)
    );
    let index = &breakers["GlobalSecondaryIndexes"][0];
    assert_eq!(
        index["IndexName"].as_str(),
        Some(nba_props::adapters::dynamodb::breakers::TRIPPED_BY_DATE_INDEX)
    );
    let keys: Vec<&str> = key_names(breakers);
    assert_eq!(
        keys,
        [
            nba_props::adapters::dynamodb::keys::BREAKER_ID,
            nba_props::adapters::dynamodb::keys::ANALYSIS_DATE
        ]
    );
}

#[test]
fn schedules_never_use_utc_only_rules() {
    // EventBridge rules with a ScheduleExpression are UTC-only; schedules belong in
    // ScheduleV2 with a time zone.
    let t = template();
    for id in t.ids_of("AWS::Events::Rule") {
        assert!(
            t.resources[id]
                .properties
                .get("ScheduleExpression")
                .is_none(),
            "{id} is a UTC-only schedule"
        );
    }
}

/// The morning check: EventBridge Scheduler at 06:00 New York time with retries and a
/// dead-letter queue that has an alarm; the scheduler's role may invoke that function
/// and send to that queue, nothing else.
#[test]
fn the_completeness_check_is_scheduled_at_six_in_new_york_with_retries_and_a_dlq() {
    let t = template();
    let checker = t.function_for_binary("completeness-checker").unwrap();
    let events = &t.resources[checker].properties["Events"];
    let schedules: Vec<&Value> = events
        .as_mapping()
        .expect("Events")
        .values()
        .filter(|e| e["Type"].as_str() == Some("ScheduleV2"))
        .collect();
    assert_eq!(schedules.len(), 1, "{checker}: one ScheduleV2 event");
    let s = &schedules[0]["Properties"];
    assert_eq!(s["ScheduleExpression"].as_str(), Some("cron(0 6 * * ? *)"));
    assert_eq!(
        s["ScheduleExpressionTimezone"].as_str(),
        Some("America/New_York")
    );
    assert!(s["RetryPolicy"]["MaximumRetryAttempts"].as_u64().unwrap() > 0);
    // The input the schedule sends is one the checker accepts.
    let input: serde_json::Value = serde_json::from_str(s["Input"].as_str().unwrap()).unwrap();
    let input = serde_json::to_string(&input)
        .unwrap()
        .replace("<aws.scheduler.scheduled-time>", "2025-11-05T11:00:00Z");
    // The deployed look-back is the parameter's default, passed to the function.
    let lookback: u32 = t.parameters["CompletenessLookbackDays"]
        .parse()
        .expect("CompletenessLookbackDays default");
    assert_eq!(lookback, nba_props::config::DEFAULT_LOOKBACK_DAYS);
    assert_eq!(
        references(
            &t.resources[checker].properties["Environment"]["Variables"]["COMPLETENESS_LOOKBACK_DAYS"]
        ),
        vec!["CompletenessLookbackDays".to_string()]
    );
    let request = nba_props::domain::completeness::CheckRequest::from_input(
        &serde_json::from_str(&input).unwrap(),
        chrono::Utc::now(),
        lookback,
    )
    .unwrap();
    assert_eq!(request.game_date.to_string(), "2025-11-04");
    assert_eq!(
        request.checked_dates().len(),
        8,
        "yesterday and the week before"
    );

    let dlq = references(&s["DeadLetterConfig"]["Arn"]);
    assert_eq!(dlq.len(), 1);
    let dlq = &dlq[0];
    assert_eq!(t.resources[dlq].kind, "AWS::SQS::Queue");
    let alarmed = t
        .ids_of("AWS::CloudWatch::Alarm")
        .into_iter()
        .any(|a| references(&t.resources[a].properties["Dimensions"]).contains(dlq));
    assert!(alarmed, "no alarm watches {dlq}");
    // Failed asynchronous invocations end in the same queue.
    assert_eq!(
        references(
            &t.resources[checker].properties["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
        ),
        std::slice::from_ref(dlq)
    );

    let role = nba_props_cli::template::referenced_id(&s["RoleArn"])
        .unwrap()
        .expect("the schedule has a role of its own");
    let granted: BTreeSet<String> = t.resources[&role].properties["Policies"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|p| {
            p["PolicyDocument"]["Statement"]
                .as_sequence()
                .unwrap()
                .clone()
        })
        .flat_map(|st| references(&st["Resource"]))
        .collect();
    assert_eq!(
        granted,
        BTreeSet::from([checker.to_string(), dlq.clone()]),
        "{role} grants more than the checker and its dead-letter queue"
    );
}

/// Every statement of a role's inline policies.
fn statements<'t>(t: &'t Template, role: &str) -> Vec<&'t Value> {
    t.resources[role].properties["Policies"]
        .as_sequence()
        .expect("inline policies")
        .iter()
        .flat_map(|p| {
            p["PolicyDocument"]["Statement"]
                .as_sequence()
                .expect("statements")
        })
        .collect()
}

fn actions(statement: &Value) -> Vec<&str> {
    match &statement["Action"] {
        Value::Sequence(a) => a.iter().filter_map(Value::as_str).collect(),
        other => other.as_str().into_iter().collect(),
    }
}

#[test]
fn functions_publish_pipeline_events_only_and_the_backfill_box_scores_only() {
    let t = template();
    let mut publishers = 0;
    for f in functions(&t) {
        let role = nba_props_cli::template::referenced_id(&t.resources[&f].properties["Role"])
            .unwrap()
            .expect("role");
        let backfill = f == t.function_for_binary("backfill").unwrap();
        for st in statements(&t, &role) {
            if !actions(st).contains(&"events:PutEvents") {
                continue;
            }
            publishers += 1;
            let condition = &st["Condition"]["StringEquals"];
            if backfill {
                // The backfill publishes what it fetched as the ingest would, and
                // nothing else: a box score, from the ingest source.
                assert_eq!(
                    condition["events:source"].as_str(),
                    Some(nba_props::domain::processor_message::INGEST_SOURCE),
                    "{role}"
                );
                assert_eq!(
                    condition["events:detail-type"].as_str(),
                    Some(nba_props::domain::processor_message::BOX_SCORE_DETAIL_TYPE),
                    "{role}: ingest events other than box scores"
                );
            } else {
                assert_eq!(
                    condition["events:source"].as_str(),
                    Some(nba_props::adapters::eventbridge::PIPELINE_SOURCE),
                    "{role}: PutEvents without the pipeline's events:source condition"
                );
            }
        }
    }
    assert_eq!(
        publishers, 3,
        "the processor, the checker and the backfill publish; the writer does not"
    );
    assert_ne!(
        nba_props::adapters::eventbridge::PIPELINE_SOURCE,
        nba_props::domain::processor_message::INGEST_SOURCE
    );
}

#[test]
fn events_that_a_rule_cannot_deliver_end_in_a_watched_dead_letter_queue() {
    let t = template();
    let rules = t.ids_of("AWS::Events::Rule");
    assert!(rules.len() >= 3, "{rules:?}");
    for (rule_id, target) in rules.iter().flat_map(|r| {
        t.resources[*r].properties["Targets"]
            .as_sequence()
            .expect("targets")
            .iter()
            .map(move |target| (r.to_string(), target))
    }) {
        assert!(
            target["RetryPolicy"]["MaximumEventAgeInSeconds"].as_u64() >= Some(3600),
            "{rule_id}: retries for at least an hour"
        );
        let dlq = nba_props_cli::template::referenced_id(&target["DeadLetterConfig"]["Arn"])
            .unwrap()
            .expect("every target has a dead-letter queue");
        assert_eq!(t.resources[&dlq].kind, "AWS::SQS::Queue");
        // EventBridge may send to it: a queue policy for the rule names it.
        let allowed = t.ids_of("AWS::SQS::QueuePolicy").into_iter().any(|p| {
            let props = &t.resources[p].properties;
            references(&props["Queues"]).contains(&dlq)
                && references(&props["PolicyDocument"]).contains(&rule_id)
        });
        assert!(allowed, "no queue policy lets {rule_id} send to {dlq}");
        let watched = t
            .ids_of("AWS::CloudWatch::Alarm")
            .into_iter()
            .any(|a| references(&t.resources[a].properties["Dimensions"]).contains(&dlq));
        assert!(watched, "no alarm on {dlq}");
    }
}

#[test]
fn every_function_has_error_and_throttle_alarms() {
    let t = template();
    for f in functions(&t) {
        for metric in ["Errors", "Throttles"] {
            let alarmed = t.ids_of("AWS::CloudWatch::Alarm").into_iter().any(|a| {
                let p = &t.resources[a].properties;
                p["Namespace"].as_str() == Some("AWS/Lambda")
                    && p["MetricName"].as_str() == Some(metric)
                    && references(&p["Dimensions"]).contains(&f)
            });
            assert!(alarmed, "no {metric} alarm on {f}");
        }
    }
}

#[test]
fn tables_have_point_in_time_recovery_and_records_are_retained() {
    let t = template();
    for id in t.ids_of("AWS::DynamoDB::Table") {
        let p = &t.resources[id].properties;
        assert_eq!(
            p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
            Some(true),
            "{id} has no point-in-time recovery"
        );
    }
    // What cannot be recomputed survives a stack deletion or a replacement.
    for id in ["PredictionsTable", "GameDataTable"] {
        let r = &t.resources[id];
        assert_eq!(r.deletion_policy.as_deref(), Some("Retain"), "{id}");
        assert_eq!(r.update_replace_policy.as_deref(), Some("Retain"), "{id}");
    }
}

/// What CloudFormation calls to create, update and delete each resource type, the
/// types SAM expands a function into included (its event source mappings, its event
/// invoke configuration, its ScheduleV2 schedule, and the roles it passes).
const DEPLOY_ACTIONS: &[(&str, &[&str])] = &[
    (
        "AWS::DynamoDB::Table",
        &[
            "dynamodb:CreateTable",
            "dynamodb:UpdateTable",
            "dynamodb:DeleteTable",
            "dynamodb:DescribeTable",
            "dynamodb:UpdateTimeToLive",
            "dynamodb:DescribeTimeToLive",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:DescribeContinuousBackups",
        ],
    ),
    (
        "AWS::SQS::Queue",
        &[
            "sqs:CreateQueue",
            "sqs:DeleteQueue",
            "sqs:GetQueueAttributes",
            "sqs:SetQueueAttributes",
        ],
    ),
    ("AWS::SQS::QueuePolicy", &["sqs:SetQueueAttributes"]),
    (
        "AWS::CloudWatch::Alarm",
        &[
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DeleteAlarms",
            "cloudwatch:DescribeAlarms",
        ],
    ),
    (
        "AWS::Events::EventBus",
        &[
            "events:CreateEventBus",
            "events:DeleteEventBus",
            "events:DescribeEventBus",
        ],
    ),
    (
        "AWS::Events::Rule",
        &[
            "events:PutRule",
            "events:DeleteRule",
            "events:DescribeRule",
            "events:PutTargets",
            "events:RemoveTargets",
        ],
    ),
    (
        "AWS::SNS::Topic",
        &[
            "sns:CreateTopic",
            "sns:DeleteTopic",
            "sns:GetTopicAttributes",
            "sns:SetTopicAttributes",
        ],
    ),
    ("AWS::SNS::TopicPolicy", &["sns:SetTopicAttributes"]),
    (
        "AWS::SNS::Subscription",
        &[
            "sns:Subscribe",
            "sns:Unsubscribe",
            "sns:GetSubscriptionAttributes",
        ],
    ),
    (
        "AWS::Logs::LogGroup",
        &[
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DescribeLogGroups",
        ],
    ),
    (
        "AWS::IAM::Role",
        &[
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:GetRole",
            "iam:PutRolePolicy",
            "iam:DeleteRolePolicy",
            "iam:GetRolePolicy",
            "iam:PassRole",
        ],
    ),
    (
        "AWS::Serverless::Function",
        &[
            "lambda:CreateFunction",
            "lambda:DeleteFunction",
            "lambda:GetFunction",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
            "lambda:CreateEventSourceMapping",
            "lambda:UpdateEventSourceMapping",
            "lambda:DeleteEventSourceMapping",
            "lambda:GetEventSourceMapping",
            "lambda:PutFunctionEventInvokeConfig",
            "lambda:UpdateFunctionEventInvokeConfig",
            "lambda:DeleteFunctionEventInvokeConfig",
            "scheduler:CreateSchedule",
            "scheduler:UpdateSchedule",
            "scheduler:DeleteSchedule",
            "scheduler:GetSchedule",
        ],
    ),
];

/// What `sam deploy` itself needs: the SAM transform, change sets, the managed bucket.
const SAM_DEPLOY_ACTIONS: &[&str] = &[
    "cloudformation:CreateChangeSet",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:DescribeChangeSet",
    "cloudformation:DescribeStacks",
    "cloudformation:DescribeStackEvents",
    "cloudformation:GetTemplateSummary",
    "s3:PutObject",
    "s3:GetObject",
];

#[test]
fn the_deployer_policy_covers_every_resource_type_of_the_template() -> Result<()> {
    let t = template();
    let policy: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        repo_root().join("infra/deployer-policy.json"),
    )?)?;
    let mut granted = BTreeSet::new();
    for st in policy["Statement"].as_array().expect("statements") {
        assert_eq!(st["Effect"], "Allow");
        let actions: Vec<&str> = match &st["Action"] {
            serde_json::Value::Array(a) => a.iter().filter_map(|a| a.as_str()).collect(),
            other => other.as_str().into_iter().collect(),
        };
        for a in actions {
            assert!(!a.contains('*'), "wildcard action {a}");
            granted.insert(a.to_string());
        }
    }
    let types: BTreeSet<&str> = t.resources.values().map(|r| r.kind.as_str()).collect();
    for kind in &types {
        let needed = DEPLOY_ACTIONS
            .iter()
            .find(|(k, _)| k == kind)
            .unwrap_or_else(|| {
                panic!("{kind} is new to the template: add what deploying it needs to DEPLOY_ACTIONS and infra/deployer-policy.json")
            })
            .1;
        for action in needed {
            assert!(granted.contains(*action), "{kind} needs {action}");
        }
    }
    for action in SAM_DEPLOY_ACTIONS {
        assert!(granted.contains(*action), "sam deploy needs {action}");
    }
    // Nothing for a container registry: the packages are zip files.
    assert!(!granted.iter().any(|a| a.starts_with("ecr:")));
    for f in functions(&t) {
        let package = t.function_property(&f, "PackageType")?;
        assert!(
            package.is_none() || package.as_ref().and_then(Value::as_str) == Some("Zip"),
            "{f} is not a zip package"
        );
    }
    Ok(())
}

#[test]
fn every_dead_letter_queue_is_found_and_watched() {
    let t = template();
    let dlqs = t.dead_letter_queues();
    assert_eq!(
        dlqs,
        [
            "BackfillDeadLetterQueue",
            "CompletenessCheckDeadLetterQueue",
            "IngestDeadLetterQueue",
            "PredictionDeadLetterQueue",
            "ProcessorDeadLetterQueue",
            "ReportDeliveryDeadLetterQueue"
        ]
    );
    for dlq in &dlqs {
        let watched = t
            .ids_of("AWS::CloudWatch::Alarm")
            .into_iter()
            .any(|a| references(&t.resources[a].properties["Dimensions"]).contains(dlq));
        assert!(watched, "no alarm on {dlq}");
    }
}

/// The alarms on the morning check's findings watch metrics the checker emits, in the
/// namespace and with the dimension it emits them with.
#[test]
fn the_morning_checks_findings_are_alarmed_from_its_own_metrics() {
    let t = template();
    let namespace = t.function_globals["Environment"]["Variables"]["METRICS_NAMESPACE"]
        .as_str()
        .expect("the functions' metrics namespace");
    let report: nba_props::domain::completeness::CompletenessReport =
        serde_json::from_value(serde_json::json!({
            "game_date": "2024-11-07", "games_expected": 3, "games_complete": 2,
            "missing_games": ["0022400180"], "circuit_breakers_reset": 0,
            "backfill_requested": 1, "backfill_given_up": [], "breakers_ready": 0,
            "breakers_still_tripped": 4, "dates_without_schedule": [],
            "games_missing_over_a_day": 1, "work_reenqueued": 0,
            "auto_reset_circuit_breakers": true, "dry_run": false,
            "checked_at": "2024-11-08T11:00:00.000000Z", "dates": []
        }))
        .expect("a report");
    let emitted = report.metrics(namespace).to_emf(0);
    let mut watched = Vec::new();
    for id in t.ids_of("AWS::CloudWatch::Alarm") {
        let p = &t.resources[id].properties;
        if p["Namespace"].as_str() != Some(namespace) {
            continue;
        }
        let metric = p["MetricName"].as_str().expect("metric");
        assert!(
            emitted.get(metric).is_some_and(|v| v.as_u64() > Some(0)),
            "{id} watches {metric}, which the checker does not emit"
        );
        assert_eq!(
            p["Dimensions"][0]["Value"].as_str(),
            emitted["Function"].as_str(),
            "{id}"
        );
        watched.push(metric.to_string());
    }
    watched.sort();
    assert_eq!(watched, ["BreakersStillTripped", "GamesMissingOverADay"]);
}

/// The morning report reaches people: a rule on the checker's `Completeness Report`
/// hands the topic the summary text alone, only that rule may publish to the topic,
/// and an email subscription exists exactly when `ReportEmail` is set.
#[test]
fn the_morning_report_is_delivered_as_text_to_a_topic_with_an_optional_email() {
    let t = template();
    let rule = &t.resources["CompletenessReportRule"].properties;
    assert_eq!(
        rule["EventPattern"]["detail-type"][0].as_str(),
        Some(nba_props::domain::completeness::COMPLETENESS_REPORT)
    );
    let target = &rule["Targets"][0];
    assert_eq!(
        references(&target["Arn"]),
        ["CompletenessReportTopic"],
        "the rule targets the topic"
    );
    let transformer = nba_props_cli::topic_relay::InputTransformer::of_target(target)
        .unwrap()
        .expect("an input transformer");
    // What the checker publishes (the summary field of the report's detail) is what
    // the transformer delivers, and nothing else.
    let event = serde_json::json!({"detail": {"summary": "line one\nline two", "dates": []}});
    assert_eq!(transformer.apply(&event).unwrap(), "line one\nline two");

    let policy = &t.resources["CompletenessReportTopicPolicy"].properties;
    assert_eq!(references(&policy["Topics"]), ["CompletenessReportTopic"]);
    let statements = policy["PolicyDocument"]["Statement"]
        .as_sequence()
        .expect("statements");
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0]["Action"].as_str(), Some("sns:Publish"));
    assert_eq!(
        references(&statements[0]["Condition"]),
        ["CompletenessReportRule"],
        "only the report rule may publish"
    );

    let email = &t.resources["CompletenessReportEmail"];
    assert_eq!(email.kind, "AWS::SNS::Subscription");
    assert_eq!(email.condition.as_deref(), Some("HasReportEmail"));
    assert_eq!(email.properties["Protocol"].as_str(), Some("email"));
    assert_eq!(references(&email.properties["Endpoint"]), ["ReportEmail"]);
    assert_eq!(
        t.parameters.get("ReportEmail").map(String::as_str),
        Some("")
    );
}
