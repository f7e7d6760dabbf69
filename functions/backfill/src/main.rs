//! `backfill`: SQS batch of `Backfill Requested` events → one bounded fetch per game
//! from the box-score source → `Box Score` events on the bus, which the ingest rule
//! routes to the processor. The handler is `nba_props::handlers::backfill`.

#![recursion_limit = "256"]

use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use nba_props::adapters::box_score_http::HttpBoxScoreSource;
use nba_props::adapters::dynamodb::{self, GameDataTable};
use nba_props::adapters::eventbridge::EventBus;
use nba_props::adapters::sdk_config::load_sdk_config;
use nba_props::config::BackfillConfig;
use nba_props::domain::backfill::{BackfillSettings, Backfiller};
use nba_props::domain::processor_message::INGEST_SOURCE;
use nba_props::handlers::{self, backfill::handle_event};

#[tokio::main]
async fn main() -> Result<(), Error> {
    handlers::init_logging();
    let config = BackfillConfig::from_env()?;
    let sdk = load_sdk_config().await;
    let backfiller = Backfiller {
        ledger: GameDataTable::new(dynamodb::client(&sdk, None), &config.game_data_table),
        source: HttpBoxScoreSource::new(
            &config.box_score_source_url,
            Duration::from_secs(u64::from(config.source_timeout_seconds)),
        )?,
        events: EventBus::new(
            aws_sdk_eventbridge::Client::new(&sdk),
            &config.event_bus_name,
        )
        .with_source(INGEST_SOURCE),
        settings: BackfillSettings {
            cooldown_minutes: config.cooldown_minutes,
            max_attempts: config.max_attempts,
        },
        metrics_namespace: config.metrics_namespace.clone(),
    };
    let backfiller = &backfiller;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        handle_event(backfiller, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
