//! A full real week of games through the processor on DynamoDB Local and moto: work
//! items per second and DynamoDB requests per work item.
//!
//! `cargo bench -p nba-props-cli --bench processor_week`
//!
//! Each day is ingested as it would arrive: the morning schedule (which fans out the
//! day's work), then the night's box scores. The processor drains its queue through
//! the template's event source with the template's batch size and maximum concurrency.
//! Requests are counted by an SDK interceptor, i.e. what was sent.

use std::time::Instant;

use anyhow::Result;
use nba_props::domain::processor_message::ProcessorMessage;
use nba_props_cli::dataset::week_2024_25;
use nba_props_cli::event_source::send_bodies;
use nba_props_cli::local_aws::LocalAws;
use nba_props_cli::provision::{LocalStack, unique_stack_name};

#[tokio::main]
async fn main() -> Result<()> {
    let days = week_2024_25()?;
    let local = LocalAws::start().await?;
    let stack = LocalStack::provision(&local.endpoints, &unique_stack_name("bench-week")).await?;
    let p = stack.processor().await?;
    let sqs = stack.sqs().await;
    let queue = stack.queue_url("ProcessorQueue")?;
    let games: usize = days.iter().map(|d| d.box_scores.len()).sum();
    println!(
        "data: 2024-25 week {}..{} ({games} games), fixtures",
        days[0].date,
        days[days.len() - 1].date
    );

    let (mut work_secs, mut ingest_secs) = (0.0, 0.0);
    let (mut work_requests, mut ingest_requests) = (0, 0);
    let mut work_items = 0;
    let mut predictions = 0;
    let mut box_scores = 0;
    for day in &days {
        send_bodies(
            &sqs,
            &queue,
            &[ProcessorMessage::Schedule(day.schedule.clone()).to_body()],
        )
        .await?;
        let before = p.requests.total();
        let start = Instant::now();
        let (_, tally) = stack.drain_processor(&p).await?;
        work_secs += start.elapsed().as_secs_f64();
        work_requests += p.requests.total() - before;
        work_items += tally.work_done + tally.work_failed + tally.work_skipped;
        predictions += tally.predictions_requested;

        let bodies: Vec<String> = day
            .box_scores
            .iter()
            .map(|b| ProcessorMessage::BoxScore(b.clone()).to_body())
            .collect();
        send_bodies(&sqs, &queue, &bodies).await?;
        let before = p.requests.total();
        let start = Instant::now();
        let (_, tally) = stack.drain_processor(&p).await?;
        ingest_secs += start.elapsed().as_secs_f64();
        ingest_requests += p.requests.total() - before;
        box_scores += tally.box_scores_stored;
    }
    println!(
        "work items: {work_items} in {work_secs:.1} s = {:.1} work items/s (including the schedules' fan-out)",
        work_items as f64 / work_secs
    );
    println!(
        "DynamoDB requests per work item: {:.2} ({work_requests} requests)",
        work_requests as f64 / work_items.max(1) as f64
    );
    println!(
        "box scores: {box_scores} in {ingest_secs:.1} s, {:.1} DynamoDB requests each",
        ingest_requests as f64 / box_scores.max(1) as f64
    );
    println!("prediction requests sent: {predictions}");
    println!(
        "DynamoDB requests by operation: {:?}",
        p.requests.snapshot()
    );
    Ok(())
}
