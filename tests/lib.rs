//! Shared set-up of the integration tests: one local AWS stack per test binary, a
//! freshly provisioned set of tables and queues per test.

use anyhow::Result;
use nba_props_cli::local_aws::{Endpoints, LocalAws};
use nba_props_cli::provision::{LocalStack, unique_stack_name};
use tokio::sync::OnceCell;

static LOCAL_AWS: OnceCell<LocalAws> = OnceCell::const_new();

/// The servers every test of this binary shares (started once; the watchdog stops
/// them when the test process exits).
pub async fn local_aws() -> Result<&'static Endpoints> {
    let local = LOCAL_AWS.get_or_try_init(LocalAws::start).await?;
    Ok(&local.endpoints)
}

/// `infra/template.yaml` provisioned under a stack name of its own, so tests running
/// in parallel never see each other's items or messages.
pub async fn fresh_stack(test: &str) -> Result<LocalStack> {
    LocalStack::provision(local_aws().await?, &unique_stack_name(test)).await
}

use nba_props::processor::ProcessorTally;
use nba_props_cli::event_source::{DrainStats, send_bodies};
use nba_props_cli::local_functions::LocalProcessor;

/// Sends bodies to a queue of the stack (by logical id).
pub async fn send(stack: &LocalStack, queue: &str, bodies: &[String]) -> Result<()> {
    send_bodies(&stack.sqs().await, &stack.queue_url(queue)?, bodies).await
}

/// Lets the processor drain its queue through the template's event source, as Lambda
/// would, and adds up what it did.
pub async fn drain_processor(
    stack: &LocalStack,
    processor: &LocalProcessor,
) -> Result<(DrainStats, ProcessorTally)> {
    let source = stack.sqs_event_source("processor").await?;
    let tally = std::cell::RefCell::new(ProcessorTally::default());
    let stats = source
        .drain(100_000, |event| {
            let (p, tally) = (&processor.processor, &tally);
            async move {
                let (response, t) = p.handle(event, chrono::Utc::now()).await;
                add(&mut tally.borrow_mut(), &t);
                response
            }
        })
        .await?;
    Ok((stats, tally.into_inner()))
}

/// Adds one tally to another.
pub fn add(into: &mut ProcessorTally, t: &ProcessorTally) {
    into.records += t.records;
    into.failed_records += t.failed_records;
    into.schedules += t.schedules;
    into.box_scores_stored += t.box_scores_stored;
    into.box_scores_ignored += t.box_scores_ignored;
    into.work_done += t.work_done;
    into.work_failed += t.work_failed;
    into.work_skipped += t.work_skipped;
    into.breakers_tripped += t.breakers_tripped;
    into.work_enqueued += t.work_enqueued;
    into.predictions_requested += t.predictions_requested;
}
