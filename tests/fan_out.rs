//! A date's fan-out is never lost: a schedule delivery that fails before or during its
//! sends leaves the fan-out unmarked, and the redelivery sends every work item; so does
//! a new schedule of a date whose added games' fan-out stopped half way. Against
//! DynamoDB Local and moto, on the committed 2024-25 week.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use chrono::Utc;
use nba_props::adapters::sqs::Queues;
use nba_props::domain::processor::Processor;
use nba_props::domain::processor_message::ProcessorMessage;
use nba_props::handlers::processor::handle_batch;
use nba_props::model::{ProcessorName, WorkItem, player_lookup};
use nba_props::ports::{Destination, MessageSender, StoreError};
use nba_props_cli::dataset::week_2024_25;
use nba_props_cli::event_source::take_all;
use nba_props_cli::nba_data::GameDay;
use nba_props_tests::{fresh_stack, sqs_event};

/// The processor queue, failing its first send after passing on `sent_before` bodies:
/// a delivery throttled before its sends (0) or stopped half way through them.
struct FailingOnce {
    queues: Queues,
    sent_before: usize,
    failed: AtomicBool,
}

impl MessageSender for FailingOnce {
    async fn send_all(
        &self,
        destination: Destination,
        bodies: &[String],
    ) -> Result<(), StoreError> {
        if self.failed.swap(true, Ordering::SeqCst) {
            return self.queues.send_all(destination, bodies).await;
        }
        let sent = self.sent_before.min(bodies.len());
        self.queues.send_all(destination, &bodies[..sent]).await?;
        Err(StoreError::new(
            "SendMessageBatch",
            format!("injected: stopped after {sent} of {} bodies", bodies.len()),
        ))
    }
}

/// The work a date's fan-out must send, computed from the fixture files: both team
/// processors for every scheduled team, and the two player processors for everyone
/// with a line for one of those teams in the earlier days.
fn expected_work(earlier: &[GameDay], day: &GameDay) -> BTreeSet<String> {
    let teams: BTreeSet<&str> = day
        .schedule
        .games
        .iter()
        .flat_map(|g| [g.home.as_str(), g.away.as_str()])
        .collect();
    let work = |processor, entity_id: String| WorkItem {
        processor,
        entity_id,
        analysis_date: day.date,
    };
    let mut expected = BTreeSet::new();
    for team in &teams {
        for p in [
            ProcessorName::TeamDefenseZoneAnalysis,
            ProcessorName::UpcomingTeamGameContext,
        ] {
            expected.insert(work(p, format!("team#{team}")).to_body());
        }
    }
    for line in earlier
        .iter()
        .flat_map(|d| &d.box_scores)
        .flat_map(|b| &b.players)
        .filter(|l| teams.contains(l.team.as_str()))
    {
        for p in [
            ProcessorName::PlayerDailyCache,
            ProcessorName::PlayerShotZoneAnalysis,
        ] {
            expected.insert(work(p, format!("player#{}", player_lookup(&line.name))).to_body());
        }
    }
    expected
}

/// `replacement`: the date was first scheduled with its first game only (and fanned
/// out whole); the schedule that fails is the whole date, whose other games are new.
async fn redelivery_sends_the_whole_fan_out(sent_before: usize, replacement: bool) -> Result<()> {
    let stack = fresh_stack(&format!("fan-out-{sent_before}-{replacement}")).await?;
    let p = stack.processor().await?;
    let days = week_2024_25()?;
    stack.ingest_days(&p, &days[..1], &BTreeSet::new()).await?;
    let mut added = days[1].clone();
    if replacement {
        let mut first = days[1].clone();
        first.schedule.games.truncate(1);
        stack.schedule_day(&p, &first).await?;
        take_all(&stack.sqs().await, &stack.queue_url("ProcessorQueue")?).await?;
        added.schedule.games.remove(0);
    }
    let expected = expected_work(&days[..1], &added);
    assert!(expected.len() > 100, "{} work items", expected.len());
    let schedule = ProcessorMessage::Schedule(days[1].schedule.clone()).to_body();

    // GIVEN a first delivery of the day's schedule that fails at its sends
    let failing = Processor {
        games: p.processor.games.clone(),
        breakers: p.processor.breakers.clone(),
        features: p.processor.features.clone(),
        queues: FailingOnce {
            queues: p.processor.queues.clone(),
            sent_before,
            failed: AtomicBool::new(false),
        },
        events: p.processor.events.clone(),
        settings: p.config.breaker,
        book_priority: nba_props::domain::prop_lines::BookPriority::new(
            p.config.book_priority.clone(),
        ),
        metrics_namespace: p.config.metrics_namespace.clone(),
    };
    let (first, _) = handle_batch(
        &failing,
        sqs_event(std::slice::from_ref(&schedule)),
        Utc::now(),
    )
    .await;
    assert!(first.is_err(), "the failed delivery is retried");

    // WHEN it is redelivered, and then delivered once more
    let (second, tally) = handle_batch(
        &p.processor,
        sqs_event(std::slice::from_ref(&schedule)),
        Utc::now(),
    )
    .await;
    assert!(second?.batch_item_failures.is_empty());
    let (third, again) = handle_batch(&p.processor, sqs_event(&[schedule]), Utc::now()).await;
    assert!(third?.batch_item_failures.is_empty());

    // THEN the redelivery sent the whole fan-out, and the one after it nothing
    assert_eq!(tally.work_enqueued, expected.len() as u64);
    assert_eq!(again.work_enqueued, 0);
    let queue = stack.queue_url("ProcessorQueue")?;
    let sent = take_all(&stack.sqs().await, &queue).await?;
    assert_eq!(sent.len(), sent_before + expected.len());
    let distinct: BTreeSet<String> = sent.into_iter().collect();
    assert_eq!(distinct, expected);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schedule_whose_first_delivery_failed_before_sending_fans_out_on_redelivery() -> Result<()>
{
    redelivery_sends_the_whole_fan_out(0, false).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schedule_whose_first_delivery_stopped_half_way_fans_out_on_redelivery() -> Result<()> {
    redelivery_sends_the_whole_fan_out(57, false).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_schedule_whose_added_games_stopped_half_way_sends_them_on_redelivery() -> Result<()>
{
    redelivery_sends_the_whole_fan_out(57, true).await
}
