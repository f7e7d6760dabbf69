//! The prediction writer against DynamoDB Local and moto's SQS, on real players and
//! their real sportsbook lines.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use anyhow::Result;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{Duration, NaiveDate};
use futures::{StreamExt, TryStreamExt, stream};
use nba_props::domain::prediction::predictions_for;
use nba_props::domain::prediction_request::PredictionRequest;
use nba_props::domain::prediction_writer::WriterTally;
use nba_props::domain::prop_lines::{BookPriority, PlayerNames, choose_lines};
use nba_props::handlers::prediction_writer::handle_batch;
use nba_props::model::{
    LineSource, Market, PlayerGameFeatures, Prediction, PredictionInputs, PropLine,
    canonical_timestamp,
};
use nba_props::ports::{LineOutcome, PredictionStore, PropLineStore, WriteOutcome};
use nba_props_cli::dataset::{Dataset, composite_features, morning_of};
use nba_props_cli::event_source::{send_bodies, take_all};
use nba_props_cli::local_functions::LocalWriter;
use nba_props_tests::fresh_stack;

const SLATE: &str = "2025-11-05";

fn slate() -> NaiveDate {
    SLATE.parse().expect("valid date")
}

/// The slate's features (as the processors stored them in the default replay) and the
/// lines the ingest's rule chooses from the slate's real sportsbook rows for those
/// players.
fn slate_inputs() -> Result<(Vec<PlayerGameFeatures>, Vec<PropLine>)> {
    let data = Dataset::fixtures()?;
    let features: Vec<PlayerGameFeatures> = composite_features()?
        .into_iter()
        .filter(|f| f.game_date == slate())
        .collect();
    let days = data.days()?;
    let (snapshots, _) = data.snapshots(&days);
    let names = PlayerNames::new(features.iter().map(|f| f.player_lookup.as_str()));
    let lines = snapshots
        .get(&slate())
        .into_iter()
        .flatten()
        .flat_map(|s| choose_lines(s, &names, &BookPriority::default()).lines)
        .collect();
    Ok((features, lines))
}

/// Seeds the features and lines of every player of the slate and returns the slate's
/// requests.
async fn seed_slate(writer: &LocalWriter) -> Result<Vec<PredictionRequest>> {
    let (features, lines) = slate_inputs()?;
    stream::iter(&features)
        .map(|f| writer.features.put(f))
        .buffer_unordered(8)
        .try_collect::<Vec<_>>()
        .await?;
    stream::iter(&lines)
        .map(|l| writer.features.put_line_if_newer(l))
        .buffer_unordered(8)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(Dataset::fixtures()?.requests_for(&features, slate(), morning_of(slate())))
}

fn event(bodies: &[(String, String)]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = bodies
        .iter()
        .map(|(id, body)| {
            let mut m = SqsMessage::default();
            m.message_id = Some(id.clone());
            m.body = Some(body.clone());
            m
        })
        .collect();
    event
}

