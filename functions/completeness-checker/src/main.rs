//! `completeness-checker`: the 06:00 New York check (EventBridge Scheduler, or a manual
//! invoke with the same JSON) → report, breaker resets, backfill requests. Logic lives
//! in `nba_props::completeness`.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use nba_props::completeness::CompletenessChecker;
use nba_props::config::CheckerConfig;
use nba_props::dynamodb::{self, BreakerTable, GameDataTable};
use nba_props::eventbridge::EventBus;
use nba_props::sqs::Queues;

#[tokio::main]
async fn main() -> Result<(), Error> {
    nba_props::telemetry::init_lambda_logging();
    let config = CheckerConfig::from_env()?;
    let sdk = nba_props::aws::load_sdk_config().await;
    let ddb = dynamodb::client(&sdk, None);
    let checker = CompletenessChecker {
        games: GameDataTable::new(ddb.clone(), &config.game_data_table),
        breakers: BreakerTable::new(ddb, &config.breakers_table),
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
    };
    let checker = &checker;
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            checker
                .handle_event(event.payload)
                .await
                .map_err(Error::from)
        },
    ))
    .await
}
