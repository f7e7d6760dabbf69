//! The processor against DynamoDB Local and moto, on a real week of 2024-25 games.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{Duration, NaiveDate, Utc};
use nba_props::adapters::dynamodb::breakers::TRIPPED_BY_DATE_INDEX;
use nba_props::domain::breaker::BREAKER_TRIPPED;
use nba_props::domain::processor_message::ProcessorMessage;
use nba_props::handlers::processor::handle_batch;
use nba_props::model::WorkItem;
use nba_props::model::{BreakerKey, ProcessorName};
use nba_props::ports::BreakerStore;
use nba_props::ports::FeatureSource;
use nba_props_cli::dataset::late_game;
use nba_props_cli::dataset::{week_2024_25, week_2024_25_lines, week_2024_25_teams};
use nba_props_cli::event_source::{queue_depth, take_all};
use nba_props_cli::nba_data::PlayerGameLine;
use nba_props_tests::{drain_processor, fresh_stack, observe_bus};

fn player_lines_before<'a>(
    lines: &'a [PlayerGameLine],
    lookup: &str,
    before: NaiveDate,
) -> Vec<&'a PlayerGameLine> {
    let mut games: Vec<&PlayerGameLine> = lines
        .iter()
        .filter(|l| l.player_lookup() == lookup && l.date < before)
        .collect();
    games.sort_by_key(|l| std::cmp::Reverse(l.date));
    games.truncate(10);
    games
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_week_yields_the_features_computed_independently_from_the_csv() -> Result<()> {
    let stack = fresh_stack("week").await?;
    let p = stack.processor().await?;
    let days = week_2024_25()?;
    stack.ingest_days(&p, &days, &BTreeSet::new()).await?;

    let last = days.last().expect("a week").date;
    let lines = week_2024_25_lines()?;
    // THEN several named players' recent form matches the CSV
    let playing_last_day: BTreeSet<String> = lines
        .iter()
        .filter(|l| l.date == last)
        .map(|l| l.player_lookup())
        .collect();
    let mut checked = 0;
    for lookup in playing_last_day
        .iter()
        .filter(|l| player_lines_before(&lines, l, last).len() >= 3)
        .take(6)
    {
        let expected = player_lines_before(&lines, lookup, last);
        let n = expected.len() as f64;
        let points = expected.iter().map(|l| f64::from(l.pts)).sum::<f64>() / n;
        let minutes = expected.iter().map(|l| l.minutes).sum::<f64>() / n;
        let stored = p
            .features
            .get_output(
                &format!("player#{lookup}"),
                ProcessorName::PlayerDailyCache,
                last,
            )
            .await?
            .unwrap_or_else(|| panic!("no daily cache for {lookup} on {last}"));
        assert_eq!(stored["games_used"], expected.len() as u64, "{lookup}");
        assert!(
            (stored["points_avg"].as_f64().unwrap() - points).abs() < 0.006,
            "{lookup}: {stored} vs {points}"
        );
        assert!(
            (stored["minutes_avg"].as_f64().unwrap() - minutes).abs() < 0.006,
            "{lookup}"
        );
        let composite = p
            .features
            .get_output(
                &format!("player#{lookup}"),
                ProcessorName::PlayerCompositeFactors,
                last,
            )
            .await?
            .expect("composite factors");
        assert_eq!(composite["points_avg"], stored["points_avg"]);
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} players checked");

    // AND several teams' points allowed match the team logs
    let teams = week_2024_25_teams()?;
    let mut by_game: BTreeMap<&str, Vec<&nba_props_cli::nba_data::TeamGameRow>> = BTreeMap::new();
    for row in &teams {
        by_game.entry(row.game_id.as_str()).or_default().push(row);
    }
    let playing: BTreeSet<&str> = teams
        .iter()
        .filter(|r| r.game_date == last)
        .map(|r| r.team_abbreviation.as_str())
        .collect();
    for team in playing.iter().take(6) {
        let allowed: Vec<f64> = teams
            .iter()
            .filter(|r| r.team_abbreviation == *team && r.game_date < last)
            .map(|r| {
                let opp = by_game[r.game_id.as_str()]
                    .iter()
                    .find(|o| o.team_abbreviation != *team)
                    .expect("opponent row");
                f64::from(opp.pts)
            })
            .collect();
        let stored = p
            .features
            .get_output(
                &format!("team#{team}"),
                ProcessorName::TeamDefenseZoneAnalysis,
                last,
            )
            .await?
            .expect("team defence");
        assert_eq!(stored["games_used"], allowed.len() as u64, "{team}");
        let expected = allowed.iter().sum::<f64>() / allowed.len() as f64;
        assert!(
            (stored["points_allowed_avg"].as_f64().unwrap() - expected).abs() < 0.006,
            "{team}: {stored}"
        );
        let context = p
            .features
            .get_output(
                &format!("team#{team}"),
                ProcessorName::UpcomingTeamGameContext,
                last,
            )
            .await?
            .expect("context");
        let today = teams
            .iter()
            .find(|r| r.team_abbreviation == *team && r.game_date == last)
            .expect("plays");
        assert_eq!(context["home"], today.matchup.contains("vs."));
    }

    // AND 2024-25 has no shot locations: reported, not failed
    let lookup = playing_last_day.iter().next().expect("players");
    let zones = p
        .features
        .get_output(
            &format!("player#{lookup}"),
            ProcessorName::PlayerShotZoneAnalysis,
            last,
        )
        .await?
        .expect("shot zones");
    assert_eq!(zones["shot_data"], false);

    // AND nothing tripped, nothing dead-lettered, prediction requests went out
    let sqs = stack.sqs().await;
    assert_eq!(
        queue_depth(&sqs, &stack.queue_url("ProcessorDeadLetterQueue")?).await?,
        0
    );
    assert!(queue_depth(&sqs, &stack.queue_url("PredictionQueue")?).await? > 100);
    Ok(())
}

