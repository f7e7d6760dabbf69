//! `processor`: SQS batch of schedules, box scores and work items → game data,
//! features, breakers, fan-out. The handler is `nba_props::handlers::processor`.

// The handler's future nests the SDK's futures many levels deep; computing its layout
// needs more than the compiler's default query depth of 128.
#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use nba_props::adapters::dynamodb::{self, BreakerTable, FeatureTable, GameDataTable};
use nba_props::adapters::eventbridge::EventBus;
use nba_props::adapters::sdk_config::load_sdk_config;
use nba_props::adapters::sqs::Queues;
use nba_props::config::ProcessorConfig;
use nba_props::domain::processor::Processor;
use nba_props::domain::prop_lines::BookPriority;
use nba_props::handlers::{self, processor::handle_event};

#[tokio::main]
async fn main() -> Result<(), Error> {
    handlers::init_logging();
    let config = ProcessorConfig::from_env()?;
    let sdk = load_sdk_config().await;
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
        book_priority: BookPriority::new(config.book_priority.clone()),
        metrics_namespace: config.metrics_namespace.clone(),
    };
    let processor = &processor;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        handle_event(processor, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
