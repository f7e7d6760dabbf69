//! `prediction-writer`: SQS batch of prediction requests → conditional writes to the
//! predictions table. Logic lives in `nba_props::prediction_writer`.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use nba_props::config::WriterConfig;
use nba_props::dynamodb::{self, FeatureTable, PredictionTable};
use nba_props::prediction_writer::PredictionWriter;

#[tokio::main]
async fn main() -> Result<(), Error> {
    nba_props::telemetry::init_lambda_logging();
    // A bad deployment fails the cold start with a clear message, not each record.
    let config = WriterConfig::from_env()?;
    let sdk = nba_props::aws::load_sdk_config().await;
    let client = dynamodb::client(&sdk, None);
    let writer = PredictionWriter::new(
        FeatureTable::new(client.clone(), &config.features_table),
        PredictionTable::new(client, &config.predictions_table),
        &config,
    );
    let writer = &writer;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        writer
            .handle_event(event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
