//! The built `processor` binary, invoked through the Lambda runtime API with each
//! events/ file, against DynamoDB Local and moto.

use anyhow::Result;
use nba_props::model::ProcessorName;
use nba_props::ports::FeatureSource;
use nba_props::ports::GameDataStore;
use nba_props_cli::event_source::queue_depth;
use nba_props_cli::local_aws::{LocalAws, repo_root};
use nba_props_cli::provision::{LocalStack, unique_stack_name};
use nba_props_cli::runtime_api::EmulatedFunction;

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_handles_every_events_example_through_the_runtime_api() -> Result<()> {
    let local = LocalAws::start().await?;
    let stack =
        LocalStack::provision(&local.endpoints, &unique_stack_name("processor-api")).await?;
    let p = stack.processor().await?;
    let function = EmulatedFunction::start(
        env!("CARGO_BIN_EXE_processor").as_ref(),
        &stack.function_env("processor")?,
    )?;

    // The schedule, the box score, the same box score as routed from the bus, then work
    // for the next day: in the order a day brings them.
    for file in [
        "sqs-schedule.json",
        "sqs-box-score.json",
        "sqs-box-score-from-eventbridge.json",
        "sqs-work-item.json",
    ] {
        let response = function.invoke(&repo_root().join("events/processor").join(file))?;
        assert_eq!(
            response["batchItemFailures"],
            serde_json::json!([]),
            "{file}: {response}"
        );
    }

    let day = "2024-11-04".parse()?;
    let games = p.games.schedule_on(day).await?.games;
    assert!(games.len() > 1, "the schedule was stored");
    assert_eq!(
        games.iter().filter(|g| g.complete).count(),
        1,
        "one box score stored, once"
    );
    let form = p
        .features
        .get_output(
            "player#damianlillard",
            ProcessorName::PlayerDailyCache,
            "2024-11-05".parse()?,
        )
        .await?
        .expect("the work item ran");
    assert_eq!(form["games_used"], 1);
    // the schedule's fan-out and the composite follow-up went to the processor queue
    let depth = queue_depth(&stack.sqs().await, &stack.queue_url("ProcessorQueue")?).await?;
    assert!(depth > 2, "{depth}");
    Ok(())
}
