//! The operator commands, run as the built `nba-props` binary against a local stack
//! (DynamoDB Local and moto), with their `--json` output parsed back.

use std::collections::BTreeMap;
use std::process::Output;
use std::time::Instant;

use anyhow::Result;
use chrono::{Duration, NaiveDate, Utc};
use nba_props::domain::prediction::predictions_for;
use nba_props::domain::prediction_request::PredictionRequest;
use nba_props::model::{
    BreakerKey, BreakerSettings, Market, PredictionInputs, ProcessorName, PropLine,
};
use nba_props::ports::{BreakerStore, PredictionStore};
use nba_props_cli::dataset::composite_features;
use nba_props_cli::local_aws::LocalAws;
use nba_props_cli::provision::{LocalStack, unique_stack_name};
use serde_json::Value;

/// The one-item-per-key check of the fixture slate.
const DUPLICATES_CHECK: &[&str] = &[
    "predictions",
    "--date",
    "2025-11-05",
    "--duplicates",
    "--json",
];

/// Runs `nba-props ARGS --local-stack STACK` with the local endpoints; prints its time.
fn nba_props(local: &LocalAws, stack: &str, args: &[&str]) -> Output {
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nba-props"))
        .args(args)
        .args(["--local-stack", stack])
        .envs(local.endpoints.function_env())
        .output()
        .expect("nba-props runs");
    eprintln!(
        "nba-props {}: {} ms",
        args.join(" "),
        started.elapsed().as_millis()
    );
    out
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json prints JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn breakers_and_predictions_read_back_what_the_stack_holds() -> Result<()> {
    let local = LocalAws::start().await?;
    let stack = LocalStack::provision(&local.endpoints, &unique_stack_name("operator")).await?;
    let processor = stack.processor().await?;
    let writer = stack.prediction_writer().await?;
    let settings = BreakerSettings::default();
    let date: NaiveDate = "2025-11-05".parse()?;
    let key = |processor_name, entity: &str, analysis_date| BreakerKey {
        processor_name,
        entity_id: entity.to_string(),
        analysis_date,
    };

    // GIVEN two breakers tripped an hour apart, the newer with work recorded while open,
    // and a third breaker with one failure only (not tripped)
    let older = key(ProcessorName::PlayerDailyCache, "player#lebronjames", date);
    let newer = key(ProcessorName::TeamDefenseZoneAnalysis, "team#BOS", date);
    let counted = key(ProcessorName::PlayerDailyCache, "player#stephencurry", date);
    let now = Utc::now();
    for (k, at) in [(&older, now - Duration::hours(1)), (&newer, now)] {
        for _ in 0..settings.max_attempts {
            processor
                .breakers
                .record_failure(k, "box score 0022500150 missing", &settings, at)
                .await?;
        }
    }
    let work = r#"{"type":"work_item","processor_name":"team_defense_zone_analysis","entity_id":"team#BOS","analysis_date":"2025-11-05"}"#;
    processor.breakers.record_skipped(&newer, work, now).await?;
    processor
        .breakers
        .record_failure(&counted, "timeout", &settings, now)
        .await?;

    // WHEN the open breakers are listed
    let rows = json(&nba_props(&local, &stack.name, &["breakers", "--json"]));
    // THEN the two tripped ones, newest lockout first, with the recorded work
    let keys: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, [newer.to_string(), older.to_string()]);
    assert_eq!(rows[0]["pending_work"], serde_json::json!([work]));
    assert_eq!(rows[0]["last_error"], "box score 0022500150 missing");
    // AND the filters narrow them
    let only = json(&nba_props(
        &local,
        &stack.name,
        &["breakers", "--processor", "player_daily_cache", "--json"],
    ));
    assert_eq!(only.as_array().unwrap().len(), 1);
    assert_eq!(only[0]["key"], older.to_string());
    let by_entity = json(&nba_props(
        &local,
        &stack.name,
        &[
            "breakers",
            "--entity",
            "BOS",
            "--date",
            "2025-11-05",
            "--json",
        ],
    ));
    assert_eq!(by_entity[0]["key"], newer.to_string());
    assert_eq!(by_entity.as_array().unwrap().len(), 1);

    // AND `show` prints one breaker, tripped or only counted
    let shown = json(&nba_props(
        &local,
        &stack.name,
        &["breakers", "show", &newer.to_string(), "--json"],
    ));
    assert_eq!(shown["open"], true);
    assert_eq!(shown["attempts"], settings.max_attempts);
    let counted_row = json(&nba_props(
        &local,
        &stack.name,
        &["breakers", "show", &counted.to_string(), "--json"],
    ));
    assert_eq!(
        (
            counted_row["open"].as_bool(),
            counted_row["attempts"].as_u64()
        ),
        (Some(false), Some(1))
    );

    // WHEN the newer breaker is reset
    let reset = json(&nba_props(
        &local,
        &stack.name,
        &["breakers", "reset", &newer.to_string(), "--json"],
    ));
    // THEN it was cleared and its recorded work is on the processor queue again
    assert_eq!(reset["reset"], true);
    assert_eq!(reset["work_enqueued"], 1);
    let sqs = stack.sqs().await;
    let queued =
        nba_props_cli::event_source::take_all(&sqs, &stack.queue_url("ProcessorQueue")?).await?;
    assert_eq!(queued, [work.to_string()]);
    let rows = json(&nba_props(&local, &stack.name, &["breakers", "--json"]));
    assert_eq!(rows.as_array().unwrap().len(), 1);
    // AND a second reset finds nothing to do
    let again = json(&nba_props(
        &local,
        &stack.name,
        &["breakers", "reset", &newer.to_string(), "--json"],
    ));
    assert_eq!(
        (again["reset"].as_bool(), again["work_enqueued"].as_u64()),
        (Some(false), Some(0))
    );

    // GIVEN the real players of a fixture slate predicted, the first with a points line
    let features: Vec<_> = composite_features()?
        .into_iter()
        .filter(|f| f.game_date == date)
        .take(4)
        .collect();
    let mut expected_with_line = BTreeMap::new();
    for (i, f) in features.iter().enumerate() {
        let mut lines = BTreeMap::new();
        if i == 0 {
            lines.insert(
                Market::Points,
                PropLine {
                    player_lookup: f.player_lookup.clone(),
                    game_date: date,
                    market: Market::Points,
                    line: 18.5,
                    bookmaker: "draftkings".into(),
                    over_odds: -110,
                    under_odds: -110,
                    snapshot_at: "2025-11-05T15:00:00.000000Z".into(),
                    chosen_by: "the test".into(),
                    books: 1,
                    previous_line: None,
                },
            );
        }
        *expected_with_line.entry(Market::Points).or_insert(0) += lines.len();
        let request = PredictionRequest {
            player_lookup: f.player_lookup.clone(),
            game_date: date,
            generated_at: now,
        };
        let inputs = PredictionInputs {
            features: f.clone(),
            lines,
        };
        for p in predictions_for(&request, &inputs, "baseline-v1", now) {
            writer.predictions.put_if_newer(&p).await?;
        }
    }
    let players = features.len() as u64;

    // WHEN the date is counted
    let counts = json(&nba_props(
        &local,
        &stack.name,
        &["predictions", "--date", "2025-11-05", "--json"],
    ));
    // THEN every market has one prediction per player, the line where one was stored
    assert_eq!(counts["predictions"], 3 * players);
    assert_eq!(counts["players"], players);
    for m in counts["markets"].as_array().unwrap() {
        let with = if m["market"] == "points" { 1 } else { 0 };
        assert_eq!(m["with_line"], with, "{m}");
        assert_eq!(m["without_line"], players - with, "{m}");
    }
    // AND one player's predictions list his three markets
    let first = &features[0].player_lookup;
    let listed = json(&nba_props(
        &local,
        &stack.name,
        &["predictions", "--player", first, "--json"],
    ));
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert!(listed.as_array().unwrap().iter().any(|p| p["line"] == 18.5));
    // AND the contract holds
    let ok = json(&nba_props(&local, &stack.name, DUPLICATES_CHECK));
    assert_eq!(ok["duplicates"], serde_json::json!([]));

    // WHEN a second item for one key is written under another sort key (as the system we
    // replace did)
    let mut twin = writer
        .predictions
        .for_player(first)
        .await?
        .into_iter()
        .find(|p| p.market == Market::Assists)
        .expect("an assists prediction");
    twin.prediction_key = format!("{}#assists#redelivered", twin.game_date);
    let item: std::collections::HashMap<_, _> = serde_dynamo::to_item(&twin)?;
    aws_sdk_dynamodb::Client::new(&local.endpoints.dynamodb_config().await)
        .put_item()
        .table_name(stack.table("PredictionsTable")?)
        .set_item(Some(item))
        .send()
        .await?;
    // THEN the check names it and exits 1
    let broken = nba_props(&local, &stack.name, DUPLICATES_CHECK);
    assert_eq!(broken.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&broken.stdout)?;
    assert_eq!(report["duplicates"][0]["player_lookup"], first.as_str());
    assert_eq!(report["duplicates"][0]["market"], "assists");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_invocation_is_one_clear_line_and_a_non_zero_exit() -> Result<()> {
    let local = LocalAws::start().await?;
    let stack = LocalStack::provision(&local.endpoints, &unique_stack_name("operator-bad")).await?;
    for (stack, args, says) in [
        (
            stack.name.as_str(),
            vec!["breakers", "show", "player_daily_cache/player#x/2025-11-05"],
            "no breaker",
        ),
        (
            "no-such-stack",
            vec!["predictions", "--date", "2025-11-05"],
            "no queue",
        ),
    ] {
        let out = nba_props(&local, stack, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_letters_are_listed_with_their_reason_and_left_in_place() -> Result<()> {
    let local = LocalAws::start().await?;
    let stack = LocalStack::provision(&local.endpoints, &unique_stack_name("operator-dlq")).await?;
    let sqs = stack.sqs().await;
    // GIVEN a work item the processor gave up on, and an ingest event EventBridge could
    // not deliver (with the error attributes EventBridge attaches)
    let work = r#"{"type":"work_item","processor_name":"player_daily_cache","entity_id":"player#x","analysis_date":"2025-11-05"}"#;
    sqs.send_message()
        .queue_url(stack.queue_url("ProcessorDeadLetterQueue")?)
        .message_body(work)
        .send()
        .await?;
    let attribute = |v: &str| {
        aws_sdk_sqs::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(v)
            .build()
            .expect("attribute")
    };
    sqs.send_message()
        .queue_url(stack.queue_url("IngestDeadLetterQueue")?)
        .message_body(r#"{"detail-type":"Box Score"}"#)
        .message_attributes("ERROR_CODE", attribute("SDK_CLIENT_ERROR"))
        .message_attributes("ERROR_MESSAGE", attribute("queue does not exist"))
        .send()
        .await?;

    for _ in 0..2 {
        // WHEN the dead-letter queues are listed (twice)
        let letters = json(&nba_props(&local, &stack.name, &["dlq", "--json"]));
        // THEN both messages are there with their reason, every time
        let letters = letters.as_array().unwrap();
        assert_eq!(letters.len(), 2, "{letters:?}");
        let of = |queue: &str| {
            letters
                .iter()
                .find(|l| l["queue"] == queue)
                .unwrap_or_else(|| panic!("nothing listed from {queue}"))
        };
        assert_eq!(of("ProcessorDeadLetterQueue")["body"], work);
        assert_eq!(
            of("IngestDeadLetterQueue")["reason"],
            "EventBridge could not deliver it: SDK_CLIENT_ERROR queue does not exist"
        );
    }

    // WHEN the processor's dead letters are redriven
    let (dlq, source) = (
        stack.queue_url("ProcessorDeadLetterQueue")?,
        stack.queue_url("ProcessorQueue")?,
    );
    let moved = json(&nba_props(
        &local,
        &stack.name,
        &["dlq", "redrive", "--from", &dlq, "--to", &source, "--json"],
    ));
    // THEN the work item is back on its queue, and only the ingest event is left
    assert_eq!(moved["moved"], 1);
    assert_eq!(
        nba_props_cli::event_source::take_all(&sqs, &source).await?,
        [work.to_string()]
    );
    let left = json(&nba_props(&local, &stack.name, &["dlq", "--json"]));
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["queue"], "IngestDeadLetterQueue");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn config_and_check_run_against_the_local_stack() -> Result<()> {
    let local = LocalAws::start().await?;
    let stack =
        LocalStack::provision(&local.endpoints, &unique_stack_name("operator-check")).await?;

    // WHEN each function's configuration is read
    let configs = json(&nba_props(&local, &stack.name, &["config", "--json"]));
    // THEN all four start, on this stack's tables, as the template says
    let configs = configs.as_array().unwrap();
    assert_eq!(configs.len(), 4);
    for c in configs {
        assert!(c["effective"]["Ok"].is_string(), "{c}");
        assert_eq!(c["differs_from_template"], serde_json::json!([]), "{c}");
    }
    let writer = configs
        .iter()
        .find(|c| c["function"] == "prediction-writer")
        .unwrap();
    assert_eq!(
        writer["environment"]["PREDICTIONS_TABLE"],
        stack.table("PredictionsTable")?
    );
    assert_eq!(
        writer["environment"]["CIRCUIT_BREAKER_ENTITY_LOCKOUT_HOURS"],
        "24"
    );

    // GIVEN a real fixture date's schedule stored, and none of its box scores
    let days = nba_props_cli::dataset::Dataset::fixtures()?.days()?;
    let day = days
        .iter()
        .find(|d| d.date.to_string() == "2025-11-04")
        .unwrap();
    let processor = stack.processor().await?;
    stack
        .drain_after(
            &processor,
            &[
                nba_props::domain::processor_message::ProcessorMessage::Schedule(
                    day.schedule.clone(),
                )
                .to_body(),
            ],
        )
        .await?;

    // WHEN the check runs on that date, as a dry run
    let report = json(&nba_props(
        &local,
        &stack.name,
        &["check", "--date", "2025-11-04", "--dry-run", "--json"],
    ));
    // THEN every game of the date is reported missing
    assert_eq!(report["game_date"], "2025-11-04");
    assert_eq!(report["games_expected"], day.schedule.games.len());
    assert_eq!(
        report["missing_games"].as_array().unwrap().len(),
        day.schedule.games.len()
    );
    assert_eq!(report["dry_run"], true);
    // AND a real run asks for their backfill
    let report = json(&nba_props(
        &local,
        &stack.name,
        &["check", "--date", "2025-11-04", "--no-auto-reset", "--json"],
    ));
    assert_eq!(report["backfill_requested"], day.schedule.games.len());
    assert_eq!(report["auto_reset_circuit_breakers"], false);

    // AND without a stack and an empty environment, config says what is missing and
    // exits 1
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nba-props"))
        .arg("config")
        .env_clear()
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not configured"));
    Ok(())
}
