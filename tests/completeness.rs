//! The completeness checker against DynamoDB Local and moto, on a real week of 2024-25
//! games with one game's box score held back: the cascade it exists to heal.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Result;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, NaiveDate};
use nba_props::domain::completeness::{
    BACKFILL_REQUESTED, COMPLETENESS_REPORT, CompletenessReport, scheduler_input, six_am_new_york,
};
use nba_props::domain::processor_message::ProcessorMessage;
use nba_props::handlers::completeness_checker::handle_event;
use nba_props::model::{BreakerKey, ProcessorName, Schedule, ScheduleStatus, WorkItem};
use nba_props::ports::{BreakerResets, FeatureSource, GameDataStore};
use nba_props_cli::box_score_source::{Answer, StandInSource};
use nba_props_cli::dataset::week_2024_25;
use nba_props_cli::dataset::{LateGame, late_game};
use nba_props_cli::event_source::{take_all, visible_messages};
use nba_props_cli::local_functions::{LocalChecker, LocalProcessor};
use nba_props_cli::nba_data::GameDay;
use nba_props_cli::provision::LocalStack;
use nba_props_tests::{drain_processor, fresh_stack, observe_bus};
use serde_json::json;

/// A week ingested with one game's box score held back, and what the test needs of it.
struct Withheld {
    stack: LocalStack,
    processor: LocalProcessor,
    checker: LocalChecker,
    days: Vec<GameDay>,
    /// The withheld game, its date and the date its breakers trip.
    late: LateGame,
    /// Events the checker publishes, routed to a queue of the test's.
    observer: String,
}

impl Withheld {
    /// Ingests the week through `next` with the game's box score held back.
    async fn ingest(test: &str) -> Result<Self> {
        let stack = fresh_stack(test).await?;
        let processor = stack.processor().await?;
        let checker = stack.completeness_checker().await?;
        let observer = observe_bus(
            &stack,
            &checker.config.event_bus_name,
            json!({"detail-type": [BACKFILL_REQUESTED, COMPLETENESS_REPORT]}),
        )
        .await?;
        let days = week_2024_25()?;
        let late = late_game(&days)?;
        let days: Vec<GameDay> = late.days_through_next(&days).to_vec();
        stack
            .ingest_days(&processor, &days, &BTreeSet::from([late.game_id.clone()]))
            .await?;
        Ok(Self {
            stack,
            processor,
            checker,
            days,
            late,
            observer,
        })
    }

    /// The morning check's input covering the withheld game, with `extra` fields.
    fn input(&self, extra: serde_json::Value) -> serde_json::Value {
        let mut input = self.late.morning_check_input();
        for (k, v) in extra.as_object().expect("object") {
            input[k] = v.clone();
        }
        input
    }

    async fn check(&self, extra: serde_json::Value) -> Result<CompletenessReport> {
        Ok(handle_event(&self.checker.checker, self.input(extra)).await?)
    }

    /// Every breaker item tripped (or indexed) for the dates the check covers, read
    /// from the index, as stored.
    async fn tripped(&self) -> Result<BTreeMap<BreakerKey, HashMap<String, AttributeValue>>> {
        let mut out = BTreeMap::new();
        let mut date = self.late.game_date;
        while date <= self.late.next {
            for b in self.processor.breakers.tripped_on(date).await? {
                let item = self
                    .processor
                    .breakers
                    .get_item(&b.key)
                    .await?
                    .expect("item");
                out.insert(b.key, item);
            }
            date += Duration::days(1);
        }
        Ok(out)
    }

    /// The breakers' stored items, by key.
    async fn items(
        &self,
        keys: impl Iterator<Item = &BreakerKey>,
    ) -> Result<BTreeMap<BreakerKey, Option<HashMap<String, AttributeValue>>>> {
        let mut out = BTreeMap::new();
        for k in keys {
            out.insert(k.clone(), self.processor.breakers.get_item(k).await?);
        }
        Ok(out)
    }

    /// Messages waiting on the processor queue (sent and not yet received).
    async fn processor_queue_waiting(&self) -> Result<u64> {
        visible_messages(
            &self.stack.sqs().await,
            &self.stack.queue_url("ProcessorQueue")?,
        )
        .await
    }

