//! Builds each function's handler against the local stack the way its `main.rs` does
//! in Lambda: configuration from the environment the template gives the function,
//! clients from the shared SDK configuration.

use std::collections::BTreeSet;

use crate::nba_data::GameDay;
use anyhow::{Result, anyhow};
use nba_props::adapters::box_score_http::HttpBoxScoreSource;
use nba_props::adapters::dynamodb::{
    self, BreakerTable, FeatureTable, GameDataTable, PredictionTable, RequestCounter,
};
use nba_props::adapters::eventbridge::EventBus;
use nba_props::adapters::sqs::Queues;
use nba_props::config::{BackfillConfig, CheckerConfig, ProcessorConfig, WriterConfig};
use nba_props::domain::backfill::{BackfillSettings, BackfillTally, Backfiller};
use nba_props::domain::completeness::CompletenessChecker;
use nba_props::domain::prediction_writer::{PredictionWriter, WriterTally};
use nba_props::domain::processor::{Processor, ProcessorTally};
use nba_props::domain::processor_message::ProcessorMessage;
use nba_props::handlers::{backfill, prediction_writer, processor};
use nba_props::model::BoxScore;

use crate::event_source::{DrainStats, SqsEventSource, send_bodies};
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

/// The processor as deployed, over the local stack.
pub type LocalProcessorHandler =
    Processor<GameDataTable, BreakerTable, FeatureTable, Queues, EventBus>;

/// The processor wired to a local stack, with its parts exposed for tests.
#[derive(Debug, Clone)]
pub struct LocalProcessor {
    /// The handler.
    pub processor: LocalProcessorHandler,
    /// Its configuration, read from the template's environment for the function.
    pub config: ProcessorConfig,
    /// DynamoDB requests the processor sent.
    pub requests: RequestCounter,
    /// Breakers table without the counter, for checks.
    pub breakers: BreakerTable,
    /// Features table without the counter, for checks.
    pub features: FeatureTable,
    /// Game data table without the counter, for checks.
    pub games: GameDataTable,
}

/// The backfill as deployed, over the local stack.
pub type LocalBackfillHandler = Backfiller<GameDataTable, HttpBoxScoreSource, EventBus>;

/// The backfill wired to a local stack and a box-score source, with its parts exposed.
#[derive(Debug, Clone)]
pub struct LocalBackfill {
    /// The handler.
    pub backfill: LocalBackfillHandler,
    /// Its configuration: the template's environment, the source's URL set.
    pub config: BackfillConfig,
    /// DynamoDB requests the backfill sent.
    pub requests: RequestCounter,
    /// Game data table without the counter (the ledger), for checks.
    pub ledger: GameDataTable,
}

/// The completeness checker as deployed, over the local stack.
pub type LocalCheckerHandler =
    CompletenessChecker<GameDataTable, BreakerTable, Queues, EventBus, PredictionTable>;

/// The completeness checker wired to a local stack, with its parts exposed for tests.
#[derive(Debug, Clone)]
pub struct LocalChecker {
    /// The handler.
    pub checker: LocalCheckerHandler,
    /// Its configuration, read from the template's environment for the function.
    pub config: CheckerConfig,
    /// DynamoDB requests the checker sent.
    pub requests: RequestCounter,
}

impl LocalStack {
    /// The completeness checker as deployed by the template.
    pub async fn completeness_checker(&self) -> Result<LocalChecker> {
        let env = self.function_env("completeness-checker")?;
        let config = CheckerConfig::from_source(&env)?;
        let sdk = self.endpoints.dynamodb_config().await;
        let requests = RequestCounter::default();
        let counted = dynamodb::client(&sdk, Some(requests.clone()));
        let checker = CompletenessChecker {
            games: GameDataTable::new(counted.clone(), &config.game_data_table),
            breakers: BreakerTable::new(counted.clone(), &config.breakers_table),
            predictions: PredictionTable::new(counted, &config.predictions_table),
            queues: Queues::new(
                self.sqs().await,
                Some(config.processor_queue_url.clone()),
                None,
            ),
            events: EventBus::new(self.eventbridge().await, &config.event_bus_name),
            metrics_namespace: config.metrics_namespace.clone(),
            lookback_days: config.lookback_days,
        };
        Ok(LocalChecker {
            checker,
            config,
            requests,
        })
    }

