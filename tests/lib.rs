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

use nba_props::domain::processor::ProcessorTally;
use nba_props_cli::event_source::DrainStats;
use nba_props_cli::local_functions::LocalProcessor;

/// Lets the processor drain its queue (see `LocalStack::drain_processor`).
pub async fn drain_processor(
    stack: &LocalStack,
    processor: &LocalProcessor,
) -> Result<(DrainStats, ProcessorTally)> {
    stack.drain_processor(processor).await
}

/// Routes the stack's bus events matching `pattern` to a new queue of the test's (as a
/// subscriber would), and returns that queue's URL.
pub async fn observe_bus(
    stack: &LocalStack,
    bus: &str,
    pattern: serde_json::Value,
) -> Result<String> {
    let events = aws_sdk_eventbridge::Client::new(&stack.endpoints.moto_config().await);
    let sqs = stack.sqs().await;
    static OBSERVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = OBSERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("{}-observer-{n}", stack.name);
    let (observer, observer_arn) =
        nba_props_cli::provision::create_queue(&sqs, &name, Default::default()).await?;
    events
        .put_rule()
        .name(&name)
        .event_bus_name(bus)
        .event_pattern(pattern.to_string())
        .send()
        .await?;
    events
        .put_targets()
        .rule(&name)
        .event_bus_name(bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("observer")
                .arn(observer_arn)
                .build()?,
        )
        .send()
        .await?;
    Ok(observer)
}

/// An SQS event of these bodies, with message ids `m0`, `m1`, ...
pub fn sqs_event(bodies: &[String]) -> aws_lambda_events::event::sqs::SqsEvent {
    let mut e = aws_lambda_events::event::sqs::SqsEvent::default();
    e.records = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let mut m = aws_lambda_events::event::sqs::SqsMessage::default();
            m.message_id = Some(format!("m{i}"));
            m.body = Some(b.clone());
            m
        })
        .collect();
    e
}
