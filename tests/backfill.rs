//! The backfill function against DynamoDB Local, moto and a stand-in box-score source
//! (a real HTTP server serving `boxscoretraditionalv3` JSON made from the 2024-25 week):
//! the morning check's request reaches it through the bus and its queue, it fetches
//! over HTTP at most once per game per cooldown, and what it publishes reaches the
//! processor through the ingest rule.

use std::collections::BTreeSet;

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use nba_props::domain::completeness::{scheduler_input, six_am_new_york};
use nba_props::handlers::completeness_checker::handle_event;
use nba_props::ports::{BackfillLedger, BreakerResets};
use nba_props_cli::box_score_source::{Answer, StandInSource};
use nba_props_cli::dataset::{late_game, week_2024_25};
use nba_props_cli::local_functions::{LocalChecker, LocalProcessor};
use nba_props_cli::nba_data::GameDay;
use nba_props_cli::provision::LocalStack;
use nba_props_tests::{drain_processor, fresh_stack};

/// A fresh stack with its processor and checker, the 2024-25 week, its late game, and
/// a stand-in source serving the week's box scores with `answer`.
struct Setting {
    stack: LocalStack,
    processor: LocalProcessor,
    checker: LocalChecker,
    days: Vec<GameDay>,
    late: nba_props_cli::dataset::LateGame,
    source: StandInSource,
}

