//! Prediction writer throughput against DynamoDB Local, compared with a bare loop of the
//! same conditional PutItem calls on the same server, in one run.
//!
//! `cargo bench -p nba-props-cli --bench prediction_writer`
//!
//! Both sides handle the same batches the same way: ten requests per batch (the
//! template's BatchSize), one batch at a time, PREDICTION_WRITE_CONCURRENCY writes in
//! flight. The writer adds what it really does per batch: parsing, one BatchGetItem of
//! features and lines, the model. Request counts come from an SDK interceptor, i.e. what was sent.

use std::time::Instant;

use anyhow::Result;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::Duration;
use futures::{StreamExt, TryStreamExt, stream};
use nba_props::adapters::dynamodb::{PredictionTable, RequestCounter};
use nba_props::domain::prediction::predictions_for;
use nba_props::domain::prediction_request::PredictionRequest;
use nba_props::handlers::prediction_writer::handle_batch;
use std::collections::{BTreeMap, HashMap};

use nba_props::domain::prop_lines::{BookPriority, PlayerNames, choose_lines};
use nba_props::model::{FeatureKey, Market, PlayerGameFeatures, PredictionInputs, PropLine};
use nba_props::ports::FeatureStore;
use nba_props::ports::PredictionStore;
use nba_props::ports::PropLineStore;
use nba_props_cli::dataset::{Dataset, composite_features, morning_of};
use nba_props_cli::local_aws::LocalAws;
use nba_props_cli::provision::{LocalStack, unique_stack_name};

fn batches(requests: &[PredictionRequest]) -> Vec<SqsEvent> {
    requests
        .chunks(10)
        .enumerate()
        .map(|(b, chunk)| {
            let mut event = SqsEvent::default();
            event.records = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut m = SqsMessage::default();
                    m.message_id = Some(format!("bench-{b}-{i}"));
                    m.body = Some(r.to_body());
                    m
                })
                .collect();
            event
        })
        .collect()
}

