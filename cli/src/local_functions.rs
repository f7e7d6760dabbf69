//! Builds each function's handler against the local stack the way its `main.rs` does
//! in Lambda: configuration from the environment the template gives the function,
//! clients from the shared SDK configuration.

use anyhow::{Result, anyhow};
use nba_props::config::WriterConfig;
use nba_props::dynamodb::{self, FeatureTable, PredictionTable, RequestCounter};
use nba_props::prediction_writer::PredictionWriter;

use crate::event_source::SqsEventSource;
use crate::provision::LocalStack;

/// The prediction writer wired to a local stack, with its parts exposed for tests.
#[derive(Debug, Clone)]
pub struct LocalWriter {
    /// The handler.
    pub writer: PredictionWriter<FeatureTable, PredictionTable>,
    /// Its configuration, read from the template's environment for the function.
    pub config: WriterConfig,
    /// The features table (tests seed it).
    pub features: FeatureTable,
    /// The predictions table (tests read it).
    pub predictions: PredictionTable,
    /// DynamoDB requests the writer sent.
    pub requests: RequestCounter,
    /// A DynamoDB client without the counter, for test set-up and checks.
    pub dynamodb: aws_sdk_dynamodb::Client,
}

impl LocalStack {
    /// An SQS client for this stack.
    pub async fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.endpoints.moto_config().await)
    }

    /// The prediction writer as deployed by the template.
    pub async fn prediction_writer(&self) -> Result<LocalWriter> {
        let env = self.function_env("prediction-writer")?;
        let config = WriterConfig::from_source(&env)?;
        let sdk = self.endpoints.dynamodb_config().await;
        let requests = RequestCounter::default();
        let counted = dynamodb::client(&sdk, Some(requests.clone()));
        let plain = dynamodb::client(&sdk, None);
        let writer = PredictionWriter::new(
            FeatureTable::new(counted.clone(), &config.features_table),
            PredictionTable::new(counted, &config.predictions_table),
            &config,
        );
        Ok(LocalWriter {
            writer,
            features: FeatureTable::new(plain.clone(), &config.features_table),
            predictions: PredictionTable::new(plain.clone(), &config.predictions_table),
            config,
            requests,
            dynamodb: plain,
        })
    }

    /// The event source feeding the function built from `binary`, as the template
    /// declares it (its first SQS event).
    pub async fn sqs_event_source(&self, binary: &str) -> Result<SqsEventSource> {
        let function = self.template.function_for_binary(binary)?;
        let source = self
            .template
            .sqs_event_sources(function)?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow!("{function} has no SQS event"))?;
        Ok(SqsEventSource::new(
            self.sqs().await,
            &self.queue_url(&source.queue)?,
            &self.queue_arn(&source.queue)?,
            source.batch_size,
        ))
    }
}
