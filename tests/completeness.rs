//! The completeness checker against DynamoDB Local and moto, on a real week of 2024-25
//! games with one game's box score held back: the cascade it exists to heal.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Result;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, NaiveDate};
use nba_props::domain::completeness::{
    BACKFILL_REQUESTED, COMPLETENESS_REPORT, CompletenessReport,
};
use nba_props::domain::processor_message::ProcessorMessage;
use nba_props::handlers::completeness_checker::handle_event;
use nba_props::model::{BreakerKey, ProcessorName};
use nba_props::ports::BreakerResets;
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

    fn box_score(&self) -> String {
        let b = self
            .late
            .box_score(&self.days)
            .expect("the withheld box score is in the data");
        ProcessorMessage::BoxScore(b.clone()).to_body()
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
    let expected: u32 = w
        .days
        .iter()
        .filter(|d| d.date >= w.late.game_date && d.date < w.late.next)
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
async fn the_late_box_score_heals_the_cascade_end_to_end() -> Result<()> {
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

    // WHEN the late box score arrives
    w.stack.send("ProcessorQueue", &[w.box_score()]).await?;
    let (_, tally) = drain_processor(&w.stack, &w.processor).await?;
    assert_eq!(tally.box_scores_stored, 1);

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

    // AND every check read through keys and the index only, never a Scan
    let used: BTreeSet<String> = w.checker.requests.snapshot().into_keys().collect();
    assert_eq!(
        used,
        BTreeSet::from(["Query".to_string(), "UpdateItem".to_string()]),
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
    let report = handle_event(&checker.checker, json!({"game_date": "2024-11-07"})).await?;
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
