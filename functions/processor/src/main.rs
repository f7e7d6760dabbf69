//! `processor`: SQS batch of schedules, box scores and work items → game data,
//! features, breakers, fan-out. Logic lives in `nba_props::processor`.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use nba_props::config::ProcessorConfig;
use nba_props::dynamodb::{self, BreakerTable, FeatureTable, GameDataTable};
use nba_props::eventbridge::EventBus;
use nba_props::processor::Processor;
use nba_props::sqs::Queues;

#[tokio::main]
async fn main() -> Result<(), Error> {
    nba_props::telemetry::init_lambda_logging();
    let config = ProcessorConfig::from_env()?;
    let sdk = nba_props::aws::load_sdk_config().await;
    let ddb = dynamodb::client(&sdk, None);
    let processor = Processor {
        games: GameDataTable::new(ddb.clone(), &config.game_data_table),
        breakers: BreakerTable::new(ddb.clone(), &config.breakers_table),
        features: FeatureTable::new(ddb, &config.features_table),
        queues: Queues::new(
            aws_sdk_sqs::Client::new(&sdk),
            Some(config.processor_queue_url.clone()),
            Some(config.prediction_queue_url.clone()),
        ),
        events: EventBus::new(
            aws_sdk_eventbridge::Client::new(&sdk),
            &config.event_bus_name,
        ),
        settings: config.breaker,
        metrics_namespace: config.metrics_namespace.clone(),
    };
    let processor = &processor;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        processor
            .handle_event(event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
