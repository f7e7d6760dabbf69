//! `nba-props dlq redrive` against moto: every message of a dead-letter queue goes back
//! to its source queue, none is lost, and the dead-letter queue is left empty.

use std::collections::BTreeSet;

use anyhow::Result;
use nba_props_cli::dlq::redrive;
use nba_props_cli::event_source::{send_bodies, take_all, visible_messages};
use nba_props_tests::fresh_stack;

#[tokio::test(flavor = "multi_thread")]
async fn a_redrive_moves_every_dead_letter_back_to_its_queue() -> Result<()> {
    let stack = fresh_stack("redrive").await?;
    let sqs = stack.sqs().await;
    let dlq = stack.queue_url("PredictionDeadLetterQueue")?;
    let queue = stack.queue_url("PredictionQueue")?;
    // GIVEN 23 dead letters (more than two receive batches)
    let bodies: Vec<String> = (0..23)
        .map(|i| format!(r#"{{"player_lookup":"player{i}","game_date":"2025-11-05","generated_at":"2025-11-05T15:00:00Z"}}"#))
        .collect();
    send_bodies(&sqs, &dlq, &bodies).await?;
    // WHEN they are redriven
    let report = redrive(&sqs, &dlq, &queue).await?;
    // THEN all 23 are back on the prediction queue, once each, and the DLQ is empty
    assert_eq!(report.moved, 23);
    assert_eq!(visible_messages(&sqs, &dlq).await?, 0);
    let back = take_all(&sqs, &queue).await?;
    assert_eq!(back.len(), 23);
    let expected: BTreeSet<String> = bodies.into_iter().collect();
    assert_eq!(back.into_iter().collect::<BTreeSet<_>>(), expected);
    // AND a redrive of an empty queue moves nothing
    assert_eq!(redrive(&sqs, &dlq, &queue).await?.moved, 0);
    Ok(())
}
