//! Prop lines through the production path, on real games and real sportsbook rows:
//! the processor ingests a slate's `prop_lines` messages, the writer puts each line
//! beside its prediction, and a moved line re-prices exactly once.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use chrono::NaiveDate;
use nba_props::domain::processor_message::ProcessorMessage;
use nba_props::model::{LineSource, Market, Prediction, PropLineSnapshot, player_lookup};
use nba_props::ports::FeatureSource;
use nba_props_cli::dataset::Dataset;
use nba_props_cli::event_source::take_all;
use nba_props_cli::local_functions::LocalProcessor;
use nba_props_cli::nba_data::GameDay;
use nba_props_cli::provision::LocalStack;
use nba_props_tests::fresh_stack;

const SLATE: &str = "2025-11-05";

fn slate() -> NaiveDate {
    SLATE.parse().expect("valid date")
}

/// The fixture days before the slate (their schedules and box scores) and the slate's
/// day and prop-lines snapshots.
fn fixture_slate() -> Result<(Vec<GameDay>, GameDay, Vec<PropLineSnapshot>)> {
    let data = Dataset::fixtures()?;
    let days = data.days()?;
    let (snapshots, _) = data.snapshots(&days);
    let before: Vec<GameDay> = days.iter().filter(|d| d.date < slate()).cloned().collect();
    let day = days
        .iter()
        .find(|d| d.date == slate())
        .cloned()
        .expect("the slate is in the fixtures");
    Ok((before, day, snapshots[&slate()].clone()))
}

/// Ingests the last `history` days before the slate with their box scores, then the
/// slate's schedule (fan-out, features, composites), as the deployed pipeline would.
async fn slate_with_features(
    stack: &LocalStack,
    p: &LocalProcessor,
    history: usize,
) -> Result<GameDay> {
    let (before, day, _) = fixture_slate()?;
    let recent = &before[before.len() - history..];
    let mut bodies = Vec::new();
    for d in recent {
        bodies.push(ProcessorMessage::Schedule(d.schedule.clone()).to_body());
    }
    stack.drain_after(p, &bodies).await?;
    let boxes: Vec<String> = recent
        .iter()
        .flat_map(|d| &d.box_scores)
        .map(|b| ProcessorMessage::BoxScore(b.clone()).to_body())
        .collect();
    stack.drain_after(p, &boxes).await?;
    stack
        .drain_after(
            p,
            &[ProcessorMessage::Schedule(day.schedule.clone()).to_body()],
        )
        .await?;
    Ok(day)
}

/// The committed alias file, read by the test itself: (sportsbook fold, player).
fn aliases() -> Vec<(String, String)> {
    std::fs::read_to_string(
        nba_props_cli::local_aws::repo_root().join("shared/src/domain/player_aliases.csv"),
    )
    .expect("alias file")
    .lines()
    .filter(|l| !l.starts_with('#'))
    .filter_map(|l| l.split_once(','))
    .map(|(from, to)| (from.to_string(), to.to_string()))
    .collect()
}

/// The test's own reading of the sportsbook names: the fold, the fold without a
/// generational suffix on either side, or the alias file.
fn matches(book_name: &str, player: &str, aliases: &[(String, String)]) -> bool {
    let strip = |s: &str| {
        ["iii", "jr", "sr", "ii", "iv"]
            .iter()
            .find_map(|x| s.strip_suffix(x).filter(|r| r.len() >= 4))
            .map(str::to_string)
            .unwrap_or_else(|| s.to_string())
    };
    let fold = player_lookup(book_name);
    let aliased = aliases
        .iter()
        .any(|(from, to)| *from == fold && to == player);
    fold == player || strip(&fold) == strip(player) || aliased
}