async fn withheld_scenario(lockout_hours: Option<&str>) -> Result<()> {
    let stack = fresh_stack("withheld").await?;
    let overrides: Vec<(&str, &str)> = lockout_hours
        .map(|h| vec![("CIRCUIT_BREAKER_ENTITY_LOCKOUT_HOURS", h)])
        .unwrap_or_default();
    let p = stack.processor_with(&overrides).await?;
    let days = week_2024_25()?;
    let late = late_game(&days)?;
    let (game, teams, next) = (late.game_id, late.teams, late.next);
    // Through the first date after the withheld game on which its home team plays, and
    // the day after (to check an unaffected team there).
    let through = days
        .iter()
        .position(|d| d.date == next)
        .expect("next is in the week")
        + 1;
    let days = &days[..=through.min(days.len() - 1)];
    let started = Utc::now();
    stack
        .ingest_days(&p, days, &BTreeSet::from([game.clone()]))
        .await?;
    let finished = Utc::now();

    // THEN the affected teams' next analysis date has tripped breakers, with the
    // configured lockout
    let hours = i64::from(p.config.breaker.lockout_hours);
    assert_eq!(hours, lockout_hours.map_or(24, |h| h.parse().unwrap()));
    let team_key = BreakerKey {
        processor_name: ProcessorName::TeamDefenseZoneAnalysis,
        entity_id: format!("team#{}", teams[0]),
        analysis_date: next,
    };
    let lines = week_2024_25_lines()?;
    let player = lines
        .iter()
        .find(|l| l.team() == teams[0] && l.date < days[2].date)
        .expect("a player of the team")
        .player_lookup();
    let player_key = BreakerKey {
        processor_name: ProcessorName::PlayerDailyCache,
        entity_id: format!("player#{player}"),
        analysis_date: next,
    };
    for key in [&team_key, &player_key] {
        let item = p
            .breakers
            .get_item(key)
            .await?
            .unwrap_or_else(|| panic!("no breaker for {key}"));
        assert_eq!(
            item["circuit_breaker_tripped"].as_bool().ok(),
            Some(&true),
            "{key}"
        );
        assert_eq!(
            item["attempt_count"].as_n().ok().map(String::as_str),
            Some("3"),
            "{key}: trips after the configured attempts"
        );
        let until: chrono::DateTime<Utc> = item["circuit_breaker_until"].as_s().unwrap().parse()?;
        assert!(
            until >= started + Duration::hours(hours) - Duration::minutes(1),
            "{key}: {until}"
        );
        assert!(
            until <= finished + Duration::hours(hours) + Duration::minutes(1),
            "{key}: {until}"
        );
        let ttl: i64 = item["expires_at"].as_n().unwrap().parse()?;
        assert!(
            ttl > until.timestamp(),
            "TTL collects the item after the lockout, not before"
        );
        assert!(
            item["last_error"].as_s().unwrap().contains(&game),
            "{key}: names the missing game"
        );
        assert!(
            item.contains_key("pending_work"),
            "{key}: the tripping work is recorded for the reset"
        );
    }
    // AND the tripped breakers are findable by date without a Scan
    let ddb = aws_sdk_dynamodb::Client::new(&stack.endpoints.dynamodb_config().await);
    let tripped = ddb
        .query()
        .table_name(&p.config.breakers_table)
        .index_name(TRIPPED_BY_DATE_INDEX)
        .key_condition_expression("tripped_date = :d")
        .expression_attribute_values(
            ":d",
            aws_sdk_dynamodb::types::AttributeValue::S(next.to_string()),
        )
        .send()
        .await?;
    assert!(tripped.count >= 2);

    // WHEN the same work is delivered again, THEN it is skipped and recorded, not run
    let before = p.breakers.get_item(&player_key).await?.expect("breaker");
    let work = WorkItem::for_breaker(&player_key);
    stack.send("ProcessorQueue", &[work.to_body()]).await?;
    let (stats, tally) = drain_processor(&stack, &p).await?;
    assert_eq!(
        (
            stats.delivered,
            tally.work_skipped,
            tally.work_done,
            stats.failed
        ),
        (1, 1, 0, 0)
    );
    let after = p.breakers.get_item(&player_key).await?.expect("breaker");
    let skipped =
        |i: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>| {
            i.get("skipped_count")
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0)
        };
    assert_eq!(skipped(&after), skipped(&before) + 1);
    assert_eq!(
        after["attempt_count"], before["attempt_count"],
        "a skipped delivery is not a failure"
    );

    // AND unaffected entities proceeded: a team that did not play the withheld game
    let last = days.last().expect("days");
    let unaffected = last
        .schedule
        .games
        .iter()
        .flat_map(|g| [&g.home, &g.away])
        .find(|t| !teams.contains(t))
        .expect("another team");
    let defence = p
        .features
        .get_output(
            &format!("team#{unaffected}"),
            ProcessorName::TeamDefenseZoneAnalysis,
            last.date,
        )
        .await?;
    assert!(
        defence.is_some(),
        "{unaffected} was held up by someone else's missing game"
    );
    let dlq = queue_depth(
        &stack.sqs().await,
        &stack.queue_url("ProcessorDeadLetterQueue")?,
    )
    .await?;
    assert_eq!(
        dlq, 0,
        "work of a tripped entity is recorded, not dead-lettered"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_withheld_box_score_trips_the_affected_breakers_for_the_default_lockout() -> Result<()> {
    withheld_scenario(None).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lockout_comes_from_configuration() -> Result<()> {
    withheld_scenario(Some("2")).await
}

fn event(bodies: &[String]) -> SqsEvent {
    let mut e = SqsEvent::default();
    e.records = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let mut m = SqsMessage::default();
            m.message_id = Some(format!("m{i}"));
            m.body = Some(b.clone());
            m
        })
        .collect();
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_breaker_that_still_exists_reads_closed() -> Result<()> {
    let stack = fresh_stack("expired").await?;
    let p = stack.processor().await?;
    let days = week_2024_25()?;
    stack.ingest_days(&p, &days[..2], &BTreeSet::new()).await?;
    let team = &days[1].schedule.games[0].home;
    let key = BreakerKey {
        processor_name: ProcessorName::UpcomingTeamGameContext,
        entity_id: format!("team#{team}"),
        analysis_date: days[1].date,
    };
    // GIVEN a breaker that tripped 25 hours ago (lockout 24 h): still stored, TTL not run
    let long_ago = Utc::now() - Duration::hours(25);
    for _ in 0..3 {
        p.breakers
            .record_failure(&key, "test failure", &p.config.breaker, long_ago)
            .await?;
    }
    let item = p
        .breakers
        .get_item(&key)
        .await?
        .expect("the item is still there");
    assert_eq!(item["circuit_breaker_tripped"].as_bool().ok(), Some(&true));
    // WHEN its work arrives
    let work = WorkItem {
        processor: key.processor_name,
        entity_id: key.entity_id.clone(),
        analysis_date: key.analysis_date,
    };
    let (response, tally) = handle_batch(&p.processor, event(&[work.to_body()]), Utc::now()).await;
    // THEN it is processed, and success clears the count
    assert!(response?.batch_item_failures.is_empty());
    assert_eq!((tally.work_done, tally.work_skipped), (1, 0));
    let state = p.breakers.get_many(std::slice::from_ref(&key)).await?;
    assert_eq!(state[&key].attempt_count, 0);
    assert!(!state[&key].is_open(Utc::now()));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_concurrent_failures_count_ten_and_trip_once() -> Result<()> {
    let stack = fresh_stack("ten").await?;
    let p = stack.processor().await?;
    // an observer of the bus: every breaker event goes to a queue of the test's
    let sqs = stack.sqs().await;
    let observer = observe_bus(
        &stack,
        &p.config.event_bus_name,
        serde_json::json!({"detail-type": [BREAKER_TRIPPED]}),
    )
    .await?;

    // GIVEN a date whose previous day's games have no box score
    let days = week_2024_25()?;
    stack
        .ingest_days(
            &p,
            &days[..1],
            &days[0]
                .box_scores
                .iter()
                .map(|b| b.game_id.clone())
                .collect(),
        )
        .await?;
    let team = &days[0].schedule.games[0].home;
    let work = WorkItem {
        processor: ProcessorName::TeamDefenseZoneAnalysis,
        entity_id: format!("team#{team}"),
        analysis_date: days[1].date,
    };
    // WHEN ten deliveries of its work fail at once
    let bodies = vec![work.to_body(); 10];
    let reads_before = p.requests.get("BatchGetItem");
    // (The fan-out above read its date's mark with a GetItem: count from here.)
    let gets_before = p.requests.get("GetItem");
    let (_, tally) = handle_batch(&p.processor, event(&bodies), Utc::now()).await;
    assert_eq!(
        p.requests.get("BatchGetItem") - reads_before,
        1,
        "one breaker read for the whole batch"
    );
    assert_eq!(
        p.requests.get("GetItem") - gets_before,
        0,
        "no per-record breaker read"
    );

    // THEN all ten are counted, the breaker trips once, one event is published
    let item = p
        .breakers
        .get_item(&work.breaker_key())
        .await?
        .expect("breaker");
    assert_eq!(
        item["attempt_count"].as_n().ok().map(String::as_str),
        Some("10")
    );
    assert_eq!(
        item["trip_count"].as_n().ok().map(String::as_str),
        Some("1")
    );
    assert_eq!(tally.breakers_tripped, 1);
    let received: Vec<serde_json::Value> = take_all(&sqs, &observer)
        .await?
        .iter()
        .map(|b| serde_json::from_str(b))
        .collect::<Result<_, _>>()?;
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0]["detail"]["entity_id"], work.entity_id);
    // Racing failures that all reached the limit try to trip; the first to land wins,
    // so the event reports a count at or past the limit.
    let at_trip = received[0]["detail"]["attempt_count"]
        .as_u64()
        .expect("attempt_count");
    assert!(
        (u64::from(p.config.breaker.max_attempts)..=10).contains(&at_trip),
        "{at_trip}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_ingest_messages_fail_alone_and_reach_the_dead_letter_queue() -> Result<()> {
    let stack = fresh_stack("ingest-dlq").await?;
    let p = stack.processor().await?;
    let days = week_2024_25()?;
    let day = &days[0];
    stack.schedule_day(&p, day).await?;

    let valid: Vec<String> = day
        .box_scores
        .iter()
        .map(|b| ProcessorMessage::BoxScore(b.clone()).to_body())
        .collect();
    // Home and away swapped against the schedule (players dropped: they would name
    // teams the swapped box score still has, so only the schedule check can refuse it).
    let mut wrong_teams = day.box_scores[0].clone();
    std::mem::swap(&mut wrong_teams.home, &mut wrong_teams.away);
    wrong_teams.players.clear();
    let mut negative = serde_json::to_value(ProcessorMessage::BoxScore(day.box_scores[1].clone()))?;
    negative["players"][0]["reb"] = (-2).into();
    let mut unscheduled = day.box_scores[2].clone();
    unscheduled.game_id = "0022499999".into();
    let malformed = vec![
        "{\"kind\":\"box_score\",".to_string(),
        negative.to_string(),
        ProcessorMessage::BoxScore(wrong_teams).to_body(),
        ProcessorMessage::BoxScore(unscheduled).to_body(),
        r#"{"kind":"work","processor":"player_daily_cache","entity_id":"team#BOS","analysis_date":"2024-11-05"}"#.to_string(),
    ];
    let mut bodies = valid.clone();
    bodies.extend(malformed.iter().cloned());
    stack.send("ProcessorQueue", &bodies).await?;
    let (_, tally) = drain_processor(&stack, &p).await?;

    // THEN every valid box score was stored once and every bad message is dead-lettered
    assert_eq!(tally.box_scores_stored, valid.len() as u64);
    let games = nba_props::ports::GameDataStore::schedule_on(&p.games, day.date)
        .await?
        .games;
    assert!(games.iter().all(|g| g.complete), "{games:?}");
    let sqs = stack.sqs().await;
    let dlq = stack.queue_url("ProcessorDeadLetterQueue")?;
    let dead: BTreeSet<String> = take_all(&sqs, &dlq).await?.into_iter().collect();
    assert_eq!(dead, malformed.into_iter().collect::<BTreeSet<_>>());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn box_scores_arrive_through_the_bus_and_reingestion_is_idempotent() -> Result<()> {
    let stack = fresh_stack("bus").await?;
    let p = stack.processor().await?;
    let days = week_2024_25()?;
    let day = &days[0];
    stack.schedule_day(&p, day).await?;

    // WHEN a box score is published on the bus, three times, then an older and a newer
    // correction
    let original = day.box_scores[0].clone();
    let mut older = original.clone();
    older.updated_at -= Duration::hours(1);
    older.players[0].reb += 1;
    let mut newer = original.clone();
    newer.updated_at += Duration::hours(1);
    newer.players[0].ast += 1;
    for b in [&original, &original, &original, &older, &newer] {
        stack.publish_box_score(b).await?;
        drain_processor(&stack, &p).await?;
    }
    // THEN the rule routed them to the processor; only the first and the newer were stored
    let player = nba_props::model::player_lookup(&original.players[0].name);
    let stored = nba_props::ports::GameDataStore::player_games_before(
        &p.games,
        &player,
        day.date + Duration::days(1),
        10,
    )
    .await?;
    assert_eq!(stored.len(), 1, "one row per player and game");
    assert_eq!(stored[0].line.ast, newer.players[0].ast);
    assert_eq!(
        stored[0].line.reb, original.players[0].reb,
        "the older correction was ignored"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn shot_zones_are_computed_from_the_2023_24_shot_file() -> Result<()> {
    let days = nba_props_cli::dataset::days_2023_24()?;
    // The converter's charts add up to the team logs' field-goal attempts (the data's
    // README: 2,457 of 2,460 team-games agree).
    let teams = nba_props_cli::nba_data::read_team_rows(std::fs::File::open(
        nba_props_cli::dataset::shots_fixtures_dir().join("team_game_logs.csv"),
    )?)?;
    let charts: Vec<_> = days.iter().flat_map(|(_, c)| c.iter()).collect();
    let agree = teams
        .iter()
        .filter(|t| {
            let fga: u32 = charts
                .iter()
                .filter(|c| c.game_id == t.game_id)
                .flat_map(|c| c.players.iter().filter(|p| p.team == t.team_abbreviation))
                .flat_map(|p| p.zones.values().map(|z| z.fga))
                .sum();
            fga == t.fga
        })
        .count();
    assert!(
        agree * 100 >= teams.len() * 95,
        "{agree} of {} team-games agree",
        teams.len()
    );

    let stack = fresh_stack("shots").await?;
    let p = stack.processor().await?;
    let mut failed = 0;
    for (day, charts) in &days {
        failed += stack.schedule_day(&p, day).await?.work_failed;
        let mut bodies: Vec<String> = day
            .box_scores
            .iter()
            .map(|b| ProcessorMessage::BoxScore(b.clone()).to_body())
            .collect();
        bodies.extend(
            charts
                .iter()
                .map(|c| ProcessorMessage::ShotChart(c.clone()).to_body()),
        );
        stack.send("ProcessorQueue", &bodies).await?;
        failed += drain_processor(&stack, &p).await?.1.work_failed;
    }
    // Players known from shot charts only get shot-zone work: nothing fails for them.
    assert_eq!(failed, 0);

    let (last, _) = days.last().expect("days");
    let mut checked = 0;
    let players: BTreeSet<(String, String)> = charts
        .iter()
        .filter(|c| c.game_date < last.date)
        .flat_map(|c| {
            c.players
                .iter()
                .map(|pl| (nba_props::model::player_lookup(&pl.name), pl.team.clone()))
        })
        .collect();
    let playing: BTreeSet<&str> = last
        .schedule
        .games
        .iter()
        .flat_map(|g| [g.home.as_str(), g.away.as_str()])
        .collect();
    for (lookup, _) in players
        .iter()
        .filter(|(_, team)| playing.contains(team.as_str()))
        .take(5)
    {
        let mut expected: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for c in charts.iter().filter(|c| c.game_date < last.date) {
            for pl in c
                .players
                .iter()
                .filter(|pl| nba_props::model::player_lookup(&pl.name) == *lookup)
            {
                for (zone, z) in &pl.zones {
                    let e = expected.entry(zone.clone()).or_default();
                    e.0 += u64::from(z.fga);
                    e.1 += u64::from(z.fgm);
                }
            }
        }
        let stored = p
            .features
            .get_output(
                &format!("player#{lookup}"),
                ProcessorName::PlayerShotZoneAnalysis,
                last.date,
            )
            .await?
            .unwrap_or_else(|| panic!("no shot zones for {lookup}"));
        assert_eq!(stored["shot_data"], true, "{lookup}");
        for (zone, (fga, fgm)) in &expected {
            assert_eq!(stored["zones"][zone]["fga"], *fga, "{lookup} {zone}");
            assert_eq!(stored["zones"][zone]["fgm"], *fgm, "{lookup} {zone}");
        }
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} players checked");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn two_box_score_versions_racing_never_mix() -> Result<()> {
    let stack = fresh_stack("versions").await?;
    let p = stack.processor().await?;
    let days = week_2024_25()?;
    let day = &days[0];
    nba_props::ports::GameDataStore::put_schedule(&p.games, &day.schedule).await?;
    for older in &day.box_scores {
        // GIVEN two versions of a game's box score: the newer one an hour later, with
        // every player's minutes corrected
        let mut newer = older.clone();
        newer.updated_at = older.updated_at + Duration::hours(1);
        for line in &mut newer.players {
            line.minutes = (line.minutes + 1.0).min(70.0);
        }
        // WHEN both are stored at the same time
        let (a, b) = tokio::join!(
            nba_props::ports::GameDataStore::put_box_score(&p.games, older),
            nba_props::ports::GameDataStore::put_box_score(&p.games, &newer)
        );
        a?;
        b?;
        // THEN the newer version is stored whole: every line is its line
        for line in &newer.players {
            let lookup = nba_props::model::player_lookup(&line.name);
            let stored = nba_props::ports::GameDataStore::player_games_before(
                &p.games,
                &lookup,
                day.date + Duration::days(1),
                1,
            )
            .await?;
            assert_eq!(
                stored[0].line.minutes, line.minutes,
                "{} in {}: the older version's line is stored",
                line.name, newer.game_id
            );
        }
    }
    Ok(())
}
