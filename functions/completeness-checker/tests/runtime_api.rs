//! The built `completeness-checker` binary, invoked through the Lambda runtime API with
//! each events/ file (and with bad input), against DynamoDB Local and moto.

use anyhow::Result;
use nba_props::ports::GameDataStore;
use nba_props_cli::dataset::week_2024_25;
use nba_props_cli::event_source::visible_messages;
use nba_props_cli::local_aws::{LocalAws, repo_root};
use nba_props_cli::provision::{LocalStack, unique_stack_name};
use nba_props_cli::runtime_api::EmulatedFunction;

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_answers_every_events_example_through_the_runtime_api() -> Result<()> {
    let local = LocalAws::start().await?;
    let stack = LocalStack::provision(&local.endpoints, &unique_stack_name("checker-api")).await?;
    let p = stack.processor().await?;
    // The examples are about 2024-11-06: its schedule, and every box score but one.
    let day = week_2024_25()?
        .into_iter()
        .find(|d| d.date.to_string() == "2024-11-06")
        .expect("2024-11-06 is in the week");
    p.games.put_schedule(&day.schedule).await?;
    let missing = day.box_scores[0].game_id.clone();
    for b in &day.box_scores[1..] {
        p.games
            .put_box_score(b)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let function = EmulatedFunction::start(
        env!("CARGO_BIN_EXE_completeness-checker").as_ref(),
        &stack.function_env("completeness-checker")?,
    )?;
    let events = repo_root().join("events/completeness-checker");
    let expected = day.schedule.games.len() as u64;

    let scheduled = function.invoke(&events.join("scheduled-morning-check.json"))?;
    assert_eq!(scheduled["game_date"], "2024-11-06", "{scheduled}");
    assert_eq!(scheduled["games_expected"], expected);
    assert_eq!(scheduled["games_complete"], expected - 1);
    assert_eq!(scheduled["missing_games"], serde_json::json!([missing]));
    assert_eq!(scheduled["backfill_requested"], 1);
    assert_eq!(scheduled["circuit_breakers_reset"], 0);

    let manual = function.invoke(&events.join("manual-no-auto-reset.json"))?;
    assert_eq!(manual["auto_reset_circuit_breakers"], false, "{manual}");
    assert_eq!(manual["dates"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        manual["games_expected"], expected,
        "only 2024-11-06 is stored"
    );

    let dry = function.invoke(&events.join("manual-dry-run.json"))?;
    assert_eq!(dry["dry_run"], true, "{dry}");
    assert_eq!(dry["missing_games"], serde_json::json!([missing]));
    let waiting = visible_messages(&stack.sqs().await, &stack.queue_url("ProcessorQueue")?).await?;
    assert_eq!(
        waiting, 0,
        "no breaker was tripped, so nothing was enqueued"
    );

    // Bad input is an invocation error that names the field.
    let bad = std::env::temp_dir().join(format!("{}-bad-input.json", stack.name));
    std::fs::write(&bad, r#"{"game_date": "2024-11-06", "lookback_days": -1}"#)?;
    let err = function
        .invoke(&bad)
        .expect_err("a negative lookback is refused")
        .to_string();
    assert!(err.contains("lookback_days"), "{err}");
    std::fs::remove_file(&bad)?;
    Ok(())
}
