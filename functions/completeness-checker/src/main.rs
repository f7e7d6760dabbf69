//! `completeness-checker`: the 06:00 New York check (EventBridge Scheduler, or a manual
//! invoke with the same JSON) → report, breaker resets, backfill requests. The handler
//! is `nba_props::handlers::completeness_checker`.

// The handler's future nests the SDK's futures many levels deep; computing its layout
// in a release build needs more than the compiler's default query depth of 128.
#![recursion_limit = "256"]

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use nba_props::adapters::dynamodb::{self, BreakerTable, GameDataTable, PredictionTable};
use nba_props::adapters::eventbridge::EventBus;
use nba_props::adapters::sdk_config::load_sdk_config;
use nba_props::adapters::sqs::Queues;
use nba_props::config::CheckerConfig;
use nba_props::domain::completeness::CompletenessChecker;
use nba_props::handlers::{self, completeness_checker::handle_event};

#[tokio::main]
async fn main() -> Result<(), Error> {
    handlers::init_logging();
    let config = CheckerConfig::from_env()?;
    let sdk = load_sdk_config().await;
    let ddb = dynamodb::client(&sdk, None);
    let checker = CompletenessChecker {
        games: GameDataTable::new(ddb.clone(), &config.game_data_table),
        breakers: BreakerTable::new(ddb.clone(), &config.breakers_table),
        predictions: PredictionTable::new(ddb, &config.predictions_table),
        queues: Queues::new(
            aws_sdk_sqs::Client::new(&sdk),
            Some(config.processor_queue_url.clone()),
            None,
        ),
        events: EventBus::new(
            aws_sdk_eventbridge::Client::new(&sdk),
            &config.event_bus_name,
        ),
        metrics_namespace: config.metrics_namespace.clone(),
        lookback_days: config.lookback_days,
    };
    let checker = &checker;
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            handle_event(checker, event.payload)
                .await
                .map_err(Error::from)
        },
    ))
    .await
}