#[tokio::test(flavor = "multi_thread")]
async fn every_player_with_a_line_and_features_gets_a_prediction_carrying_that_line() -> Result<()>
{
    let stack = fresh_stack("lines-slate").await?;
    let p = stack.processor().await?;
    let writer = stack.prediction_writer().await?;
    // GIVEN three days of real games, then the slate's schedule and its composites
    let day = slate_with_features(&stack, &p, 3).await?;
    let (_, _, snapshots) = fixture_slate()?;

    // WHEN the slate's real sportsbook rows arrive, one message per game, and the
    // writer drains its queue
    let bodies: Vec<String> = snapshots
        .iter()
        .map(|s| ProcessorMessage::PropLines(s.clone()).to_body())
        .collect();
    let (stats, tally) = stack.drain_after(&p, &bodies).await?;
    assert_eq!(stats.failed, 0);
    assert_eq!(tally.prop_snapshots, snapshots.len() as u64);
    stack.drain_writer(&writer).await?;

    // THEN the (player, market) keys with a line are exactly those the test finds on
    // its own: a sportsbook row whose name is a player of the game's teams who has
    // composite features for the slate
    let mut players_with_features = BTreeSet::new();
    for g in &day.schedule.games {
        for team in [&g.home, &g.away] {
            let since = slate() - chrono::Duration::days(30);
            for r in nba_props::ports::GameDataStore::roster(&p.games, team, since).await? {
                let entity = format!("player#{}", r.player_lookup);
                let stored = p
                    .features
                    .get_output(
                        &entity,
                        nba_props::model::ProcessorName::PlayerCompositeFactors,
                        slate(),
                    )
                    .await?;
                if stored.is_some() {
                    players_with_features.insert((r.player_lookup, team.clone()));
                }
            }
        }
    }
    let aliases = aliases();
    let mut expected: BTreeMap<(String, Market), BTreeSet<String>> = BTreeMap::new();
    for s in &snapshots {
        for row in &s.lines {
            let market = Market::parse(&row.market).expect("known market");
            let found = players_with_features.iter().find(|(player, team)| {
                (team == &s.home || team == &s.away) && matches(&row.player, player, &aliases)
            });
            if let Some((player, _)) = found {
                expected
                    .entry((player.clone(), market))
                    .or_default()
                    .insert(row.bookmaker.clone());
            }
        }
    }
    let stored = writer.predictions.for_game_date(slate()).await?;
    let lined: BTreeMap<(String, Market), &Prediction> = stored
        .iter()
        .filter(|p| p.line_source == LineSource::ActualProp)
        .map(|p| ((p.player_lookup.clone(), p.market), p))
        .collect();
    assert!(
        expected.len() >= 100,
        "only {} lines on {SLATE}",
        expected.len()
    );
    assert_eq!(
        lined.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    // AND each line comes from the first book of the priority that offered it
    for (key, books) in &expected {
        let want = ["draftkings", "fanduel", "betmgm"]
            .into_iter()
            .find(|b| books.contains(*b))
            .map(str::to_string)
            .unwrap_or_else(|| books.iter().next().expect("a book").clone());
        assert_eq!(
            lined[key].bookmaker.as_deref(),
            Some(want.as_str()),
            "{key:?}"
        );
    }
    // AND every prediction of the slate is one item per key
    let keys: BTreeSet<_> = stored
        .iter()
        .map(|p| (&p.player_lookup, &p.prediction_key))
        .collect();
    assert_eq!(keys.len(), stored.len());
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_moved_line_reprices_once_and_bad_snapshots_fail_alone_to_the_dead_letter_queue()
-> Result<()> {
    let stack = fresh_stack("lines-moved").await?;
    let p = stack.processor().await?;
    let writer = stack.prediction_writer().await?;
    slate_with_features(&stack, &p, 1).await?;
    stack.drain_writer(&writer).await?;
    let (_, _, snapshots) = fixture_slate()?;
    let first = snapshots[0].clone();

    // GIVEN a game's lines stored and priced
    let body = |s: &PropLineSnapshot| ProcessorMessage::PropLines(s.clone()).to_body();
    let (_, stored) = stack.drain_after(&p, &[body(&first)]).await?;
    assert!(stored.prop_lines_stored > 0);
    let (_, priced) = stack.drain_writer(&writer).await?;
    assert!(
        priced.replaced > 0,
        "the lines re-priced the predictions made without them"
    );

    // WHEN the same snapshot comes again, and an older one with other lines
    let (_, again) = stack.drain_after(&p, &[body(&first)]).await?;
    let mut older = first.clone();
    older.snapshot_at -= chrono::Duration::hours(5);
    for row in &mut older.lines {
        row.line += 1.0;
    }
    let (_, old) = stack.drain_after(&p, &[body(&older)]).await?;
    // THEN nothing is stored and nothing is re-priced
    assert_eq!(
        (again.prop_lines_stored, again.predictions_requested),
        (0, 0)
    );
    assert_eq!((old.prop_lines_stored, old.predictions_requested), (0, 0));

    // WHEN one player's points line moves by a point in a newer snapshot
    let priced_now = writer.predictions.for_game_date(slate()).await?;
    let (target, lookup) = first
        .lines
        .iter()
        .filter(|r| r.market == "player_points" && r.bookmaker == "draftkings")
        .find_map(|r| {
            let lookup = player_lookup(&r.player);
            priced_now
                .iter()
                .any(|p| {
                    p.player_lookup == lookup
                        && p.market == Market::Points
                        && p.bookmaker.as_deref() == Some("draftkings")
                })
                .then(|| (r.player.clone(), lookup))
        })
        .expect("a player priced on a draftkings points line");
    let before = writer
        .predictions
        .get(&lookup, &Prediction::key_for(slate(), Market::Points))
        .await?
        .expect("priced");
    let mut moved = first.clone();
    moved.snapshot_at += chrono::Duration::minutes(30);
    for row in &mut moved.lines {
        if row.player == target && row.market == "player_points" {
            row.line += 1.0;
        }
    }
    let (_, t) = stack.drain_after(&p, &[body(&moved)]).await?;
    let (_, w) = stack.drain_writer(&writer).await?;
    // THEN one line is stored, one request sent, and one prediction re-priced
    assert_eq!((t.prop_lines_stored, t.predictions_requested), (1, 1));
    assert_eq!((w.replaced, w.duplicates), (1, 2));
    let after = writer
        .predictions
        .get(&lookup, &Prediction::key_for(slate(), Market::Points))
        .await?
        .expect("priced");
    assert_eq!(after.previous_line, before.line);
    assert_eq!(after.line, before.line.map(|l| l + 1.0));

    // WHEN a snapshot names someone on neither team
    let mut stranger = moved.clone();
    stranger.snapshot_at += chrono::Duration::minutes(30);
    stranger.lines[0].player = "Nobody Atall".into();
    let (_, t) = stack.drain_after(&p, &[body(&stranger)]).await?;
    // THEN the name is reported, not dropped silently
    assert!(t.prop_rows_unmatched >= 1);

    // WHEN a malformed snapshot and one of an unscheduled game come among good messages
    let mut unscheduled = moved.clone();
    unscheduled.game_id = "0022599999".into();
    let mut bad = serde_json::to_value(ProcessorMessage::PropLines(moved.clone()))?;
    bad["lines"][0]["line"] = 24.3.into();
    let bad = bad.to_string();
    let unscheduled = body(&unscheduled);
    let good = body(&moved);
    let (stats, _) = stack
        .drain_after(&p, &[good.clone(), bad.clone(), unscheduled.clone(), good])
        .await?;
    // THEN only they fail, and they end in the processor's dead-letter queue
    assert_eq!(stats.succeeded, 2);
    let sqs = stack.sqs().await;
    let dead: BTreeSet<String> = take_all(&sqs, &stack.queue_url("ProcessorDeadLetterQueue")?)
        .await?
        .into_iter()
        .collect();
    assert_eq!(dead, BTreeSet::from([bad, unscheduled]));
    Ok(())
}