#[tokio::test(flavor = "multi_thread")]
async fn real_players_delivered_five_times_leave_exactly_one_item_per_key() -> Result<()> {
    let stack = fresh_stack("five-deliveries").await?;
    let writer = stack.prediction_writer().await?;
    let requests = seed_slate(&writer).await?;
    let (_, lines) = slate_inputs()?;
    assert!(
        requests.len() >= 100,
        "only {} players on {SLATE}",
        requests.len()
    );
    let lined: BTreeSet<&str> = lines.iter().map(|l| l.player_lookup.as_str()).collect();
    assert!(lined.len() >= 50, "only {} players with lines", lined.len());

    // GIVEN every request on the real queue five times over, as redelivery would leave it
    let bodies: Vec<String> = requests.iter().map(PredictionRequest::to_body).collect();
    let sqs = stack.sqs().await;
    let queue = stack.queue_url("PredictionQueue")?;
    for _ in 0..5 {
        send_bodies(&sqs, &queue, &bodies).await?;
    }
    let puts_before = writer.requests.get("PutItem");

    // WHEN the writer drains the queue through the template's event source
    let (stats, tally) = stack.drain_writer(&writer).await?;

    // THEN there is exactly one prediction per (player, date, market)
    // (SQS is at-least-once: an extra delivery beyond the five is absorbed the same way.)
    let keys = requests.len() as u64 * 3;
    assert!(stats.delivered >= 5 * requests.len() as u64);
    assert_eq!(stats.failed, 0);
    assert_eq!(tally.created, keys);
    assert_eq!(tally.duplicates, 3 * stats.delivered - keys);
    assert_eq!(
        (tally.replaced, tally.stale, tally.failed_records),
        (0, 0, 0)
    );
    let stored = writer.predictions.for_game_date(slate()).await?;
    assert_eq!(stored.len() as u64, keys);
    let unique: BTreeSet<(&str, &str)> = stored
        .iter()
        .map(|p| (p.player_lookup.as_str(), p.prediction_key.as_str()))
        .collect();
    assert_eq!(unique.len() as u64, keys);
    // one conditional PutItem per prediction write, never a batch or a transaction
    assert_eq!(
        writer.requests.get("PutItem") - puts_before,
        3 * stats.delivered
    );
    assert_eq!(
        writer.requests.get("BatchWriteItem") + writer.requests.get("TransactWriteItems"),
        0
    );
    // AND every prediction carries the chosen line of its key, with its provenance,
    // and only the keys without one say so
    let by_key: HashMap<(&str, Market), &PropLine> = lines
        .iter()
        .map(|l| ((l.player_lookup.as_str(), l.market), l))
        .collect();
    for p in &stored {
        match by_key.get(&(p.player_lookup.as_str(), p.market)) {
            Some(line) => {
                assert_eq!(p.line_source, LineSource::ActualProp);
                assert_eq!(p.line, Some(line.line));
                assert_eq!(p.bookmaker.as_deref(), Some(line.bookmaker.as_str()));
                assert_eq!(
                    (p.over_odds, p.under_odds),
                    (Some(line.over_odds), Some(line.under_odds))
                );
                assert_eq!(
                    p.line_snapshot_at.as_deref(),
                    Some(line.snapshot_at.as_str())
                );
            }
            None => {
                assert_eq!(p.line_source, LineSource::NoPropLine);
                assert_eq!(p.line, None);
            }
        }
        assert!(p.is_active);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_prediction_costs_one_write_request_and_no_read() -> Result<()> {
    let stack = fresh_stack("one-write").await?;
    let writer = stack.prediction_writer().await?;
    let requests = seed_slate(&writer).await?;
    let batch: Vec<(String, String)> = requests[..10]
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("m{i}"), r.to_body()))
        .collect();
    let before = writer.requests.snapshot();
    let (response, tally) = handle_batch(&writer.writer, event(&batch)).await;
    assert!(response?.batch_item_failures.is_empty());
    let after = writer.requests.snapshot();
    let delta =
        |op: &str| after.get(op).copied().unwrap_or(0) - before.get(op).copied().unwrap_or(0);
    assert_eq!(tally.created, 30);
    assert_eq!(delta("PutItem"), 30, "one PutItem per new prediction");
    assert_eq!(delta("GetItem"), 0, "no read before write");
    assert_eq!(
        delta("BatchGetItem"),
        1,
        "one read of features and lines per batch"
    );
    Ok(())
}

