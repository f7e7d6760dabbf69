//! The late box score, replayed on real games: the second part of `nba-props replay`.
//!
//! Days of the committed 2024-25 week go through the real processor (schedule fan-out,
//! box scores, the five processors, breakers) with one game's box score held back. The
//! entities that need it trip their breakers. The 06:00 completeness check reports the
//! game missing and asks for its backfill; the box score then arrives on the bus (as a
//! scraper answering the request would publish it); the next check resets exactly the
//! breakers whose data is now there and re-enqueues their work, and the processors and
//! the prediction writer finish the day.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::{Context, Result};
use nba_props::model::ProcessorName;

use crate::dataset::{late_game, week_2024_25};
use crate::provision::LocalStack;

/// Runs the late-data replay on a provisioned stack and prints what happened to `out`.
pub async fn run(stack: &LocalStack, out: &mut impl Write) -> Result<()> {
    let week = week_2024_25()?;
    let late = late_game(&week)?;
    let days = late.days_through_next(&week);
    let box_score = late
        .box_score(days)
        .context("the late game has a box score in the data")?;
    let p = stack.processor().await?;
    let checker = stack.completeness_checker().await?;
    let writer = stack.prediction_writer().await?;

    writeln!(
        out,
        "late data: {} game days of 2024-25 ({} to {}) through the processor; the box score of {} ({} @ {}, {}) is held back",
        days.len(),
        days[0].date,
        late.next,
        late.game_id,
        late.teams[1],
        late.teams[0],
        late.game_date
    )?;
    let withheld = BTreeSet::from([late.game_id.clone()]);
    let ingested = stack.ingest_days(&p, days, &withheld).await?;
    let (_, written) = stack.drain_writer(&writer).await?;
    writeln!(
        out,
        "processor: {} work items done, {} failed for missing data, {} breakers tripped, {} skipped while open; writer: {} predictions created",
        ingested.work_done,
        ingested.work_failed,
        ingested.breakers_tripped,
        ingested.work_skipped,
        written.created
    )?;

    let input = late.morning_check_input();
    // The handler's path minus its log line and EMF output, which would interleave
    // with this report.
    let check = || async {
        checker.requests.reset();
        checker
            .checker
            .check_input(&input, chrono::Utc::now())
            .await
    };
    let while_missing = check().await?;
    writeln!(out, "\n06:00 check, box score still missing ({input}):")?;
    writeln!(out, "{}", indent(&while_missing.summary()))?;
    writeln!(out, "  ({})", requests(&checker.requests))?;
    let locked: BTreeSet<String> = {
        let mut players = BTreeSet::new();
        for b in nba_props::ports::BreakerResets::tripped_on(&p.breakers, late.next).await? {
            if b.key.processor_name == ProcessorName::PlayerDailyCache {
                players.insert(b.key.entity_id.trim_start_matches("player#").to_string());
            }
        }
        players
    };

    writeln!(
        out,
        "\nthe box score of {} arrives on the bus (as a scraper answering the backfill request would publish it)",
        late.game_id
    )?;
    stack.publish_box_score(box_score).await?;
    stack.drain_processor(&p).await?;
    let after_arrival = check().await?;
    writeln!(out, "\n06:00 check again:")?;
    writeln!(out, "{}", indent(&after_arrival.summary()))?;
    writeln!(out, "  ({})", requests(&checker.requests))?;

    let (_, healed) = stack.drain_processor(&p).await?;
    let (_, rewritten) = stack.drain_writer(&writer).await?;
    let predictions = writer.predictions.for_game_date(late.next).await?;
    let predicted = locked
        .iter()
        .filter(|player| {
            predictions
                .iter()
                .filter(|p| &p.player_lookup == *player)
                .count()
                == 3
        })
        .count();
    writeln!(
        out,
        "\nafter the reset: processor {} work items done, {} failed, {} breakers tripped; writer: {} predictions created",
        healed.work_done, healed.work_failed, healed.breakers_tripped, rewritten.created
    )?;
    writeln!(
        out,
        "players locked out of {}: {}; now with their three predictions: {}",
        late.next,
        locked.len(),
        predicted
    )?;
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The DynamoDB requests a check sent, by operation (the check reads with Query only).
fn requests(counter: &nba_props::adapters::dynamodb::RequestCounter) -> String {
    let by_op: Vec<String> = counter
        .snapshot()
        .into_iter()
        .map(|(op, n)| format!("{op} {n}"))
        .collect();
    format!("DynamoDB requests of this check: {}", by_op.join(", "))
}
