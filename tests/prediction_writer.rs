//! The prediction writer against DynamoDB Local and moto's SQS, on real players.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use anyhow::Result;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{Duration, NaiveDate};
use futures::{StreamExt, TryStreamExt, stream};
use nba_props::domain::prediction_request::PredictionRequest;
use nba_props::domain::prediction_writer::WriterTally;
use nba_props::handlers::prediction_writer::handle_batch;
use nba_props::model::PlayerGameFeatures;
use nba_props::model::{Market, Prediction};
use nba_props_cli::dataset::{Dataset, morning_of};
use nba_props_cli::event_source::{send_bodies, take_all};
use nba_props_cli::local_functions::LocalWriter;
use nba_props_tests::fresh_stack;

const SLATE: &str = "2025-11-05";

fn slate() -> NaiveDate {
    SLATE.parse().expect("valid date")
}

/// Seeds the features of every player of the slate and returns the slate's requests.
async fn seed_slate(writer: &LocalWriter) -> Result<Vec<PredictionRequest>> {
    let data = Dataset::fixtures()?;
    let features: Vec<PlayerGameFeatures> = data
        .features()
        .into_iter()
        .filter(|f| f.game_date == slate())
        .collect();
    stream::iter(&features)
        .map(|f| writer.features.put(f))
        .buffer_unordered(8)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(data.requests_for(&features, slate(), morning_of(slate())))
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
    assert!(
        requests.len() >= 100,
        "only {} players on {SLATE}",
        requests.len()
    );
    let with_lines = requests.iter().filter(|r| !r.lines.is_empty()).count();
    assert!(
        with_lines >= 50,
        "only {with_lines} players with market lines"
    );

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
    // and the stored values are the lines each request carried
    let by_player: HashMap<&str, &PredictionRequest> = requests
        .iter()
        .map(|r| (r.player_lookup.as_str(), r))
        .collect();
    for p in &stored {
        assert_eq!(
            p.line,
            by_player[p.player_lookup.as_str()]
                .lines
                .get(&p.market)
                .copied()
        );
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
    assert_eq!(delta("BatchGetItem"), 1, "one features read per batch");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_racing_writers_converge_on_the_newest_and_an_older_redelivery_changes_nothing()
-> Result<()> {
    let stack = fresh_stack("race").await?;
    let writer = Arc::new(stack.prediction_writer().await?);
    let requests = seed_slate(&writer).await?;
    let base = requests
        .iter()
        .find(|r| r.lines.len() == 3)
        .expect("a player with three lines")
        .clone();

    // GIVEN eight requests for the same player and date, generated a minute apart
    let versions: Vec<PredictionRequest> = (0..8)
        .map(|i| PredictionRequest {
            generated_at: base.generated_at + Duration::minutes(i),
            lines: base.lines.iter().map(|(m, l)| (*m, l + i as f64)).collect(),
            ..base.clone()
        })
        .collect();

    // WHEN eight writers handle them at the same moment (newest first, to make the
    // older ones lose the race rather than win it by arriving late)
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let tasks: Vec<_> = versions
        .iter()
        .rev()
        .enumerate()
        .map(|(i, r)| {
            let (writer, barrier, body) = (writer.clone(), barrier.clone(), r.to_body());
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

    // THEN the newest is stored for every market, and every write is accounted for
    let newest = versions.last().expect("eight versions");
    let read = |market| {
        let w = writer.clone();
        let (player, key) = (
            base.player_lookup.clone(),
            Prediction::key_for(base.game_date, market),
        );
        async move { w.predictions.get(&player, &key).await }
    };
    let mut stored_after_race = Vec::new();
    for market in Market::ALL {
        let stored = read(market).await?.expect("stored");
        assert_eq!(
            stored.generated_at,
            nba_props::model::canonical_timestamp(newest.generated_at)
        );
        assert_eq!(stored.line, newest.lines.get(&market).copied());
        stored_after_race.push(stored);
    }
    assert_eq!(tally.created, 3, "exactly one writer creates each key");
    assert_eq!(
        tally.created + tally.replaced + tally.stale + tally.duplicates,
        24
    );
    assert_eq!(tally.duplicates, 0);

    // WHEN an older version is redelivered, and then the newest again
    let (_, older) = handle_batch(
        &writer.writer,
        event(&[("late".into(), versions[3].to_body())]),
    )
    .await;
    let (_, again) =
        handle_batch(&writer.writer, event(&[("again".into(), newest.to_body())])).await;

    // THEN nothing changes; the older is counted stale, the newest a duplicate
    assert_eq!((older.stale, older.created + older.replaced), (3, 0));
    assert_eq!((again.duplicates, again.created + again.replaced), (3, 0));
    for (market, before) in Market::ALL.into_iter().zip(&stored_after_race) {
        assert_eq!(&read(market).await?.expect("stored"), before);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newer_prediction_replaces_an_older_one() -> Result<()> {
    let stack = fresh_stack("newer").await?;
    let writer = stack.prediction_writer().await?;
    let requests = seed_slate(&writer).await?;
    let old = requests[0].clone();
    let new = PredictionRequest {
        generated_at: old.generated_at + Duration::hours(2),
        lines: [(Market::Points, 30.5)].into(),
        ..old.clone()
    };
    let (_, first) = handle_batch(&writer.writer, event(&[("old".into(), old.to_body())])).await;
    let (_, second) = handle_batch(&writer.writer, event(&[("new".into(), new.to_body())])).await;
    assert_eq!(first.created, 3);
    assert_eq!(second.replaced, 3);
    let stored = writer
        .predictions
        .get(
            &old.player_lookup,
            &Prediction::key_for(old.game_date, Market::Points),
        )
        .await?
        .expect("stored");
    assert_eq!(stored.line, Some(30.5));
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
        good.replace("\"points\"", "\"player_threes\""),
        good.replace(SLATE, "2025-02-30"),
        good.replace(&requests[0].player_lookup, "nobodyinthisleague"),
    ];
    assert_ne!(
        &malformed[1], good,
        "the request has a points line to rename"
    );

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
async fn a_reused_generated_at_with_another_payload_is_a_conflict_and_changes_nothing() -> Result<()>
{
    let stack = fresh_stack("payload-conflict").await?;
    let writer = stack.prediction_writer().await?;
    let requests = seed_slate(&writer).await?;
    let original = requests
        .iter()
        .find(|r| r.lines.contains_key(&Market::Points))
        .expect("a player with a points line")
        .clone();
    // GIVEN a stored request, and another with the same generated_at but a moved line
    let mut reused = original.clone();
    *reused.lines.get_mut(&Market::Points).expect("points") += 1.0;
    let (_, first) = handle_batch(&writer.writer, event(&[("a".into(), original.to_body())])).await;
    assert_eq!(first.created, 3);
    // WHEN the reused timestamp arrives
    let (response, conflict) =
        handle_batch(&writer.writer, event(&[("b".into(), reused.to_body())])).await;
    // THEN it is counted as a conflict, not a duplicate, and the stored line stays
    assert!(response?.batch_item_failures.is_empty());
    assert_eq!((conflict.payload_conflicts, conflict.duplicates), (1, 2));
    let stored = writer
        .predictions
        .get(
            &original.player_lookup,
            &Prediction::key_for(original.game_date, Market::Points),
        )
        .await?
        .expect("stored");
    assert_eq!(stored.line, original.lines.get(&Market::Points).copied());
    // AND a true redelivery is still a plain duplicate
    let (_, again) = handle_batch(&writer.writer, event(&[("c".into(), original.to_body())])).await;
    assert_eq!((again.duplicates, again.payload_conflicts), (3, 0));
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
async fn the_writer_reads_features_with_strong_consistency() -> Result<()> {
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