/// A player of the slate with all three lines, and his stored inputs.
async fn player_with_three_lines(
    writer: &LocalWriter,
) -> Result<(PredictionRequest, PredictionInputs)> {
    let requests = seed_slate(writer).await?;
    for r in requests {
        let key = nba_props::model::FeatureKey {
            player_lookup: r.player_lookup.clone(),
            game_date: r.game_date,
        };
        let inputs =
            nba_props::ports::FeatureStore::get_many(&writer.features, std::slice::from_ref(&key))
                .await?
                .remove(&key)
                .expect("seeded features");
        if inputs.lines.len() == 3 {
            return Ok((r, inputs));
        }
    }
    anyhow::bail!("no player with three lines on {SLATE}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_features_recompute_and_a_line_move_racing_reprice_once_and_never_roll_back() -> Result<()>
{
    let stack = fresh_stack("race").await?;
    let writer = Arc::new(stack.prediction_writer().await?);
    let (request, v1) = player_with_three_lines(&writer).await?;
    let model = &writer.config.model_version;
    let (_, first) = handle_batch(
        &writer.writer,
        event(&[("first".into(), request.to_body())]),
    )
    .await;
    assert_eq!(first.created, 3);

    // GIVEN the features recomputed (later, different) and the points line moved (newer
    // snapshot), and the predictions two writers would make having each seen only one
    // of the changes
    let mut features = v1.features.clone();
    features.points_avg += 3.0;
    features.computed_at = canonical_timestamp(chrono::Utc::now());
    let mut moved = v1.lines[&Market::Points].clone();
    moved.line += 2.0;
    moved.snapshot_at = canonical_timestamp(chrono::Utc::now() + Duration::seconds(1));
    let saw_features = PredictionInputs {
        features: features.clone(),
        lines: v1.lines.clone(),
    };
    let mut saw_line = v1.clone();
    saw_line.lines.insert(Market::Points, moved.clone());
    let now = chrono::Utc::now();
    let a = predictions_for(&request, &saw_features, model, now)[0].clone();
    let b = predictions_for(&request, &saw_line, model, now)[0].clone();

    // WHEN both race to the table
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let race = |p: Prediction| {
        let (w, barrier) = (writer.clone(), barrier.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            w.predictions.put_if_newer(&p).await
        })
    };
    let (ra, rb) = (race(a.clone()), race(b.clone()));
    let mut outcomes = vec![ra.await??, rb.await??];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    // THEN one lands and the other is found concurrent (neither newer nor older), not
    // written over it
    assert_eq!(outcomes, [WriteOutcome::Concurrent, WriteOutcome::Replaced]);

    // WHEN both changes are stored and eight writers re-price at once
    writer.features.put(&features).await?;
    assert_eq!(
        writer.features.put_line_if_newer(&moved).await?,
        LineOutcome::Stored
    );
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (writer, barrier, body) = (writer.clone(), barrier.clone(), request.to_body());
            tokio::spawn(async move {
                barrier.wait().await;
                handle_batch(&writer.writer, event(&[(format!("racer{i}"), body)])).await
            })
        })
        .collect();
    let mut tally = WriterTally::default();
    for task in tasks {
        let (response, t) = task.await?;
        assert!(response?.batch_item_failures.is_empty());
        tally += t;
    }
    // THEN each market is re-priced exactly once, from both changes
    assert_eq!((tally.replaced, tally.duplicates, tally.stale), (3, 21, 0));
    let key = Prediction::key_for(request.game_date, Market::Points);
    let stored = writer
        .predictions
        .get(&request.player_lookup, &key)
        .await?
        .expect("stored");
    assert_eq!(stored.features_at, features.computed_at);
    assert_eq!(stored.line, Some(moved.line));
    assert_eq!(stored.previous_line, Some(v1.lines[&Market::Points].line));
    // AND neither half-informed prediction can roll it back any more
    assert_eq!(
        writer.predictions.put_if_newer(&a).await?,
        WriteOutcome::Stale
    );
    assert_eq!(
        writer.predictions.put_if_newer(&b).await?,
        WriteOutcome::Stale
    );
    assert_eq!(
        writer
            .predictions
            .get(&request.player_lookup, &key)
            .await?
            .as_ref(),
        Some(&stored)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_moved_line_reprices_once_and_an_older_snapshot_changes_nothing() -> Result<()> {
    let stack = fresh_stack("moved-line").await?;
    let writer = stack.prediction_writer().await?;
    let (request, v1) = player_with_three_lines(&writer).await?;
    let body = || event(&[("r".into(), request.to_body())]);
    let (_, first) = handle_batch(&writer.writer, body()).await;
    assert_eq!(first.created, 3);
    let original = v1.lines[&Market::Points].clone();

    // GIVEN the same line seen again in a newer snapshot, and an older snapshot with
    // another line: neither changes the stored line
    let mut same = original.clone();
    same.snapshot_at = canonical_timestamp(chrono::Utc::now());
    assert_eq!(
        writer.features.put_line_if_newer(&same).await?,
        LineOutcome::Unchanged
    );
    let mut older = original.clone();
    older.line += 5.0;
    older.snapshot_at = "2025-11-01T00:00:00.000000Z".into();
    assert_eq!(
        writer.features.put_line_if_newer(&older).await?,
        LineOutcome::Unchanged
    );
    let (_, again) = handle_batch(&writer.writer, body()).await;
    assert_eq!((again.duplicates, again.replaced), (3, 0));

    // WHEN the line moves in a newer snapshot and the request comes (twice)
    let mut moved = original.clone();
    moved.line += 1.0;
    moved.snapshot_at = canonical_timestamp(chrono::Utc::now() + Duration::seconds(1));
    assert_eq!(
        writer.features.put_line_if_newer(&moved).await?,
        LineOutcome::Stored
    );
    let (_, repriced) = handle_batch(&writer.writer, body()).await;
    let (_, redelivered) = handle_batch(&writer.writer, body()).await;

    // THEN points is re-priced once (the other markets' inputs did not change)
    assert_eq!((repriced.replaced, repriced.duplicates), (1, 2));
    assert_eq!((redelivered.replaced, redelivered.duplicates), (0, 3));
    let stored = writer
        .predictions
        .get(
            &request.player_lookup,
            &Prediction::key_for(request.game_date, Market::Points),
        )
        .await?
        .expect("stored");
    assert_eq!(
        (stored.line, stored.previous_line),
        (Some(moved.line), Some(original.line))
    );
    assert_eq!(stored.line_snapshot_at, Some(moved.snapshot_at.clone()));
    // AND the composite re-run (same features) keeps the line
    writer.features.put(&v1.features).await?;
    let (_, rerun) = handle_batch(&writer.writer, body()).await;
    assert_eq!(rerun.duplicates, 3);
    let after = writer
        .predictions
        .get(
            &request.player_lookup,
            &Prediction::key_for(request.game_date, Market::Points),
        )
        .await?;
    assert_eq!(after.and_then(|p| p.line), Some(moved.line));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_records_fail_alone_and_end_in_the_dead_letter_queue() -> Result<()> {
    let stack = fresh_stack("dlq").await?;
    let writer = stack.prediction_writer().await?;
    let requests = seed_slate(&writer).await?;
    let valid: Vec<String> = requests[..9]
        .iter()
        .map(PredictionRequest::to_body)
        .collect();
    let good = &valid[0];
    let malformed = vec![
        "{not json".to_string(),
        // Lines travel only through the line ingest; a request carrying some is refused.
        good.replacen('}', r#","lines":{"points":24.5}}"#, 1),
        good.replace(SLATE, "2025-02-30"),
        good.replace(&requests[0].player_lookup, "nobodyinthisleague"),
    ];

    // GIVEN the malformed bodies mixed among valid ones on the real queue
    let mut bodies = valid.clone();
    for (i, bad) in malformed.iter().enumerate() {
        bodies.insert(2 * i + 1, bad.clone());
    }
    let sqs = stack.sqs().await;
    send_bodies(&sqs, &stack.queue_url("PredictionQueue")?, &bodies).await?;

    // WHEN the writer drains the queue (failed records come back until maxReceiveCount)
    let (stats, tally) = stack.drain_writer(&writer).await?;

    // THEN the valid records were written once, the bad ones were retried to the limit
    let max_receive =
        stack.template.resources["PredictionQueue"].properties["RedrivePolicy"]["maxReceiveCount"]
            .as_u64()
            .expect("maxReceiveCount in the template");
    assert_eq!(tally.created, 27);
    assert_eq!(tally.duplicates, 0, "valid records were never redelivered");
    assert_eq!(stats.succeeded, 9);
    assert_eq!(stats.failed, malformed.len() as u64 * max_receive);
    // AND every malformed record, and only those, is in the dead-letter queue
    let dlq = stack.queue_url("PredictionDeadLetterQueue")?;
    let dead: BTreeSet<String> = take_all(&sqs, &dlq).await?.into_iter().collect();
    assert_eq!(dead, malformed.into_iter().collect::<BTreeSet<_>>());
    assert_eq!(
        nba_props_cli::event_source::queue_depth(&sqs, &stack.queue_url("PredictionQueue")?)
            .await?,
        0
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_inputs_priced_otherwise_are_a_conflict_and_change_nothing() -> Result<()> {
    let stack = fresh_stack("payload-conflict").await?;
    let writer = stack.prediction_writer().await?;
    let (request, inputs) = player_with_three_lines(&writer).await?;
    let (_, first) = handle_batch(&writer.writer, event(&[("a".into(), request.to_body())])).await;
    assert_eq!(first.created, 3);
    // GIVEN the same inputs priced by another model
    let other = predictions_for(&request, &inputs, "another-model", chrono::Utc::now());
    // WHEN its predictions are written
    let outcome = writer.predictions.put_if_newer(&other[0]).await?;
    // THEN it is a conflict, not a duplicate, and the stored item stays
    assert_eq!(outcome, WriteOutcome::PayloadConflict);
    let stored = writer
        .predictions
        .get(&request.player_lookup, &other[0].prediction_key)
        .await?
        .expect("stored");
    assert_eq!(stored.model_version, writer.config.model_version);
    // AND a true redelivery is still a plain duplicate
    let (_, again) = handle_batch(&writer.writer, event(&[("c".into(), request.to_body())])).await;
    assert_eq!((again.duplicates, again.payload_conflicts), (3, 0));
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deployed_model_stores_its_version_and_its_probability_of_over() -> Result<()> {
    let stack = fresh_stack("model-v2").await?;
    let writer = stack.prediction_writer().await?;
    // The template's default model.
    assert_eq!(
        writer.config.model_version,
        nba_props::domain::model_v2::MODEL_V2
    );
    let (request, inputs) = player_with_three_lines(&writer).await?;
    let (_, tally) = handle_batch(&writer.writer, event(&[("a".into(), request.to_body())])).await;
    assert_eq!(tally.created, 3);
    for (market, line) in &inputs.lines {
        let stored = writer
            .predictions
            .get(
                &request.player_lookup,
                &nba_props::model::Prediction::key_for(request.game_date, *market),
            )
            .await?
            .expect("stored");
        assert_eq!(stored.model_version, "line-shrinkage-v2");
        let p = stored.p_over.expect("a probability with a line");
        assert!(0.0 < p && p < 1.0, "{p}");
        // A call only where the probability beats the posted price's break-even.
        use nba_props::domain::prop_lines::implied_probability as be;
        use nba_props::model::Recommendation::*;
        let expected = if p > be(line.over_odds) {
            Over
        } else if 1.0 - p > be(line.under_odds) {
            Under
        } else {
            Pass
        };
        assert_eq!(stored.recommendation, expected, "{market}: {stored:?}");
    }
    Ok(())
}

/// Keeps the body of every BatchGetItem a client sends.
#[derive(Debug, Clone, Default)]
struct BatchGetBodies(Arc<std::sync::Mutex<Vec<String>>>);

impl aws_sdk_dynamodb::config::Intercept for BatchGetBodies {
    fn name(&self) -> &'static str {
        "BatchGetBodies"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let request = context.request();
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        if target.ends_with(".BatchGetItem") {
            let body = request.body().bytes().unwrap_or_default();
            if let Ok(mut bodies) = self.0.lock() {
                bodies.push(String::from_utf8_lossy(body).into_owned());
            }
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_writer_reads_features_and_lines_with_strong_consistency() -> Result<()> {
    let stack = fresh_stack("consistent").await?;
    let local = stack.prediction_writer().await?;
    let requests = seed_slate(&local).await?;
    // GIVEN the writer over a client whose BatchGetItem requests are kept
    let bodies = BatchGetBodies::default();
    let sdk = stack.endpoints.dynamodb_config().await;
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(bodies.clone())
            .build(),
    );
    let writer = nba_props::domain::prediction_writer::PredictionWriter::new(
        nba_props::adapters::dynamodb::FeatureTable::new(client, &local.config.features_table),
        local.predictions.clone(),
        &local.config,
    );
    // WHEN it handles a batch
    let batch: Vec<(String, String)> = requests[..3]
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("m{i}"), r.to_body()))
        .collect();
    let (response, tally) = handle_batch(&writer, event(&batch)).await;
    assert!(response?.batch_item_failures.is_empty());
    assert_eq!(tally.created, 9);
    // THEN its one features read asked for strongly consistent reads, so features just
    // recomputed are the ones it predicts from
    let sent = bodies.0.lock().expect("bodies").clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let request: serde_json::Value = serde_json::from_str(&sent[0])?;
    let table = &request["RequestItems"][&local.config.features_table];
    assert_eq!(table["ConsistentRead"], true, "{request}");
    Ok(())
}