    /// The processor as deployed by the template, with configuration overrides (for
    /// example `CIRCUIT_BREAKER_ENTITY_LOCKOUT_HOURS`) applied on top of the template's
    /// environment, as a deployment parameter would.
    pub async fn processor_with(&self, overrides: &[(&str, &str)]) -> Result<LocalProcessor> {
        let mut env = self.function_env("processor")?;
        for (k, v) in overrides {
            env.insert((*k).to_string(), (*v).to_string());
        }
        let config = ProcessorConfig::from_source(&env)?;
        let sdk = self.endpoints.dynamodb_config().await;
        let requests = RequestCounter::default();
        let counted = dynamodb::client(&sdk, Some(requests.clone()));
        let plain = dynamodb::client(&sdk, None);
        let processor = Processor {
            games: GameDataTable::new(counted.clone(), &config.game_data_table),
            breakers: BreakerTable::new(counted.clone(), &config.breakers_table),
            features: FeatureTable::new(counted, &config.features_table),
            queues: Queues::new(
                self.sqs().await,
                Some(config.processor_queue_url.clone()),
                Some(config.prediction_queue_url.clone()),
            ),
            events: EventBus::new(self.eventbridge().await, &config.event_bus_name),
            settings: config.breaker,
            book_priority: nba_props::domain::prop_lines::BookPriority::new(
                config.book_priority.clone(),
            ),
            metrics_namespace: config.metrics_namespace.clone(),
        };
        Ok(LocalProcessor {
            processor,
            breakers: BreakerTable::new(plain.clone(), &config.breakers_table),
            features: FeatureTable::new(plain.clone(), &config.features_table),
            games: GameDataTable::new(plain, &config.game_data_table),
            config,
            requests,
        })
    }

    /// The processor as deployed by the template.
    pub async fn processor(&self) -> Result<LocalProcessor> {
        self.processor_with(&[]).await
    }

    /// The backfill as deployed by the template, fetching from `source_url` (a
    /// stand-in's), with other configuration overrides on top, as deployment
    /// parameters would set them.
    pub async fn backfill_with(
        &self,
        source_url: &str,
        overrides: &[(&str, &str)],
    ) -> Result<LocalBackfill> {
        let mut env = self.function_env("backfill")?;
        env.insert(
            nba_props::config::vars::BOX_SCORE_SOURCE_URL.into(),
            source_url.into(),
        );
        for (k, v) in overrides {
            env.insert((*k).to_string(), (*v).to_string());
        }
        let config = BackfillConfig::from_source(&env)?;
        let sdk = self.endpoints.dynamodb_config().await;
        let requests = RequestCounter::default();
        let backfill = Backfiller {
            ledger: GameDataTable::new(
                dynamodb::client(&sdk, Some(requests.clone())),
                &config.game_data_table,
            ),
            source: HttpBoxScoreSource::new(
                &config.box_score_source_url,
                std::time::Duration::from_secs(u64::from(config.source_timeout_seconds)),
            )
            .map_err(|e| anyhow!(e))?,
            events: EventBus::new(self.eventbridge().await, &config.event_bus_name)
                .with_source(nba_props::domain::processor_message::INGEST_SOURCE),
            settings: BackfillSettings {
                cooldown_minutes: config.cooldown_minutes,
                max_attempts: config.max_attempts,
            },
            metrics_namespace: config.metrics_namespace.clone(),
        };
        Ok(LocalBackfill {
            backfill,
            ledger: GameDataTable::new(dynamodb::client(&sdk, None), &config.game_data_table),
            config,
            requests,
        })
    }

