//! The built `prediction-writer` binary, invoked through the Lambda runtime API
//! (`cargo lambda watch --only-lambda-apis` + `cargo lambda invoke --data-file`) with
//! the events/ example, against DynamoDB Local.

use anyhow::Result;
use nba_props::domain::prediction_request::PredictionRequest;
use nba_props::model::{LineSource, Market, Prediction, PropLine};
use nba_props::ports::PropLineStore;
use nba_props_cli::dataset::composite_features;
use nba_props_cli::local_aws::{LocalAws, repo_root};
use nba_props_cli::provision::{LocalStack, unique_stack_name};
use nba_props_cli::replay::WRITER_EVENT;
use nba_props_cli::runtime_api::EmulatedFunction;

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_writes_the_events_example_through_the_runtime_api() -> Result<()> {
    let local = LocalAws::start().await?;
    let stack = LocalStack::provision(&local.endpoints, &unique_stack_name("runtime-api")).await?;
    let writer = stack.prediction_writer().await?;

    let event_path = repo_root().join(WRITER_EVENT);
    let event: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&event_path)?)?;
    let requests: Vec<PredictionRequest> = event["Records"]
        .as_array()
        .expect("Records")
        .iter()
        .map(|r| PredictionRequest::parse(r["body"].as_str().expect("body")))
        .collect::<Result<_, _>>()?;
    // GIVEN the players' features, as the processors stored them from the real fixtures
    let features = composite_features()?;
    for r in &requests {
        let f = features
            .iter()
            .find(|f| f.player_lookup == r.player_lookup && f.game_date == r.game_date)
            .expect("the example's players have features in the fixtures");
        writer.features.put(f).await?;
    }
    // AND a stored points line for the first player only
    let line = PropLine {
        player_lookup: requests[0].player_lookup.clone(),
        game_date: requests[0].game_date,
        market: Market::Points,
        line: 24.5,
        bookmaker: "draftkings".into(),
        over_odds: -115,
        under_odds: -105,
        snapshot_at: "2025-11-05T14:00:00.000000Z".into(),
        chosen_by: "the test".into(),
        books: 1,
        previous_line: None,
    };
    writer.features.put_line_if_newer(&line).await?;

    // WHEN the binary is invoked with the example, twice (a redelivery)
    let env = stack.function_env("prediction-writer")?;
    // The template's default model (its `ModelVersion` parameter).
    let model = env[nba_props::config::vars::MODEL_VERSION].clone();
    assert_eq!(model, "line-shrinkage-v2");
    let function = EmulatedFunction::start(env!("CARGO_BIN_EXE_prediction-writer").as_ref(), &env)?;
    let first = function.invoke(&event_path)?;
    let second = function.invoke(&event_path)?;

    // THEN no record failed and every prediction is stored once, unchanged by the redelivery
    assert_eq!(first["batchItemFailures"], serde_json::json!([]), "{first}");
    assert_eq!(
        second["batchItemFailures"],
        serde_json::json!([]),
        "{second}"
    );
    for r in &requests {
        for market in Market::ALL {
            let stored = writer
                .predictions
                .get(&r.player_lookup, &Prediction::key_for(r.game_date, market))
                .await?
                .expect("prediction stored");
            assert_eq!(stored.generated_at, "2025-11-05T15:00:00.000000Z");
            assert_eq!(stored.model_version, model);
            let lined = r.player_lookup == line.player_lookup && market == Market::Points;
            // The model states its probability of OVER where it has a line, only there.
            assert_eq!(stored.p_over.is_some(), lined);
            assert_eq!(stored.line, lined.then_some(line.line));
            assert_eq!(
                stored.line_source,
                if lined {
                    LineSource::ActualProp
                } else {
                    LineSource::NoPropLine
                }
            );
        }
    }
    let all = writer
        .predictions
        .for_game_date(requests[0].game_date)
        .await?;
    assert_eq!(all.len(), requests.len() * Market::ALL.len());
    Ok(())
}