#[tokio::main]
async fn main() -> Result<()> {
    // The committed fixtures: their lines, and the composite features the processors
    // stored for every prediction of the default replay.
    let data = Dataset::fixtures()?;
    let local = LocalAws::start().await?;
    let stack = LocalStack::provision(&local.endpoints, &unique_stack_name("bench")).await?;
    let bare_stack =
        LocalStack::provision(&local.endpoints, &unique_stack_name("bench-bare")).await?;
    let writer = stack.prediction_writer().await?;
    let concurrency = writer.config.write_concurrency;

    // The processors' features and the lines the ingest's rule chooses from the real
    // sportsbook rows for those players, stored as the pipeline stores them.
    let features = composite_features()?;
    let days = data.days()?;
    let (snapshots, _) = data.snapshots(&days);
    let mut lines: HashMap<FeatureKey, BTreeMap<Market, PropLine>> = HashMap::new();
    for (date, snapshots) in &snapshots {
        let players = features
            .iter()
            .filter(|f| f.game_date == *date)
            .map(|f| f.player_lookup.as_str());
        let names = PlayerNames::new(players);
        for s in snapshots {
            for line in choose_lines(s, &names, &BookPriority::default()).lines {
                let key = FeatureKey {
                    player_lookup: line.player_lookup.clone(),
                    game_date: line.game_date,
                };
                lines.entry(key).or_default().insert(line.market, line);
            }
        }
    }
    stream::iter(lines.values().flat_map(|m| m.values()))
        .map(|l| writer.features.put_line_if_newer(l))
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    // Two generations: the features as computed, then recomputed an hour later from
    // changed data (a new `computed_at` and a changed average; a recompute of the same
    // features keeps the stored one), so every request of both is a real write.
    let generations: Vec<Vec<PlayerGameFeatures>> = (0..2)
        .map(|g| {
            features
                .iter()
                .cloned()
                .map(|mut f| {
                    f.computed_at = format!("{}T1{g}:00:00.000000Z", f.game_date);
                    f.points_avg += g as f64 / 10.0;
                    f
                })
                .collect()
        })
        .collect();
    let dates: std::collections::BTreeSet<_> = features.iter().map(|f| f.game_date).collect();
    let requests_of = |generation: usize| -> Vec<PredictionRequest> {
        dates
            .iter()
            .flat_map(|d| {
                data.requests_for(
                    &features,
                    *d,
                    morning_of(*d) + Duration::hours(generation as i64),
                )
            })
            .collect()
    };
    let requests: Vec<PredictionRequest> = (0..2).flat_map(requests_of).collect();
    let predictions_per_request: u64 = 3;
    let events = batches(&requests);
    let with_line = requests
        .iter()
        .map(|r| {
            lines
                .get(&FeatureKey {
                    player_lookup: r.player_lookup.clone(),
                    game_date: r.game_date,
                })
                .map_or(0, BTreeMap::len)
        })
        .sum::<usize>();
    println!(
        "data: {} | {} requests in {} batches of <=10, {} writes in flight; {} of {} predictions with a line",
        data.source.display(),
        requests.len(),
        events.len(),
        concurrency,
        with_line,
        requests.len() as u64 * predictions_per_request
    );

    // The bare loop: the same items, the same conditional PutItem, no handler around it,
    // on tables of its own.
    let bare_counter = RequestCounter::default();
    let bare_client = nba_props::adapters::dynamodb::client(
        &local.endpoints.dynamodb_config().await,
        Some(bare_counter.clone()),
    );
    let bare = PredictionTable::new(bare_client, bare_stack.table("PredictionsTable")?);
    let now = chrono::Utc::now();
    let keys_of = |chunk: &[PredictionRequest]| -> Vec<FeatureKey> {
        chunk
            .iter()
            .map(|r| FeatureKey {
                player_lookup: r.player_lookup.clone(),
                game_date: r.game_date,
            })
            .collect()
    };

    // Writer and bare loop take turns batch by batch, so JVM warm-up and table growth
    // in DynamoDB Local weigh on both alike.
    let before = writer.requests.snapshot();
    let units_before = writer.requests.units();
    let (mut writer_secs, mut bare_secs, mut read_secs) = (0.0, 0.0, 0.0);
    let mut written = 0;
    let per_generation = requests.len() / 2;
    for (generation, features) in generations.iter().enumerate() {
        // Seeded through an uncounted client: set-up, not the writer's work.
        stream::iter(features)
            .map(|f| writer.features.put(f))
            .buffer_unordered(16)
            .try_collect::<Vec<_>>()
            .await?;
        let inputs: HashMap<FeatureKey, PredictionInputs> = features
            .iter()
            .map(|f| {
                let key = FeatureKey {
                    player_lookup: f.player_lookup.clone(),
                    game_date: f.game_date,
                };
                let lines = lines.get(&key).cloned().unwrap_or_default();
                (
                    key,
                    PredictionInputs {
                        features: f.clone(),
                        lines,
                    },
                )
            })
            .collect();
        let range = generation * per_generation..(generation + 1) * per_generation;
        for chunk in requests[range].chunks(10) {
            let event = batches(chunk).remove(0);
            let start = Instant::now();
            let (response, tally) = handle_batch(&writer.writer, event).await;
            writer_secs += start.elapsed().as_secs_f64();
            assert!(
                response?.batch_item_failures.is_empty(),
                "the bench data has no bad records"
            );
            written += tally.created + tally.replaced;

            let items: Vec<_> = chunk
                .iter()
                .flat_map(|r| {
                    let key = FeatureKey {
                        player_lookup: r.player_lookup.clone(),
                        game_date: r.game_date,
                    };
                    predictions_for(r, &inputs[&key], &writer.config.model_version, now)
                })
                .collect();
            let start = Instant::now();
            let mut pending = Vec::with_capacity(items.len());
            for p in &items {
                pending.push(bare.put_if_newer(p));
            }
            let outcomes: Vec<_> = stream::iter(pending)
                .buffer_unordered(concurrency)
                .collect()
                .await;
            bare_secs += start.elapsed().as_secs_f64();
            for o in outcomes {
                o?;
            }

            // The writer's one read per batch, timed alone (not counted in its requests).
            let start = Instant::now();
            writer.features.get_many(&keys_of(chunk)).await?;
            read_secs += start.elapsed().as_secs_f64();
        }
    }
    let after = writer.requests.snapshot();
    let units = writer.requests.units();
    let delta =
        |op: &str| after.get(op).copied().unwrap_or(0) - before.get(op).copied().unwrap_or(0);
    let new_requests: u64 = after.values().sum::<u64>() - before.values().sum::<u64>();
    assert_eq!(written, requests.len() as u64 * predictions_per_request);
    let bare_puts = bare_counter.get("PutItem");

    // Duplicates: the second generation delivered again.
    let redelivered = batches(&requests[requests.len() / 2..]);
    let before = writer.requests.total();
    let mut duplicates = 0;
    let start = Instant::now();
    for event in redelivered {
        let (_, tally) = handle_batch(&writer.writer, event).await;
        duplicates += tally.duplicates;
    }
    let duplicate_secs = start.elapsed().as_secs_f64();
    let duplicate_requests = writer.requests.total() - before;

    let predictions = written as f64;
    let writer_rate = predictions / writer_secs;
    let bare_rate = predictions / bare_secs;
    println!(
        "writer:     {written} predictions in {writer_secs:.2} s = {writer_rate:.0} predictions/s"
    );
    println!(
        "bare puts:  {bare_puts} conditional PutItem in {bare_secs:.2} s = {bare_rate:.0} puts/s"
    );
    println!("ratio writer/bare: {:.2}", writer_rate / bare_rate);
    println!(
        "the writer's features read (one BatchGetItem per batch): {:.1} ms per batch, {:.0}% of the writer's time",
        1000.0 * read_secs / events.len() as f64,
        100.0 * read_secs / writer_secs
    );
    println!(
        "DynamoDB capacity per new prediction: {:.3} write units, {:.3} read units",
        (units.write - units_before.write) / predictions,
        (units.read - units_before.read) / predictions,
    );
    println!(
        "DynamoDB requests per new prediction: {:.3} (PutItem {:.3}, BatchGetItem {:.3}, GetItem {:.3})",
        new_requests as f64 / predictions,
        delta("PutItem") as f64 / predictions,
        delta("BatchGetItem") as f64 / predictions,
        delta("GetItem") as f64 / predictions,
    );
    println!(
        "duplicates: {duplicates} suppressed in {duplicate_secs:.2} s, {:.3} DynamoDB requests each \
         (DynamoDB Local returns no old item on a failed condition, so each costs a fallback GetItem; \
         real DynamoDB returns it with the failure)",
        duplicate_requests as f64 / duplicates.max(1) as f64
    );
    Ok(())
}
