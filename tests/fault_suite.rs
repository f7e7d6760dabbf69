//! The fault suite: days of the committed 2024-25 week through the real processor and
//! writer, once clean and once with faults injected between the functions and their
//! servers (10% throttles, 3% 500s, 2% lost responses, on DynamoDB, SQS and
//! EventBridge alike). Both runs must end with the same features, predictions and game
//! data item by item, empty dead-letter queues, and no breaker counting a storage error.
//!
//! The harness (event source, provisioning, table reads) talks to the servers directly;
//! only the functions' clients go through the fault proxies.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use aws_sdk_dynamodb::types::AttributeValue;
use nba_props_cli::dataset::week_2024_25;
use nba_props_cli::event_source::visible_messages;
use nba_props_cli::fault_proxy::{FaultCounts, FaultProxy, Faults};
use nba_props_cli::local_aws::Endpoints;
use nba_props_cli::provision::LocalStack;
use nba_props_tests::fresh_stack;

/// Days of the week the suite runs (the processors' work grows with the days stored).
const DAYS: usize = 3;

/// The rates the issue names.
const FAULTS: Faults = Faults {
    throttle: 0.10,
    server_error: 0.03,
    dropped: 0.0,
    lost_response: 0.02,
};

/// What one run leaves behind: each table's items as sorted JSON, keyed by table.
type Tables = BTreeMap<&'static str, BTreeSet<String>>;

/// Attributes that differ between two correct runs: wall-clock times, and what is
/// derived from them.
const VOLATILE: [&str; 6] = [
    "generated_at",
    "written_at",
    "payload_hash",
    "completed_at",
    "computed_at",
    "features_at",
];

async fn scan(stack: &LocalStack, logical_id: &str) -> Result<BTreeSet<String>> {
    let client = aws_sdk_dynamodb::Client::new(&stack.endpoints.dynamodb_config().await);
    let table = stack.table(logical_id)?;
    let pages: Vec<_> = client
        .scan()
        .table_name(&table)
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut items = BTreeSet::new();
    for item in pages {
        let item: BTreeMap<String, AttributeValue> = item?
            .into_iter()
            .filter(|(k, _)| !VOLATILE.contains(&k.as_str()))
            .collect();
        let value: serde_json::Value = serde_dynamo::from_item(
            item.into_iter()
                .collect::<std::collections::HashMap<_, _>>(),
        )?;
        items.insert(value.to_string());
    }
    Ok(items)
}

/// Ingests the days through functions built on `functions` (the faulty or the plain
/// endpoints), with `stack` as the harness, and returns the tables.
async fn run(stack: &LocalStack, functions: &LocalStack) -> Result<Tables> {
    let processor = functions.processor().await?;
    let writer = functions.prediction_writer().await?;
    let days = week_2024_25()?;
    for day in &days[..DAYS] {
        stack
            .ingest_days(&processor, std::slice::from_ref(day), &BTreeSet::new())
            .await?;
        stack.drain_writer(&writer).await?;
    }
    let sqs = stack.sqs().await;
    for dlq in ["ProcessorDeadLetterQueue", "PredictionDeadLetterQueue"] {
        let url = stack.queue_url(dlq)?;
        assert_eq!(
            visible_messages(&sqs, &url).await?,
            0,
            "{dlq} of {}",
            stack.name
        );
    }
    let mut tables = Tables::new();
    for table in [
        "FeaturesTable",
        "PredictionsTable",
        "GameDataTable",
        "BreakersTable",
    ] {
        tables.insert(table, scan(stack, table).await?);
    }
    Ok(tables)
}

#[tokio::test(flavor = "multi_thread")]
async fn injected_faults_change_no_feature_prediction_or_game_data() -> Result<()> {
    let started = std::time::Instant::now();
    // The clean run.
    let clean_stack = fresh_stack("clean").await?;
    let clean = run(&clean_stack, &clean_stack).await?;

    // The same days with every function call going through a fault proxy.
    let stack = fresh_stack("faults").await?;
    let dynamodb = FaultProxy::start(&stack.endpoints.dynamodb, FAULTS, 11).await?;
    let moto = FaultProxy::start(&stack.endpoints.moto, FAULTS, 12).await?;
    let functions = LocalStack {
        endpoints: Endpoints {
            dynamodb: dynamodb.url().to_string(),
            moto: moto.url().to_string(),
        },
        ..stack.clone()
    };
    let faulty = run(&stack, &functions).await?;
    let (d, m) = (dynamodb.counts(), moto.counts());
    report("DynamoDB", d);
    report("SQS + EventBridge", m);
    eprintln!(
        "fault suite: {DAYS} days, two runs, {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // The faults were real...
    for (name, counts) in [("DynamoDB", d), ("moto", m)] {
        assert!(
            counts.throttles > 0 && counts.server_errors > 0 && counts.lost_responses > 0,
            "{name}: {counts:?}"
        );
    }
    // ... and changed nothing.
    assert!(!clean["PredictionsTable"].is_empty() && !clean["FeaturesTable"].is_empty());
    for table in ["FeaturesTable", "PredictionsTable", "GameDataTable"] {
        let only_clean: Vec<_> = clean[table].difference(&faulty[table]).take(3).collect();
        let only_faulty: Vec<_> = faulty[table].difference(&clean[table]).take(3).collect();
        assert!(
            only_clean.is_empty() && only_faulty.is_empty(),
            "{table}: {} items, {} with faults; only clean: {only_clean:?}; only with faults: {only_faulty:?}",
            clean[table].len(),
            faulty[table].len()
        );
    }
    // No breaker counted a storage error: the faulty run has no breaker the clean one
    // has not.
    assert!(
        faulty["BreakersTable"].is_empty() && clean["BreakersTable"].is_empty(),
        "breakers: {:?}",
        faulty["BreakersTable"].iter().take(3).collect::<Vec<_>>()
    );
    Ok(())
}

fn report(server: &str, c: FaultCounts) {
    eprintln!(
        "fault suite, {server}: {} requests, {} injected ({} throttles, {} 500s, {} lost responses), {} answered",
        c.requests,
        c.injected(),
        c.throttles,
        c.server_errors,
        c.lost_responses,
        c.forwarded
    );
}
