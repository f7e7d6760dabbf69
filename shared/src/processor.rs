//! The processor: SQS batch of ingest messages and work items.
//!
//! - A schedule is stored, and the first time a date is scheduled its per-entity work is
//!   fanned out to the processor queue (team work for both teams of every game, player
//!   work for their rosters).
//! - A box score is stored (a newer correction replaces an older one) and its game is
//!   marked complete.
//! - A work item runs its processor unless the entity's breaker is open (then it is
//!   acknowledged and recorded on the breaker, for the reset to enqueue again). A
//!   player's daily cache, once computed, enqueues the player's composite factors; the
//!   composite factors send a prediction request.
//!
//! Breakers for the whole batch are read with one BatchGetItem. A failure for the
//! entity (incomplete inputs) is counted on its breaker; the failure that trips it is
//! acknowledged (the work is recorded), the others are retried by SQS. Storage errors
//! are retried without being held against the entity.

use std::collections::{BTreeSet, HashMap};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Duration, Utc};
use futures::{StreamExt, stream};

use crate::StoreError;
use crate::breaker::{BreakerKey, BreakerState, BreakerStore, FailureOutcome, ProcessorName};
use crate::config::BreakerSettings;
use crate::features::{FeatureSink, FeatureSource};
use crate::game_data::{BoxScoreOutcome, BoxScoreRejected, GameDataStore, RosterSource};
use crate::ingest::{ProcessorMessage, Schedule, WorkItem};
use crate::messaging::{Destination, EventPublisher, MessageSender};
use crate::metrics::Metrics;
use crate::prediction::PredictionRequest;
use crate::processors::{self, ProcessorError, ProcessorOutput, ROSTER_DAYS};
use crate::sqs_batch::{BatchError, BatchFailures, message_ids};

/// Detail-type of the event published when a breaker trips.
pub const BREAKER_TRIPPED: &str = "Circuit Breaker Tripped";

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessorTally {
    /// Records in the batch.
    pub records: u64,
    /// Records reported failed.
    pub failed_records: u64,
    /// Schedules stored.
    pub schedules: u64,
    /// Box scores stored.
    pub box_scores_stored: u64,
    /// Box scores ignored (same or older version already stored).
    pub box_scores_ignored: u64,
    /// Shot charts stored.
    pub shot_charts_stored: u64,
    /// Work items processed.
    pub work_done: u64,
    /// Work items that failed for their entity.
    pub work_failed: u64,
    /// Work items skipped because their breaker is open.
    pub work_skipped: u64,
    /// Breakers tripped.
    pub breakers_tripped: u64,
    /// Work items enqueued (fan-out and follow-ups).
    pub work_enqueued: u64,
    /// Prediction requests sent.
    pub predictions_requested: u64,
}

impl std::ops::AddAssign for ProcessorTally {
    fn add_assign(&mut self, o: ProcessorTally) {
        self.records += o.records;
        self.failed_records += o.failed_records;
        self.schedules += o.schedules;
        self.box_scores_stored += o.box_scores_stored;
        self.box_scores_ignored += o.box_scores_ignored;
        self.shot_charts_stored += o.shot_charts_stored;
        self.work_done += o.work_done;
        self.work_failed += o.work_failed;
        self.work_skipped += o.work_skipped;
        self.breakers_tripped += o.breakers_tripped;
        self.work_enqueued += o.work_enqueued;
        self.predictions_requested += o.predictions_requested;
    }
}

impl ProcessorTally {
    /// The tally as EMF counters.
    pub fn metrics(&self, namespace: &str) -> Metrics {
        let mut m = Metrics::new(namespace, "processor");
        m.count("ProcessorRecords", self.records);
        m.count("FailedRecords", self.failed_records);
        m.count("WorkItemsProcessed", self.work_done);
        m.count("WorkItemsFailed", self.work_failed);
        m.count("WorkItemsSkippedBreakerOpen", self.work_skipped);
        m.count("CircuitBreakersTripped", self.breakers_tripped);
        m.count("BoxScoresStored", self.box_scores_stored);
        m.count("PredictionRequestsSent", self.predictions_requested);
        m
    }
}