    /// Lets the backfill drain its queue through the template's event source at `now`
    /// (the clock its cooldown is judged by), and adds up what it did.
    pub async fn drain_backfill_at(
        &self,
        b: &LocalBackfill,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(DrainStats, BackfillTally)> {
        let source = self.sqs_event_source("backfill").await?;
        let tally = std::cell::RefCell::new(BackfillTally::default());
        let stats = source
            .drain(u64::MAX, |event| {
                let (handler, tally) = (&b.backfill, &tally);
                async move {
                    let (response, t) = backfill::handle_batch(handler, event, now).await;
                    *tally.borrow_mut() += t;
                    response
                }
            })
            .await?;
        Ok((stats, tally.into_inner()))
    }

    /// Lets the prediction writer drain its queue through the template's event source,
    /// as Lambda would, and adds up what it did.
    pub async fn drain_writer(&self, w: &LocalWriter) -> Result<(DrainStats, WriterTally)> {
        let source = self.sqs_event_source("prediction-writer").await?;
        let tally = std::cell::RefCell::new(WriterTally::default());
        let stats = source
            .drain(u64::MAX, |event| {
                let (handler, tally) = (&w.writer, &tally);
                async move {
                    let (response, t) = prediction_writer::handle_batch(handler, event).await;
                    *tally.borrow_mut() += t;
                    response
                }
            })
            .await?;
        Ok((stats, tally.into_inner()))
    }

    /// Lets the processor drain its queue through the template's event source, as
    /// Lambda would, and adds up what it did.
    pub async fn drain_processor(
        &self,
        p: &LocalProcessor,
    ) -> Result<(DrainStats, ProcessorTally)> {
        let source = self.sqs_event_source("processor").await?;
        let tally = std::cell::RefCell::new(ProcessorTally::default());
        let stats = source
            .drain(u64::MAX, |event| {
                let (handler, tally) = (&p.processor, &tally);
                async move {
                    let (response, t) =
                        processor::handle_batch(handler, event, chrono::Utc::now()).await;
                    *tally.borrow_mut() += t;
                    response
                }
            })
            .await?;
        Ok((stats, tally.into_inner()))
    }

    /// Sends bodies to the processor queue and lets the processor drain it.
    pub async fn drain_after(
        &self,
        p: &LocalProcessor,
        bodies: &[String],
    ) -> Result<(DrainStats, ProcessorTally)> {
        if !bodies.is_empty() {
            self.send("ProcessorQueue", bodies).await?;
        }
        self.drain_processor(p).await
    }

    /// Sends a day's schedule to the processor queue and lets the processor drain it
    /// (storing it and running the fan-out).
    pub async fn schedule_day(&self, p: &LocalProcessor, day: &GameDay) -> Result<ProcessorTally> {
        let body = ProcessorMessage::Schedule(day.schedule.clone()).to_body();
        self.send("ProcessorQueue", &[body]).await?;
        Ok(self.drain_processor(p).await?.1)
    }

    /// Ingests game days in order, as the morning schedule then the night's box scores,
    /// letting the processor drain its queue after each; `withheld` box scores (by game
    /// id) are not sent. Returns what the processor did.
    pub async fn ingest_days(
        &self,
        p: &LocalProcessor,
        days: &[GameDay],
        withheld: &BTreeSet<String>,
    ) -> Result<ProcessorTally> {
        let mut tally = ProcessorTally::default();
        for day in days {
            tally += self.schedule_day(p, day).await?;
            let boxes: Vec<String> = day
                .box_scores
                .iter()
                .filter(|b| !withheld.contains(&b.game_id))
                .map(|b| ProcessorMessage::BoxScore(b.clone()).to_body())
                .collect();
            self.send("ProcessorQueue", &boxes).await?;
            tally += self.drain_processor(p).await?.1;
        }
        Ok(tally)
    }

    /// Publishes a box score on the stack's bus as a scraper would (source
    /// `nba-props.ingest`, detail-type `Box Score`); the template's rule routes it to
    /// the processor queue.
    pub async fn publish_box_score(&self, box_score: &BoxScore) -> Result<()> {
        let mut detail = serde_json::to_value(box_score)?;
        if let Some(o) = detail.as_object_mut() {
            o.remove("kind");
        }
        let env = self.function_env("processor")?;
        let bus = env
            .get(nba_props::config::vars::EVENT_BUS_NAME)
            .ok_or_else(|| anyhow!("the processor has no bus"))?;
        let out = self
            .eventbridge()
            .await
            .put_events()
            .entries(
                aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                    .event_bus_name(bus)
                    .source(nba_props::domain::processor_message::INGEST_SOURCE)
                    .detail_type(nba_props::domain::processor_message::BOX_SCORE_DETAIL_TYPE)
                    .detail(detail.to_string())
                    .build(),
            )
            .send()
            .await?;
        anyhow::ensure!(
            out.failed_entry_count == 0,
            "PutEvents refused the box score"
        );
        Ok(())
    }

    /// Sends bodies to a queue of the stack (by logical id).
    pub async fn send(&self, queue: &str, bodies: &[String]) -> Result<()> {
        send_bodies(&self.sqs().await, &self.queue_url(queue)?, bodies).await
    }

    /// An SQS client for this stack (its requests counted in `moto_requests`).
    pub async fn sqs(&self) -> aws_sdk_sqs::Client {
        let config = aws_sdk_sqs::config::Builder::from(&self.endpoints.moto_config().await)
            .interceptor(self.moto_requests.clone())
            .build();
        aws_sdk_sqs::Client::from_conf(config)
    }

    /// An EventBridge client for this stack (its requests counted in `moto_requests`).
    pub async fn eventbridge(&self) -> aws_sdk_eventbridge::Client {
        let config =
            aws_sdk_eventbridge::config::Builder::from(&self.endpoints.moto_config().await)
                .interceptor(self.moto_requests.clone())
                .build();
        aws_sdk_eventbridge::Client::from_conf(config)
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
        )
        .with_concurrency(source.maximum_concurrency.unwrap_or(1) as usize))
    }
}