async fn setting(test: &str, answer: Answer) -> Result<Setting> {
    let stack = fresh_stack(test).await?;
    let processor = stack.processor().await?;
    let checker = stack.completeness_checker().await?;
    let days = week_2024_25()?;
    let late = late_game(&days)?;
    let source =
        StandInSource::start(days.iter().flat_map(|d| d.box_scores.clone()), 0, answer).await?;
    Ok(Setting {
        stack,
        processor,
        checker,
        days,
        late,
        source,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_game_is_fetched_once_per_cooldown_and_heals_through_the_bus() -> Result<()> {
    let Setting {
        stack,
        processor,
        checker,
        days,
        late,
        source,
    } = setting("backfill-heals", Answer::Final).await?;
    let backfill = stack.backfill_with(&source.url(), &[]).await?;
    // GIVEN the week through the date the late game's breakers trip, its box score
    // missing, and the source still showing the game in progress
    source.answer(&late.game_id, Answer::InProgress);
    stack
        .ingest_days(
            &processor,
            late.days_through_next(&days),
            &BTreeSet::from([late.game_id.clone()]),
        )
        .await?;
    let waiting = processor.breakers.tripped_all().await?.len();
    assert!(waiting > 0, "the missing game tripped breakers");

    // WHEN the morning check asks for it
    let morning = late.next;
    let report = handle_event(&checker.checker, scheduler_input(morning)).await?;
    assert_eq!(report.missing_games, vec![late.game_id.clone()]);
    assert_eq!(report.backfill_requested, 1);
    let t0: DateTime<Utc> = six_am_new_york(morning);
    let (_, tally) = stack.drain_backfill_at(&backfill, t0).await?;
    // THEN the request came through the bus to the backfill, which fetched once and
    // refused what is not final
    assert_eq!(
        (tally.fetched, tally.refused, tally.published),
        (1, 1, 0),
        "{tally:?}"
    );
    assert_eq!(source.requests(&late.game_id), 1);

    // WHEN the request comes again within the cooldown (a second check, by hand)
    handle_event(&checker.checker, scheduler_input(morning)).await?;
    let (_, tally) = stack
        .drain_backfill_at(&backfill, t0 + Duration::minutes(30))
        .await?;
    // THEN nothing is fetched
    assert_eq!((tally.cooling_down, tally.fetched), (1, 0), "{tally:?}");
    assert_eq!(source.requests(&late.game_id), 1, "one fetch per cooldown");

    // WHEN the game is final at the source and the next morning's request comes
    source.answer(&late.game_id, Answer::Final);
    let next_morning = morning + Duration::days(1);
    handle_event(&checker.checker, scheduler_input(next_morning)).await?;
    let requests_before = backfill.requests.total();
    let (_, tally) = stack
        .drain_backfill_at(&backfill, six_am_new_york(next_morning))
        .await?;
    assert_eq!((tally.fetched, tally.published), (1, 1), "{tally:?}");
    assert_eq!(source.requests(&late.game_id), 2);
    let ledger_requests = backfill.requests.total() - requests_before;

    // THEN the published box score reaches the processor by the ingest rule, which
    // stores it and resets every breaker that waited for it
    let (_, tally) = drain_processor(&stack, &processor).await?;
    assert_eq!(tally.box_scores_stored, 1, "{tally:?}");
    assert_eq!(tally.breakers_reset as usize, waiting, "{tally:?}");
    assert!(processor.breakers.tripped_all().await?.is_empty());
    let stored =
        nba_props::ports::GameDataStore::schedule_on(&processor.games, late.game_date).await?;
    assert!(stored.games.iter().all(|g| g.complete));
    eprintln!(
        "backfilled game: {} HTTP requests over 2 cooldown windows, {} DynamoDB requests for the fetch that published",
        source.requests(&late.game_id),
        ledger_requests
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_source_is_down_attempts_stay_bounded_then_the_game_is_given_up() -> Result<()> {
    let Setting {
        stack,
        processor,
        checker,
        days,
        late,
        source,
    } = setting("backfill-down", Answer::ServerError).await?;
    // A one-second timeout, so the hanging answer is given up on quickly.
    let backfill = stack
        .backfill_with(&source.url(), &[("BOX_SCORE_SOURCE_TIMEOUT_SECONDS", "1")])
        .await?;
    let max = backfill.config.max_attempts;
    assert_eq!(max, 5, "the template's default");
    let cooldown = Duration::minutes(i64::from(backfill.config.cooldown_minutes));
    stack
        .ingest_days(
            &processor,
            &days[..3],
            &BTreeSet::from([late.game_id.clone()]),
        )
        .await?;

    // GIVEN the source fails (500s, and once it hangs) and the morning check asks for
    // the game every morning, with a redelivered request half an hour after each
    let t0 = six_am_new_york(late.game_date + Duration::days(1));
    let mut fetches = 0;
    let mut given_up_at = None;
    for n in 0..(max as i64 + 2) {
        if n == 1 {
            source.answer(&late.game_id, Answer::Hang);
        } else {
            source.answer(&late.game_id, Answer::ServerError);
        }
        let at = t0 + cooldown * (n as i32);
        for (offset, expect_fetch) in [(Duration::zero(), true), (Duration::minutes(30), false)] {
            let given_up_before = given_up_at.is_some();
            let report = handle_event(
                &checker.checker,
                serde_json::json!({"scheduled_time": (at + offset).to_rfc3339()}),
            )
            .await?;
            let (_, tally) = stack.drain_backfill_at(&backfill, at + offset).await?;
            fetches += tally.fetched;
            if tally.given_up == 1 {
                given_up_at = Some(n);
            }
            if given_up_before {
                // THEN once given up, the check reports it and no longer asks
                assert_eq!(report.backfill_given_up, vec![late.game_id.clone()]);
                assert_eq!(report.backfill_requested, 0, "{report:?}");
                assert!(report.summary().contains("Backfill given up"));
                assert_eq!((tally.fetched, tally.records), (0, 0));
            } else if expect_fetch {
                assert_eq!(tally.fetched, 1, "window {n}: {tally:?}");
            } else {
                // AND within the cooldown nothing is fetched
                assert_eq!((tally.fetched, tally.cooling_down), (0, 1), "window {n}");
            }
        }
    }
    // THEN exactly `max` fetches were made, the last one gave the game up
    assert_eq!(fetches, u64::from(max));
    assert_eq!(given_up_at, Some(i64::from(max) - 1));
    let given_up = backfill
        .ledger
        .given_up(std::slice::from_ref(&late.game_id))
        .await?;
    assert!(given_up.contains(&late.game_id));
    // AND each fetch's HTTP requests are bounded by its retries (3 tries)
    let http = source.requests(&late.game_id);
    assert!(
        http >= u64::from(max) && http <= 3 * u64::from(max),
        "{http} requests for {max} fetches"
    );
    eprintln!("source down: {max} fetches, {http} HTTP requests (retries included), then given up");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_backfill_request_fails_alone_and_is_dead_lettered() -> Result<()> {
    let stack = fresh_stack("backfill-bad").await?;
    let days = week_2024_25()?;
    let source = StandInSource::start(
        days.iter().flat_map(|d| d.box_scores.clone()),
        0,
        Answer::Final,
    )
    .await?;
    let backfill = stack.backfill_with(&source.url(), &[]).await?;
    let good = days[0].box_scores[0].clone();
    let bodies = vec![
        serde_json::json!({"game_id": good.game_id, "game_date": good.game_date,
                           "home": good.home.team, "away": good.away.team})
        .to_string(),
        r#"{"game_id": "12", "game_date": "2024-11-04", "home": "BOS", "away": "NYK"}"#.into(),
    ];
    stack.send("BackfillQueue", &bodies).await?;
    let (stats, tally) = stack.drain_backfill_at(&backfill, Utc::now()).await?;
    assert_eq!(tally.published, 1, "{tally:?}");
    assert!(stats.failed >= 1);
    let dead = nba_props_cli::event_source::take_all(
        &stack.sqs().await,
        &stack.queue_url("BackfillDeadLetterQueue")?,
    )
    .await?;
    assert_eq!(dead, vec![bodies[1].clone()]);
    Ok(())
}
