//! Circuit breakers where steps interleave: a failure counted just before a reset or a
//! success, a trip whose event could not be published, a batch whose breaker read
//! failed. Against DynamoDB Local and moto, with the real processor.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Result;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use nba_props::adapters::dynamodb::BreakerTable;
use nba_props::adapters::eventbridge::EventBus;
use nba_props::domain::breaker::BREAKER_TRIPPED;
use nba_props::domain::processor::Processor;
use nba_props::handlers::processor::handle_batch;
use nba_props::model::{
    BreakerKey, BreakerSettings, BreakerState, ProcessorName, TrippedBreaker, WorkItem,
};
use nba_props::ports::{
    BreakerResets, BreakerStore, EventPublisher, FailureOutcome, ResetOutcome, StoreError,
};
use nba_props_cli::dataset::week_2024_25;
use nba_props_cli::event_source::take_all;
use nba_props_tests::{fresh_stack, observe_bus, sqs_event};

fn team_key(team: &str, date: &str) -> BreakerKey {
    BreakerKey {
        processor_name: ProcessorName::TeamDefenseZoneAnalysis,
        entity_id: format!("team#{team}"),
        analysis_date: date.parse().unwrap(),
    }
}

async fn state(breakers: &BreakerTable, key: &BreakerKey) -> Result<BreakerState> {
    Ok(breakers.get_many(std::slice::from_ref(key)).await?[key].clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_counted_just_before_a_success_does_not_trip_the_breaker() -> Result<()> {
    let stack = fresh_stack("success-race").await?;
    let p = stack.processor().await?;
    let settings = p.config.breaker;
    let key = team_key("BOS", "2024-11-05");
    let now = Utc::now();
    // GIVEN failures counted up to the limit, the last one about to trip
    for _ in 0..settings.max_attempts {
        p.breakers
            .count_failure(&key, "missing", &settings, now)
            .await?;
    }
    // WHEN a success clears the count before that trip lands
    p.breakers.clear_attempts(&key).await?;
    let outcome = p.breakers.trip(&key, &settings, now).await?;
    // THEN the breaker does not trip: the failure is counted, its work retried
    assert!(
        matches!(outcome, FailureOutcome::Counted { .. }),
        "{outcome:?}"
    );
    let item = p.breakers.get_item(&key).await?.expect("breaker item");
    assert_eq!(item["circuit_breaker_tripped"].as_bool().ok(), Some(&false));
    assert!(!item.contains_key("tripped_date"), "{item:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_counted_just_before_a_reset_does_not_trip_the_breaker_again() -> Result<()> {
    let stack = fresh_stack("reset-race").await?;
    let p = stack.processor().await?;
    let settings = p.config.breaker;
    let key = team_key("NYK", "2024-11-05");
    // GIVEN a breaker that tripped 25 hours ago (its lockout has ended, TTL has not run)
    let long_ago = Utc::now() - Duration::hours(25);
    for _ in 0..settings.max_attempts {
        p.breakers
            .record_failure(&key, "missing", &settings, long_ago)
            .await?;
    }
    let now = Utc::now();
    // WHEN a new failure is counted, and the completeness check resets the breaker
    // before that failure's trip lands
    let counted = p
        .breakers
        .count_failure(&key, "missing", &settings, now)
        .await?;
    assert_eq!(counted.attempt_count, settings.max_attempts + 1);
    let tripped = p.breakers.tripped_on(key.analysis_date).await?;
    let breaker = tripped.iter().find(|b| b.key == key).expect("indexed");
    assert_eq!(p.breakers.reset(breaker, now).await?, ResetOutcome::Reset);
    let outcome = p.breakers.trip(&key, &settings, now).await?;
    // THEN it stays reset: the re-enqueued work will run, not be skipped
    assert!(
        matches!(outcome, FailureOutcome::Counted { .. }),
        "{outcome:?}"
    );
    assert!(!state(&p.breakers, &key).await?.is_open(now));
    let item = p.breakers.get_item(&key).await?.expect("breaker item");
    assert_eq!(
        item["trip_count"].as_n().ok().map(String::as_str),
        Some("1")
    );
    Ok(())
}

/// The pipeline's bus, failing its first `fail` publishes as an unreachable bus would.
struct FlakyBus {
    bus: EventBus,
    fail: AtomicU32,
}

impl FlakyBus {
    fn injected(&self) -> Result<(), StoreError> {
        match self
            .fail
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        {
            Ok(_) => Err(StoreError::new("PutEvents", "injected: bus unreachable")),
            Err(_) => Ok(()),
        }
    }
}

impl EventPublisher for FlakyBus {
    async fn publish(
        &self,
        detail_type: &str,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.injected()?;
        self.bus.publish(detail_type, detail).await
    }

    async fn publish_all(
        &self,
        detail_type: &str,
        details: &[serde_json::Value],
    ) -> Result<(), StoreError> {
        self.injected()?;
        self.bus.publish_all(detail_type, details).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trip_whose_event_could_not_be_published_publishes_it_on_redelivery() -> Result<()> {
    let stack = fresh_stack("trip-publish").await?;
    let p = stack.processor().await?;
    let sqs = stack.sqs().await;
    let observer = observe_bus(
        &stack,
        &p.config.event_bus_name,
        serde_json::json!({"detail-type": [BREAKER_TRIPPED]}),
    )
    .await?;
    // GIVEN a processor whose bus fails its first publish, and a team whose last
    // game has no box score
    let flaky = Processor {
        games: p.processor.games.clone(),
        breakers: p.processor.breakers.clone(),
        features: p.processor.features.clone(),
        queues: p.processor.queues.clone(),
        events: FlakyBus {
            bus: p.processor.events.clone(),
            fail: AtomicU32::new(1),
        },
        settings: p.config.breaker,
        book_priority: nba_props::domain::prop_lines::BookPriority::new(
            p.config.book_priority.clone(),
        ),
        metrics_namespace: p.config.metrics_namespace.clone(),
    };
    let days = week_2024_25()?;
    let withheld: BTreeSet<String> = days[0]
        .box_scores
        .iter()
        .map(|b| b.game_id.clone())
        .collect();
    stack.ingest_days(&p, &days[..1], &withheld).await?;
    let work = WorkItem {
        processor: ProcessorName::TeamDefenseZoneAnalysis,
        entity_id: format!("team#{}", days[0].schedule.games[0].home),
        analysis_date: days[1].date,
    };
    let deliver = || handle_batch(&flaky, sqs_event(&[work.to_body()]), Utc::now());

    // WHEN its work fails up to the limit, and the trip's publish fails
    let mut tripped = 0;
    for _ in 0..p.config.breaker.max_attempts {
        let (response, tally) = deliver().await;
        assert!(
            response.is_err(),
            "each failure is retried (a one-record batch)"
        );
        tripped += tally.breakers_tripped;
    }
    let key = work.breaker_key();
    let item = p.breakers.get_item(&key).await?.expect("breaker");
    assert_eq!(item["circuit_breaker_tripped"].as_bool().ok(), Some(&true));
    assert_eq!(
        item["trip_event_pending"].as_n().ok().map(String::as_str),
        Some("1")
    );
    let recorded = item["pending_work"]
        .as_ss()
        .expect("work recorded before the publish");
    assert_eq!(recorded, &vec![work.to_body()]);
    assert!(
        take_all(&sqs, &observer).await?.is_empty(),
        "nothing published yet"
    );

    // THEN the redelivery finds the event pending and publishes it, once
    let (response, tally) = deliver().await;
    assert!(response?.batch_item_failures.is_empty());
    tripped += tally.breakers_tripped;
    let (response, tally) = deliver().await;
    assert!(response?.batch_item_failures.is_empty());
    tripped += tally.breakers_tripped;
    assert_eq!(
        tripped, 1,
        "the trip is counted once, when its event goes out"
    );
    let events: Vec<serde_json::Value> = take_all(&sqs, &observer)
        .await?
        .iter()
        .map(|b| serde_json::from_str(b))
        .collect::<Result<_, _>>()?;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["detail"]["entity_id"], work.entity_id);
    assert_eq!(events[0]["detail"]["trip_count"], 1);
    let item = p.breakers.get_item(&key).await?.expect("breaker");
    assert!(!item.contains_key("trip_event_pending"), "{item:?}");
    Ok(())
}

/// Breakers whose batch read fails whenever it asks for more than one key.
#[derive(Clone)]
struct NoBatchReads(BreakerTable);

impl BreakerStore for NoBatchReads {
    async fn get_many(
        &self,
        keys: &[BreakerKey],
    ) -> Result<HashMap<BreakerKey, BreakerState>, StoreError> {
        if keys.len() > 1 {
            return Err(StoreError::new("BatchGetItem breakers", "injected"));
        }
        self.0.get_many(keys).await
    }
    async fn record_failure(
        &self,
        key: &BreakerKey,
        error: &str,
        settings: &BreakerSettings,
        now: DateTime<Utc>,
    ) -> Result<FailureOutcome, StoreError> {
        self.0.record_failure(key, error, settings, now).await
    }
    async fn record_skipped(
        &self,
        key: &BreakerKey,
        work: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.0.record_skipped(key, work, now).await
    }
    async fn trip_published(&self, key: &BreakerKey, trip: u32) -> Result<(), StoreError> {
        self.0.trip_published(key, trip).await
    }
    async fn clear_attempts(&self, key: &BreakerKey) -> Result<(), StoreError> {
        self.0.clear_attempts(key).await
    }
}

impl BreakerResets for NoBatchReads {
    async fn tripped_on(&self, date: NaiveDate) -> Result<Vec<TrippedBreaker>, StoreError> {
        self.0.tripped_on(date).await
    }
    async fn tripped_all(&self) -> Result<Vec<TrippedBreaker>, StoreError> {
        self.0.tripped_all().await
    }
    async fn reset(
        &self,
        breaker: &TrippedBreaker,
        now: DateTime<Utc>,
    ) -> Result<ResetOutcome, StoreError> {
        self.0.reset(breaker, now).await
    }
    async fn finish_reset(&self, breaker: &TrippedBreaker) -> Result<(), StoreError> {
        self.0.finish_reset(breaker).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_work_item_or_a_failed_breaker_read_fails_only_its_own_record() -> Result<()> {
    let stack = fresh_stack("bad-keys").await?;
    let p = stack.processor().await?;
    let days = week_2024_25()?;
    stack.ingest_days(&p, &days[..2], &BTreeSet::new()).await?;
    // GIVEN nine good work items and one whose entity id is 3,000 characters long
    let mut bodies: Vec<String> = days[1]
        .schedule
        .games
        .iter()
        .flat_map(|g| [&g.home, &g.away])
        .take(9)
        .map(|team| {
            WorkItem {
                processor: ProcessorName::UpcomingTeamGameContext,
                entity_id: format!("team#{team}"),
                analysis_date: days[1].date,
            }
            .to_body()
        })
        .collect();
    assert_eq!(bodies.len(), 9);
    bodies.insert(
        4,
        WorkItem {
            processor: ProcessorName::PlayerDailyCache,
            entity_id: format!("player#{}", "a".repeat(3000)),
            analysis_date: days[1].date,
        }
        .to_body(),
    );
    // WHEN the batch is handled, by the processor and by one whose batch reads fail
    let failing_reads = Processor {
        games: p.processor.games.clone(),
        breakers: NoBatchReads(p.processor.breakers.clone()),
        features: p.processor.features.clone(),
        queues: p.processor.queues.clone(),
        events: p.processor.events.clone(),
        settings: p.config.breaker,
        book_priority: nba_props::domain::prop_lines::BookPriority::new(
            p.config.book_priority.clone(),
        ),
        metrics_namespace: p.config.metrics_namespace.clone(),
    };
    for round in 0..2 {
        let (response, tally) = if round == 0 {
            handle_batch(&p.processor, sqs_event(&bodies), Utc::now()).await
        } else {
            handle_batch(&failing_reads, sqs_event(&bodies), Utc::now()).await
        };
        // THEN only the bad one fails, and the nine are done
        let failed: Vec<String> = response?
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        assert_eq!(failed, ["m4"], "round {round}");
        assert_eq!(tally.work_done, 9, "round {round}");
    }
    Ok(())
}