/// The processor's ports and settings.
#[derive(Debug, Clone)]
pub struct Processor<G, B, F, Q, E> {
    /// Game data.
    pub games: G,
    /// Breakers.
    pub breakers: B,
    /// Where outputs go.
    pub features: F,
    /// Queues.
    pub queues: Q,
    /// The bus.
    pub events: E,
    /// Breaker settings.
    pub settings: BreakerSettings,
    /// EMF namespace.
    pub metrics_namespace: String,
}

/// What one record did, and the messages it asks to send once the batch is done.
#[derive(Debug, Default)]
struct Done {
    tally: ProcessorTally,
    follow_ups: Vec<(Destination, String)>,
}

impl From<ProcessorTally> for Done {
    fn from(tally: ProcessorTally) -> Self {
        Self {
            tally,
            follow_ups: Vec::new(),
        }
    }
}

type RecordResult = Result<Done, String>;

impl<G, B, F, Q, E> Processor<G, B, F, Q, E>
where
    G: GameDataStore,
    B: BreakerStore,
    F: FeatureSink + FeatureSource,
    Q: MessageSender,
    E: EventPublisher,
{
    /// The Lambda entry point: handles the batch, logs a summary line, emits EMF.
    pub async fn handle_event(&self, event: SqsEvent) -> Result<SqsBatchResponse, BatchError> {
        let (response, tally) = self.handle(event, Utc::now()).await;
        tracing::info!(
            records = tally.records,
            failed_records = tally.failed_records,
            work_done = tally.work_done,
            work_failed = tally.work_failed,
            work_skipped = tally.work_skipped,
            breakers_tripped = tally.breakers_tripped,
            work_enqueued = tally.work_enqueued,
            predictions_requested = tally.predictions_requested,
            "processor batch done"
        );
        tally.metrics(&self.metrics_namespace).emit();
        response
    }

    /// Handles one batch at `now`.
    pub async fn handle(
        &self,
        event: SqsEvent,
        now: DateTime<Utc>,
    ) -> (Result<SqsBatchResponse, BatchError>, ProcessorTally) {
        let records = event.records;
        let mut tally = ProcessorTally {
            records: records.len() as u64,
            ..ProcessorTally::default()
        };
        let ids = match message_ids(&records) {
            Ok(ids) => ids,
            Err(e) => {
                tally.failed_records = tally.records;
                return (Err(e), tally);
            }
        };
        let mut failures = BatchFailures::default();
        let mut messages = Vec::new();
        for (id, record) in ids.iter().zip(&records) {
            match ProcessorMessage::parse(record.body.as_deref().unwrap_or_default()) {
                Ok(m) => messages.push((id.as_str(), m)),
                Err(e) => failures.fail(id, format!("invalid processor message: {e}")),
            }
        }

        // One read of every breaker this batch touches.
        let keys: Vec<BreakerKey> = messages
            .iter()
            .filter_map(|(_, m)| match m {
                ProcessorMessage::Work(w) => Some(w.breaker_key()),
                _ => None,
            })
            .collect();
        let states = if keys.is_empty() {
            Ok(HashMap::new())
        } else {
            self.breakers.get_many(&keys).await
        };

        let mut pending = Vec::with_capacity(messages.len());
        for (id, message) in &messages {
            let states = &states;
            pending.push(async move {
                let result: RecordResult = match message {
                    ProcessorMessage::Schedule(s) => self.ingest_schedule(s).await,
                    ProcessorMessage::BoxScore(b) => match self.games.put_box_score(b).await {
                        Ok(BoxScoreOutcome::Stored) => Ok(ProcessorTally {
                            box_scores_stored: 1,
                            ..Default::default()
                        }
                        .into()),
                        Ok(BoxScoreOutcome::Stale | BoxScoreOutcome::Duplicate) => {
                            Ok(ProcessorTally {
                                box_scores_ignored: 1,
                                ..Default::default()
                            }
                            .into())
                        }
                        Err(BoxScoreRejected::Store(e)) => Err(e.to_string()),
                        Err(rejected) => Err(format!("box score refused: {rejected}")),
                    },
                    ProcessorMessage::ShotChart(c) => match self.games.put_shot_chart(c).await {
                        Ok(()) => Ok(ProcessorTally {
                            shot_charts_stored: 1,
                            ..Default::default()
                        }
                        .into()),
                        Err(BoxScoreRejected::Store(e)) => Err(e.to_string()),
                        Err(rejected) => Err(format!("shot chart refused: {rejected}")),
                    },
                    ProcessorMessage::Work(w) => match states {
                        Ok(states) => self.work(w, states.get(&w.breaker_key()), now).await,
                        Err(e) => Err(format!("breaker lookup failed: {e}")),
                    },
                };
                (*id, result)
            });
        }
        // Records of a batch run a few at a time; the per-record work is mostly waiting
        // on DynamoDB.
        let results: Vec<_> = stream::iter(pending).buffer_unordered(8).collect().await;
        // Follow-ups of the whole batch go out together, ten per SendMessageBatch; if
        // that fails, the records that asked for them are retried (their work is
        // idempotent).
        let mut follow_ups: HashMap<Destination, Vec<(&str, String)>> = HashMap::new();
        for (id, result) in results {
            match result {
                Ok(done) => {
                    tally += done.tally;
                    for (destination, body) in done.follow_ups {
                        follow_ups.entry(destination).or_default().push((id, body));
                    }
                }
                Err(reason) => failures.fail(id, reason),
            }
        }
        for (destination, messages) in follow_ups {
            let bodies: Vec<String> = messages.iter().map(|(_, b)| b.clone()).collect();
            match self.queues.send_all(destination, &bodies).await {
                Ok(()) => match destination {
                    Destination::ProcessorQueue => tally.work_enqueued += bodies.len() as u64,
                    Destination::PredictionQueue => {
                        tally.predictions_requested += bodies.len() as u64
                    }
                },
                Err(e) => {
                    for (id, _) in &messages {
                        failures.fail(id, format!("sending follow-up work: {e}"));
                    }
                }
            }
        }
        tally.failed_records = failures.len() as u64;
        (failures.into_response(records.len()), tally)
    }

    async fn ingest_schedule(&self, schedule: &Schedule) -> RecordResult {
        self.games
            .put_schedule(schedule)
            .await
            .map_err(|e| e.to_string())?;
        let mut tally = ProcessorTally {
            schedules: 1,
            ..Default::default()
        };
        if self
            .games
            .claim_fan_out(schedule.game_date)
            .await
            .map_err(|e| e.to_string())?
        {
            let work = self.fan_out(schedule).await.map_err(|e| e.to_string())?;
            tally.work_enqueued = work as u64;
        }
        Ok(tally.into())
    }

    /// Enqueues the per-entity work of a scheduled date.
    async fn fan_out(&self, schedule: &Schedule) -> Result<usize, StoreError> {
        let date = schedule.game_date;
        let mut work = BTreeSet::new();
        for game in &schedule.games {
            for team in [&game.home, &game.away] {
                for processor in [
                    ProcessorName::TeamDefenseZoneAnalysis,
                    ProcessorName::UpcomingTeamGameContext,
                ] {
                    work.insert(WorkItem {
                        processor,
                        entity_id: format!("team#{team}"),
                        analysis_date: date,
                    });
                }
                for entry in self
                    .games
                    .roster(team, date - Duration::days(ROSTER_DAYS))
                    .await?
                {
                    // A player known only from shot charts has no lines to average.
                    let processors: &[ProcessorName] = match entry.source {
                        RosterSource::Lines => &[
                            ProcessorName::PlayerDailyCache,
                            ProcessorName::PlayerShotZoneAnalysis,
                        ],
                        RosterSource::Shots => &[ProcessorName::PlayerShotZoneAnalysis],
                    };
                    for processor in processors {
                        work.insert(WorkItem {
                            processor: *processor,
                            entity_id: format!("player#{}", entry.player_lookup),
                            analysis_date: date,
                        });
                    }
                }
            }
        }
        // Team work first: it is what players' composite factors read.
        let mut ordered: Vec<&WorkItem> = work.iter().collect();
        ordered.sort_by_key(|w| w.processor.is_player_processor());
        let bodies: Vec<String> = ordered.iter().map(|w| w.to_body()).collect();
        self.queues
            .send_all(Destination::ProcessorQueue, &bodies)
            .await?;
        tracing::info!(analysis_date = %date, work_items = bodies.len(), "fan-out enqueued");
        Ok(bodies.len())
    }

    async fn work(
        &self,
        work: &WorkItem,
        state: Option<&BreakerState>,
        now: DateTime<Utc>,
    ) -> RecordResult {
        let key = work.breaker_key();
        if state.is_some_and(|s| s.is_open(now)) {
            self.breakers
                .record_skipped(&key, &work.to_body(), now)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(breaker = %key, "breaker open: work skipped and recorded for the reset");
            return Ok(ProcessorTally {
                work_skipped: 1,
                ..Default::default()
            }
            .into());
        }
        match processors::run(&self.games, &self.features, work).await {
            Ok(output) => {
                self.features
                    .put_output(
                        &work.entity_id,
                        work.processor,
                        work.analysis_date,
                        &output.to_json(),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                if state.is_some_and(|s| s.attempt_count > 0) {
                    self.breakers
                        .clear_attempts(&key)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                let mut done = Done::from(ProcessorTally {
                    work_done: 1,
                    ..Default::default()
                });
                match output {
                    ProcessorOutput::DailyCache(_) => {
                        let next = WorkItem {
                            processor: ProcessorName::PlayerCompositeFactors,
                            ..work.clone()
                        };
                        done.follow_ups
                            .push((Destination::ProcessorQueue, next.to_body()));
                    }
                    ProcessorOutput::Composite(features) => {
                        let request = PredictionRequest {
                            player_lookup: features.player_lookup.clone(),
                            game_date: features.game_date,
                            generated_at: now,
                            lines: Default::default(),
                        };
                        done.follow_ups
                            .push((Destination::PredictionQueue, request.to_body()));
                    }
                    _ => {}
                }
                Ok(done)
            }
            Err(ProcessorError::Store(e)) => Err(e.to_string()),
            Err(ProcessorError::Incomplete(reason)) => self.failed(work, &key, &reason, now).await,
        }
    }

    async fn failed(
        &self,
        work: &WorkItem,
        key: &BreakerKey,
        reason: &str,
        now: DateTime<Utc>,
    ) -> RecordResult {
        let outcome = self
            .breakers
            .record_failure(key, reason, &self.settings, now)
            .await
            .map_err(|e| e.to_string())?;
        let tripped = match outcome {
            FailureOutcome::Counted { attempts } => {
                return Err(format!(
                    "{} failed for {} ({attempts}/{} before the breaker trips): {reason}",
                    work.processor, work.entity_id, self.settings.max_attempts
                ));
            }
            FailureOutcome::Tripped { attempts, until } => {
                tracing::warn!(breaker = %key, attempts, until = %until, reason, "circuit breaker tripped");
                let detail = serde_json::json!({
                    "processor_name": key.processor_name,
                    "entity_id": key.entity_id,
                    "analysis_date": key.analysis_date,
                    "attempt_count": attempts,
                    "circuit_breaker_until": crate::prediction::canonical_timestamp(until),
                    "last_error": reason,
                });
                self.events
                    .publish(BREAKER_TRIPPED, &detail)
                    .await
                    .map_err(|e| e.to_string())?;
                true
            }
            FailureOutcome::AlreadyOpen { .. } => false,
        };
        // Either way the breaker is open now: the work is recorded for the reset and
        // acknowledged, not retried.
        self.breakers
            .record_skipped(key, &work.to_body(), now)
            .await
            .map_err(|e| e.to_string())?;
        Ok(ProcessorTally {
            work_failed: 1,
            breakers_tripped: u64::from(tripped),
            work_skipped: u64::from(!tripped),
            ..Default::default()
        }
        .into())
    }
}
