//! `prediction-writer`: SQS batch of prediction requests → conditional writes to the
//! predictions table. The handler is `nba_props::handlers::prediction_writer`.

// The handler's future nests the SDK's futures many levels deep; computing its layout
// in a release build needs more than the compiler's default query depth of 128.
#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use nba_props::adapters::dynamodb::{self, FeatureTable, PredictionTable};
use nba_props::adapters::sdk_config::load_sdk_config;
use nba_props::config::WriterConfig;
use nba_props::domain::prediction_writer::PredictionWriter;
use nba_props::handlers::{self, prediction_writer::handle_event};

#[tokio::main]
async fn main() -> Result<(), Error> {
    handlers::init_logging();
    // A bad deployment fails the cold start with a clear message, not each record.
    let config = WriterConfig::from_env()?;
    let sdk = load_sdk_config().await;
    let client = dynamodb::client(&sdk, None);
    let writer = PredictionWriter::new(
        FeatureTable::new(client.clone(), &config.features_table),
        PredictionTable::new(client, &config.predictions_table),
        &config,
    );
    let writer = &writer;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        handle_event(writer, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