    /// Events the checker published since the last call, as (detail-type, detail).
    async fn published(&self) -> Result<Vec<(String, serde_json::Value)>> {
        let bodies = take_all(&self.stack.sqs().await, &self.observer).await?;
        bodies
            .iter()
            .map(|b| {
                let e: serde_json::Value = serde_json::from_str(b)?;
                Ok((
                    e["detail-type"].as_str().unwrap_or_default().to_string(),
                    e["detail"].clone(),
                ))
            })
            .collect()
    }
}

fn attr_bool(item: &HashMap<String, AttributeValue>, name: &str) -> Option<bool> {
    item.get(name).and_then(|v| v.as_bool().ok()).copied()
}

#[tokio::test(flavor = "multi_thread")]
async fn while_the_box_score_is_missing_nothing_is_reset_and_its_backfill_is_requested()
-> Result<()> {
    // GIVEN a week whose one game has no box score, and the breakers that tripped for it
    let w = Withheld::ingest("still-missing").await?;
    let tripped = w.tripped().await?;
    assert!(
        tripped.len() >= 2,
        "the withheld game trips breakers: {tripped:?}"
    );

    // WHEN the morning check runs
    let report = w.check(json!({})).await?;

    // THEN the game is reported missing, nothing is reset or enqueued
    assert_eq!(report.missing_games, vec![w.late.game_id.clone()]);
    // The scheduler's input checks yesterday and the week before it.
    let expected: u32 = w
        .days
        .iter()
        .filter(|d| d.date < w.late.next && d.date >= w.late.next - Duration::days(8))
        .map(|d| d.schedule.games.len() as u32)
        .sum();
    assert_eq!(report.games_expected, expected);
    assert_eq!(report.games_complete, expected - 1);
    assert_eq!(report.circuit_breakers_reset, 0);
    assert_eq!(report.breakers_still_tripped as usize, tripped.len());
    assert_eq!(w.processor_queue_waiting().await?, 0, "no work re-enqueued");
    assert_eq!(
        w.items(tripped.keys()).await?,
        tripped.into_iter().map(|(k, v)| (k, Some(v))).collect(),
        "tripped breakers are left exactly as they were"
    );

    // AND one backfill request per missing game is on the bus, with the report
    assert_eq!(report.backfill_requested, 1);
    let published = w.published().await?;
    let backfills: Vec<&serde_json::Value> = published
        .iter()
        .filter(|(t, _)| t == BACKFILL_REQUESTED)
        .map(|(_, d)| d)
        .collect();
    assert_eq!(backfills.len(), 1, "{published:?}");
    assert_eq!(backfills[0]["game_id"], w.late.game_id.as_str());
    assert_eq!(backfills[0]["game_date"], w.late.game_date.to_string());
    let reports: Vec<&serde_json::Value> = published
        .iter()
        .filter(|(t, _)| t == COMPLETENESS_REPORT)
        .map(|(_, d)| d)
        .collect();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["missing_games"], json!([w.late.game_id]));
    assert_eq!(reports[0]["circuit_breakers_reset"], 0);
    assert!(
        reports[0]["summary"]
            .as_str()
            .is_some_and(|s| s.contains(&w.late.game_id)),
        "{}",
        reports[0]
    );

    // AND with backfill turned off, none is requested
    let report = w.check(json!({"request_backfill": false})).await?;
    assert_eq!(report.backfill_requested, 0);
    assert!(
        w.published()
            .await?
            .iter()
            .all(|(t, _)| t != BACKFILL_REQUESTED)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_box_score_three_days_late_is_reported_and_backfilled_every_morning_and_heals_as_it_arrives()
-> Result<()> {
    let stack = fresh_stack("three-days-late").await?;
    let processor = stack.processor().await?;
    let checker = stack.completeness_checker().await?;
    let writer = stack.prediction_writer().await?;
    let observer = observe_bus(
        &stack,
        &checker.config.event_bus_name,
        json!({"detail-type": [BACKFILL_REQUESTED]}),
    )
    .await?;
    let days = week_2024_25()?;
    let late = late_game(&days)?;
    let withheld = BTreeSet::from([late.game_id.clone()]);
    // The box-score source the backfill asks: it does not have the game yet.
    let source = StandInSource::start(
        days.iter().flat_map(|d| d.box_scores.clone()),
        0,
        Answer::Final,
    )
    .await?;
    source.answer(&late.game_id, Answer::NotFound);
    let backfill = stack.backfill_with(&source.url(), &[]).await?;
    // GIVEN the week up to the late game's night, its box score missing
    stack.ingest_days(&processor, &days[..3], &withheld).await?;

    // WHEN three mornings pass, each with the scheduler's own input, and each day's
    // games are ingested after its check
    for day in &days[3..6] {
        let report = handle_event(&checker.checker, scheduler_input(day.date)).await?;
        // THEN every morning reports the game missing and asks for its backfill
        assert!(
            report.missing_games.contains(&late.game_id),
            "{}: {report:?}",
            day.date
        );
        let backfills: Vec<serde_json::Value> = take_all(&stack.sqs().await, &observer)
            .await?
            .iter()
            .map(|b| serde_json::from_str::<serde_json::Value>(b).map(|e| e["detail"].clone()))
            .collect::<Result<_, _>>()?;
        assert!(
            backfills
                .iter()
                .any(|d| d["game_id"] == late.game_id.as_str()),
            "{}: {backfills:?}",
            day.date
        );
        // AND the backfill asks the source, which does not have it yet
        let (_, fetched) = stack
            .drain_backfill_at(&backfill, six_am_new_york(day.date))
            .await?;
        assert_eq!((fetched.fetched, fetched.published), (1, 0), "{fetched:?}");
        let missed_before = report.game_date > late.game_date;
        assert_eq!(
            report.games_missing_over_a_day > 0,
            missed_before,
            "{report:?}"
        );
        stack
            .ingest_days(&processor, std::slice::from_ref(day), &withheld)
            .await?;
    }
    // AND the teams' entities are locked out on every date they played since
    let waiting: Vec<nba_props::model::TrippedBreaker> = processor
        .breakers
        .tripped_all()
        .await?
        .into_iter()
        .filter(|b| {
            b.state
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains(&late.game_id))
        })
        .collect();
    let dates: BTreeSet<NaiveDate> = waiting.iter().map(|b| b.key.analysis_date).collect();
    assert!(dates.len() >= 2, "breakers on several dates: {dates:?}");
    let last = *dates.last().expect("a date");
    let locked_players: BTreeSet<String> = waiting
        .iter()
        .filter(|b| {
            b.key.processor_name == ProcessorName::PlayerDailyCache && b.key.analysis_date == last
        })
        .map(|b| b.key.entity_id.trim_start_matches("player#").to_string())
        .collect();
    assert!(!locked_players.is_empty(), "{waiting:?}");
    stack.drain_writer(&writer).await?;
    let before = writer.predictions.for_game_date(last).await?;
    assert!(
        before
            .iter()
            .all(|p| !locked_players.contains(&p.player_lookup)),
        "locked-out players have no prediction yet"
    );

    // WHEN the source has the game at last, and the next morning's check asks again
    source.answer(&late.game_id, Answer::Final);
    let morning = days[5].date + Duration::days(1);
    let report = handle_event(&checker.checker, scheduler_input(morning)).await?;
    assert!(report.missing_games.contains(&late.game_id));
    let arrived = std::time::Instant::now();
    let (_, fetched) = stack
        .drain_backfill_at(&backfill, six_am_new_york(morning))
        .await?;
    assert_eq!((fetched.fetched, fetched.published), (1, 1), "{fetched:?}");
    assert_eq!(source.requests(&late.game_id), 4, "one fetch a morning");
    let (stats, tally) = drain_processor(&stack, &processor).await?;
    let healed_in = arrived.elapsed();

    // THEN the processor stored it and reset every breaker that waited for it, in the
    // same drain, and their work ran
    assert_eq!(tally.box_scores_stored, 1, "{tally:?}");
    assert_eq!(tally.breakers_reset as usize, waiting.len(), "{tally:?}");
    assert_eq!(stats.failed, 0, "{tally:?}");
    assert!(tally.work_done >= waiting.len() as u64, "{tally:?}");
    assert_eq!(tally.breakers_tripped, 0, "{tally:?}");
    let left = processor.breakers.tripped_all().await?;
    assert!(left.is_empty(), "still tripped: {left:?}");
    eprintln!(
        "backfill fetch to breakers reset and their work re-run: {:.1} s for {} breakers",
        healed_in.as_secs_f64(),
        waiting.len()
    );

    // AND the locked-out players get their three predictions, once each
    stack.drain_writer(&writer).await?;
    let after = writer.predictions.for_game_date(last).await?;
    for player in &locked_players {
        let n = after.iter().filter(|p| &p.player_lookup == player).count();
        assert_eq!(n, 3, "{player}: one prediction per market");
    }

    // AND the next morning's check finds nothing missing and nothing to reset
    let next_morning = morning + Duration::days(1);
    let report = handle_event(&checker.checker, scheduler_input(next_morning)).await?;
    assert!(!report.missing_games.contains(&late.game_id), "{report:?}");
    assert_eq!(
        (report.circuit_breakers_reset, report.breakers_still_tripped),
        (0, 0)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_morning_check_resets_what_the_arrival_did_not() -> Result<()> {
    // GIVEN a week whose one game has no box score: breakers trip for its teams' players
    let w = Withheld::ingest("cascade").await?;
    let tripped = w.tripped().await?;
    let players: BTreeSet<String> = tripped
        .keys()
        .filter(|k| {
            k.processor_name == ProcessorName::PlayerDailyCache && k.analysis_date == w.late.next
        })
        .map(|k| k.entity_id.trim_start_matches("player#").to_string())
        .collect();
    assert!(
        !players.is_empty(),
        "players' breakers tripped: {tripped:?}"
    );
    let writer = w.stack.prediction_writer().await?;
    w.stack.drain_writer(&writer).await?;
    let predicted = |preds: &[nba_props::model::Prediction], player: &str| {
        preds.iter().filter(|p| p.player_lookup == player).count()
    };
    let before = writer.predictions.for_game_date(w.late.next).await?;
    assert!(!before.is_empty(), "unaffected players were predicted");
    for player in &players {
        assert_eq!(predicted(&before, player), 0, "{player} was locked out");
    }

    // WHEN the late box score is stored but the processor stops before its resets (it
    // is stored straight through the game data port, as that run left it)
    let box_score = w.late.box_score(&w.days).expect("in the data");
    assert_eq!(
        nba_props::ports::GameDataStore::put_box_score(&w.processor.processor.games, box_score)
            .await?,
        nba_props::ports::BoxScoreOutcome::Stored
    );
    assert_eq!(w.tripped().await?.len(), tripped.len(), "nothing reset yet");

    // THEN a dry run reports the resets it would do and writes nothing
    let unchanged = w.items(tripped.keys()).await?;
    let report = w.check(json!({"dry_run": true})).await?;
    assert!(report.dry_run);
    assert!(report.missing_games.is_empty());
    assert_eq!(report.circuit_breakers_reset as usize, tripped.len());
    assert_eq!(w.items(tripped.keys()).await?, unchanged, "dry run wrote");
    assert_eq!(w.processor_queue_waiting().await?, 0, "dry run enqueued");
    assert!(w.published().await?.is_empty(), "dry run published");

    // AND with auto-reset off, nothing changes either (the report says who is ready)
    let report = w
        .check(json!({"auto_reset_circuit_breakers": false}))
        .await?;
    assert_eq!(report.circuit_breakers_reset, 0);
    assert_eq!(report.breakers_ready as usize, tripped.len());
    assert_eq!(
        w.items(tripped.keys()).await?,
        unchanged,
        "auto reset off wrote"
    );
    assert_eq!(
        w.processor_queue_waiting().await?,
        0,
        "auto reset off enqueued"
    );

    // WHEN the check runs for real
    let report = w.check(json!({})).await?;

    // THEN it resets exactly the tripped breakers and enqueues their work
    assert_eq!(report.circuit_breakers_reset as usize, tripped.len());
    assert_eq!(report.breakers_still_tripped, 0);
    assert!(report.work_reenqueued as usize >= tripped.len());
    for (key, item) in w.items(tripped.keys()).await? {
        let item = item.expect("breaker item");
        assert_eq!(
            attr_bool(&item, "circuit_breaker_tripped"),
            Some(false),
            "{key}"
        );
        assert!(!item.contains_key("tripped_date"), "{key} still indexed");
        assert!(!item.contains_key("pending_work"), "{key} still has work");
        assert_eq!(
            item["attempt_count"].as_n().ok().map(String::as_str),
            Some("0"),
            "{key}"
        );
    }
    assert!(w.tripped().await?.is_empty(), "no breaker left tripped");
    assert_eq!(
        w.processor_queue_waiting().await?,
        u64::from(report.work_reenqueued)
    );

    // AND the processors complete the work, and the writer the predictions
    let (stats, tally) = drain_processor(&w.stack, &w.processor).await?;
    assert_eq!(stats.failed, 0, "{tally:?}");
    assert!(tally.work_done >= tripped.len() as u64, "{tally:?}");
    assert_eq!((tally.work_skipped, tally.breakers_tripped), (0, 0));
    let (_, written) = w.stack.drain_writer(&writer).await?;
    assert!(written.created > 0, "{written:?}");
    let after = writer.predictions.for_game_date(w.late.next).await?;
    for player in &players {
        assert_eq!(
            predicted(&after, player),
            3,
            "{player}: one prediction per market, no duplicates"
        );
    }
    let keys: BTreeSet<(&str, &str)> = after
        .iter()
        .map(|p| (p.player_lookup.as_str(), p.prediction_key.as_str()))
        .collect();
    assert_eq!(keys.len(), after.len(), "one item per key");

    // AND the checks read by key, by Query, and by a Scan of the sparse tripped index
    let used: BTreeSet<String> = w.checker.requests.snapshot().into_keys().collect();
    assert_eq!(
        used,
        BTreeSet::from([
            "Query".to_string(),
            "Scan".to_string(),
            "UpdateItem".to_string()
        ]),
        "the checker's DynamoDB requests"
    );

    // AND a second check finds nothing more to do
    let again = w.check(json!({})).await?;
    assert_eq!(
        (again.circuit_breakers_reset, again.work_reenqueued),
        (0, 0)
    );
    assert_eq!(w.processor_queue_waiting().await?, 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_is_conditional_and_an_interrupted_one_is_finished_by_the_next_check() -> Result<()>
{
    use nba_props::config::BreakerSettings;
    use nba_props::model::WorkItem;
    use nba_props::ports::{BreakerStore, ResetOutcome};

    let stack = fresh_stack("reset-races").await?;
    let p = stack.processor().await?;
    let checker = stack.completeness_checker().await?;
    let settings = BreakerSettings {
        lockout_hours: 24,
        max_attempts: 1,
    };
    let date: NaiveDate = "2024-11-08".parse()?;
    let work = |team: &str| WorkItem {
        processor: ProcessorName::TeamDefenseZoneAnalysis,
        entity_id: format!("team#{team}"),
        analysis_date: date,
    };
    // One real schedule stored, no box scores: its teams lack data, the others do not.
    let day = week_2024_25()?
        .into_iter()
        .find(|d| d.date.to_string() == "2024-11-07")
        .expect("2024-11-07 is in the week");
    nba_props::ports::GameDataStore::put_schedule(&p.games, &day.schedule).await?;
    let lacking = day.schedule.games[0].home.clone();
    let idle = ["ATL", "BOS", "BKN", "CHA", "CHI", "CLE", "DAL", "DEN"]
        .into_iter()
        .find(|t| {
            !day.schedule
                .games
                .iter()
                .any(|g| g.home == *t || g.away == *t)
        })
        .expect("a team idle on 2024-11-07")
        .to_string();
    let now = chrono::Utc::now();
    for team in [&lacking, &idle] {
        let w = work(team);
        p.breakers
            .record_failure(&w.breaker_key(), "game missing", &settings, now)
            .await?;
        p.breakers
            .record_skipped(&w.breaker_key(), &w.to_body(), now)
            .await?;
    }
    let read = p.breakers.tripped_on(date).await?;
    assert_eq!(read.len(), 2);
    let find = |team: &str| {
        read.iter()
            .find(|b| b.key == work(team).breaker_key())
            .expect("read")
    };
    let (tripped_again, interrupted) = (find(&lacking), find(&idle));

    // GIVEN the first breaker is reset by one run and trips again before a second run,
    // acting on what it read earlier, resets it
    assert_eq!(
        p.breakers.reset(tripped_again, now).await?,
        ResetOutcome::Reset
    );
    p.breakers.finish_reset(tripped_again).await?;
    p.breakers
        .record_failure(&tripped_again.key, "game still missing", &settings, now)
        .await?;
    // THEN the stale reset changes nothing: the new trip stands
    assert_eq!(
        p.breakers.reset(tripped_again, now).await?,
        ResetOutcome::Changed
    );
    let item = p
        .breakers
        .get_item(&tripped_again.key)
        .await?
        .expect("item");
    assert_eq!(attr_bool(&item, "circuit_breaker_tripped"), Some(true));
    assert!(
        item.contains_key("tripped_date"),
        "still indexed for the next reset"
    );

    // GIVEN the idle team's breaker was cleared by a run that stopped before enqueueing
    // its work
    assert_eq!(
        p.breakers.reset(interrupted, now).await?,
        ResetOutcome::Reset
    );
    // WHEN the next check runs (auto-reset on; the first team's game of 2024-11-07 still
    // has no box score)
    let report = handle_event(&checker.checker, scheduler_input(date)).await?;
    // THEN it enqueues the idle team's recorded work and drops it from the index, and
    // leaves the other tripped
    assert_eq!(report.work_reenqueued, 1, "{report:?}");
    assert_eq!(report.circuit_breakers_reset, 0, "reset by the earlier run");
    assert_eq!(report.breakers_still_tripped, 1, "{report:?}");
    let sqs = stack.sqs().await;
    let sent = take_all(&sqs, &stack.queue_url("ProcessorQueue")?).await?;
    assert_eq!(sent, vec![work(&idle).to_body()]);
    let item = p.breakers.get_item(&interrupted.key).await?.expect("item");
    assert!(!item.contains_key("tripped_date"));
    assert!(!item.contains_key("pending_work"));
    Ok(())
}

/// Sends processor messages and lets the processor drain its queue.
async fn ingest(
    stack: &LocalStack,
    p: &LocalProcessor,
    messages: Vec<ProcessorMessage>,
) -> Result<nba_props::domain::processor::ProcessorTally> {
    let bodies: Vec<String> = messages.iter().map(ProcessorMessage::to_body).collect();
    stack.send("ProcessorQueue", &bodies).await?;
    Ok(drain_processor(stack, p).await?.1)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postponed_game_locks_no_team_and_is_not_reported_missing() -> Result<()> {
    let stack = fresh_stack("postponed").await?;
    let p = stack.processor().await?;
    let checker = stack.completeness_checker().await?;
    let days = week_2024_25()?;
    let game = late_game(&days)?;
    let days = game.days_through_next(&days);
    // GIVEN the week in which one game's schedule says postponed (no box score comes)
    let mut tally = nba_props::domain::processor::ProcessorTally::default();
    for day in days {
        let mut schedule = day.schedule.clone();
        for g in &mut schedule.games {
            if g.game_id == game.game_id {
                g.status = ScheduleStatus::Postponed;
            }
        }
        tally += ingest(&stack, &p, vec![ProcessorMessage::Schedule(schedule)]).await?;
        let box_scores = day
            .box_scores
            .iter()
            .filter(|b| b.game_id != game.game_id)
            .map(|b| ProcessorMessage::BoxScore(b.clone()))
            .collect();
        tally += ingest(&stack, &p, box_scores).await?;
    }

    // THEN no entity failed or was locked out, and its teams' players were computed
    // on the next date they play
    assert_eq!(
        (
            tally.work_failed,
            tally.breakers_tripped,
            tally.failed_records
        ),
        (0, 0, 0),
        "{tally:?}"
    );
    assert!(p.breakers.tripped_all().await?.is_empty());
    let home = &game.teams[0];
    let context = p
        .features
        .get_output(
            &format!("team#{home}"),
            ProcessorName::TeamDefenseZoneAnalysis,
            game.next,
        )
        .await?;
    assert!(
        context.is_some(),
        "{home}'s defence computed on {}",
        game.next
    );

    // AND the morning check expects no box score for it and says it was postponed
    let report = handle_event(&checker.checker, scheduler_input(game.next)).await?;
    assert!(report.missing_games.is_empty(), "{report:?}");
    let date = report
        .dates
        .iter()
        .find(|d| d.game_date == game.game_date)
        .expect("the game's date is checked");
    assert_eq!(date.not_played.len(), 1);
    assert_eq!(date.not_played[0].game_id, game.game_id);
    assert_eq!(date.not_played[0].status, ScheduleStatus::Postponed);
    let day = days.iter().find(|d| d.date == game.game_date).unwrap();
    assert_eq!(date.games_expected as usize, day.schedule.games.len() - 1);
    let summary = report.summary();
    let line = summary
        .lines()
        .find(|l| l.starts_with(&format!("Not played (postponed): {} ", game.game_id)))
        .unwrap_or_else(|| panic!("the postponed game is listed: {summary}"));
    assert!(line.ends_with(&format!("({})", game.game_date)), "{line}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_schedule_replaces_the_date_and_fans_out_only_its_new_games() -> Result<()> {
    let stack = fresh_stack("replace-schedule").await?;
    let p = stack.processor().await?;
    let days = week_2024_25()?;
    stack.ingest_days(&p, &days[..1], &BTreeSet::new()).await?;
    let day = &days[1];
    let games = &day.schedule.games;
    assert!(games.len() >= 3);
    // GIVEN the date stored with its first two games and fanned out
    let first = Schedule {
        game_date: day.date,
        games: games[..2].to_vec(),
    };
    let t = ingest(&stack, &p, vec![ProcessorMessage::Schedule(first)]).await?;
    assert!(t.work_enqueued > 0);
    // WHEN a new schedule of the date lists the second and the rest, not the first
    let second = Schedule {
        game_date: day.date,
        games: games[1..].to_vec(),
    };
    let sqs = stack.sqs().await;
    stack
        .send(
            "ProcessorQueue",
            &[ProcessorMessage::Schedule(second).to_body()],
        )
        .await?;
    // (the schedule message alone, so its fan-out can be read off the queue)
    let source = stack.sqs_event_source("processor").await?;
    source
        .drain(1, |event| {
            let handler = &p.processor;
            async move {
                let (response, _) = nba_props::handlers::processor::handle_batch(
                    handler,
                    event,
                    chrono::Utc::now(),
                )
                .await;
                response
            }
        })
        .await?;
    let sent = take_all(&sqs, &stack.queue_url("ProcessorQueue")?).await?;

    // THEN the date holds exactly the new list
    let stored = GameDataStore::schedule_on(&p.processor.games, day.date).await?;
    let ids: BTreeSet<String> = stored.games.iter().map(|g| g.game_id.clone()).collect();
    let expected: BTreeSet<String> = games[1..].iter().map(|g| g.game_id.clone()).collect();
    assert_eq!(ids, expected);
    // AND the dropped game's teams have no game that date any more
    for team in [&games[0].home, &games[0].away] {
        assert!(
            GameDataStore::team_game_on(&p.processor.games, team, day.date)
                .await?
                .is_none(),
            "{team}"
        );
    }
    // AND only the added games' teams got work: not the kept game's, not the dropped one's
    let teams_with_work: BTreeSet<String> = sent
        .iter()
        .filter_map(|b| match ProcessorMessage::parse(b) {
            Ok(ProcessorMessage::Work(w)) if w.entity_id.starts_with("team#") => {
                Some(w.entity_id.trim_start_matches("team#").to_string())
            }
            _ => None,
        })
        .collect();
    let added: BTreeSet<String> = games[2..]
        .iter()
        .flat_map(|g| [g.home.clone(), g.away.clone()])
        .collect();
    assert_eq!(teams_with_work, added);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_player_whose_team_does_not_play_is_skipped_and_a_date_without_schedule_is_reported()
-> Result<()> {
    let stack = fresh_stack("no-game").await?;
    let p = stack.processor().await?;
    let checker = stack.completeness_checker().await?;
    let days = week_2024_25()?;
    // GIVEN 2024-11-04 ingested, 2024-11-05 stored as an off day (an empty schedule)
    // and 2024-11-06's schedule never stored
    stack.ingest_days(&p, &days[..1], &BTreeSet::new()).await?;
    let off_day = days[0].date + Duration::days(1);
    assert!(days[1].date > off_day, "no games on {off_day}");
    ingest(
        &stack,
        &p,
        vec![ProcessorMessage::Schedule(Schedule {
            game_date: off_day,
            games: vec![],
        })],
    )
    .await?;

    // WHEN a player of a team idle on the off day (as a player traded to an idle team
    // is) has his composite factors asked for that date
    let player = days[0].box_scores[0].players[0].name.clone();
    let lookup = nba_props::model::player_lookup(&player);
    let work = WorkItem {
        processor: ProcessorName::PlayerCompositeFactors,
        entity_id: format!("player#{lookup}"),
        analysis_date: off_day,
    };
    let tally = ingest(&stack, &p, vec![ProcessorMessage::Work(work.clone())]).await?;
    // THEN it is skipped, not failed: no breaker counts it, nothing is asked of the writer
    assert_eq!(tally.work_no_game, 1, "{tally:?}");
    assert_eq!(
        (
            tally.work_failed,
            tally.failed_records,
            tally.predictions_requested
        ),
        (0, 0, 0)
    );
    assert!(p.breakers.get_item(&work.breaker_key()).await?.is_none());

    // AND the morning check tells the off day from the date whose schedule is missing
    let morning = days[1].date + Duration::days(1);
    let report = handle_event(&checker.checker, scheduler_input(morning)).await?;
    assert!(
        report.dates_without_schedule.contains(&days[1].date),
        "{report:?}"
    );
    assert!(!report.dates_without_schedule.contains(&off_day));
    assert!(!report.dates_without_schedule.contains(&days[0].date));
    assert!(
        report.summary().contains("No schedule stored for: "),
        "{}",
        report.summary()
    );
    assert!(report.summary().contains(&days[1].date.to_string()));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_morning_report_reaches_the_topic_subscriber_as_its_summary_text() -> Result<()> {
    // GIVEN a week with one box score held back, the day's predictions written, and a
    // queue subscribed to the report topic (as an email address would be)
    let w = Withheld::ingest("report-delivered").await?;
    let writer = w.stack.prediction_writer().await?;
    w.stack.drain_writer(&writer).await?;
    let subscriber = w.stack.subscribe_queue("CompletenessReportTopic").await?;

    // WHEN the morning check runs on the scheduler's input, and the report rule's
    // delivery to the topic happens (the hop moto cannot make, see `topic_relay`)
    let report = handle_event(&w.checker.checker, w.late.morning_check_input()).await?;
    assert_eq!(w.stack.relay_to_topics().await?, 1, "one report event");

    // THEN the subscriber receives one message: the summary text itself, not JSON
    let delivered = w.stack.delivered(&subscriber).await?;
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let text = &delivered[0];
    assert_eq!(text, &report.summary());
    assert!(serde_json::from_str::<serde_json::Value>(text).is_err());

    // AND it lists the missing game under its date
    let date = report
        .dates
        .iter()
        .find(|d| d.game_date == w.late.game_date)
        .expect("the late game's date is checked");
    let missing = &date.missing_games[0];
    let section = format!(
        "Missing box scores by date:\n  {}: 1 of {} game(s)\n    {} {} @ {}\n",
        w.late.game_date, date.games_expected, w.late.game_id, missing.away, missing.home
    );
    assert!(text.contains(&section), "{text}");

    // AND yesterday's predictions with and without a line, as the table holds them
    let stored = writer.predictions.for_game_date(report.game_date).await?;
    assert!(!stored.is_empty(), "predictions for {}", report.game_date);
    assert!(
        text.contains(&format!(
            "Predictions for {}: {} (with a sportsbook line / without):",
            report.game_date,
            stored.len()
        )),
        "{text}"
    );
    for market in nba_props::model::Market::ALL {
        let of: Vec<_> = stored.iter().filter(|p| p.market == market).collect();
        let with = of
            .iter()
            .filter(|p| p.line_source == nba_props::model::LineSource::ActualProp)
            .count();
        assert!(
            text.contains(&format!("\n  {market}: {with} / {}", of.len() - with)),
            "{market}: {text}"
        );
    }
    // AND the breakers still waiting, by processor with the oldest
    assert!(report.breakers_still_tripped > 0);
    for p in &report.still_tripped_by_processor {
        assert!(
            text.contains(&format!(
                "{}: {} tripped, oldest {}",
                p.processor, p.tripped, p.oldest
            )),
            "{text}"
        );
    }
    Ok(())
}
