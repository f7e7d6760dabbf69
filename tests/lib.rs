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

/// Lets the processor drain its queue (see `LocalStack::drain_processor`).
pub async fn drain_processor(
    stack: &LocalStack,
    processor: &LocalProcessor,
) -> Result<(DrainStats, ProcessorTally)> {
    stack.drain_processor(processor).await
}
