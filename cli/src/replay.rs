//! The local pipeline on real data, part one of `nba-props replay`: the prediction
//! writer on a season's slates with their real prop lines.
//!
//! Features are computed in process from the game logs here (quick, and the writer is
//! what this part shows); the processor path is part two, [`crate::late_data`]. From
//! the features on it is the real path: prediction requests go through the template's
//! SQS queue to the prediction writer, which writes DynamoDB Local. Every request is
//! then delivered a second time, as SQS may do, to show that nothing changes.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt, stream};
use nba_props::domain::prediction_request::PredictionRequest;
use nba_props::domain::prediction_writer::WriterTally;
use nba_props::model::{Market, Prediction, Recommendation};

use crate::dataset::{Dataset, morning_of};
use crate::event_source::send_bodies;
use crate::local_aws::repo_root;
use crate::provision::LocalStack;

/// The events/ example for the writer.
pub const WRITER_EVENT: &str = "events/prediction-writer/sqs-prediction-requests.json";

/// What the replay did, for the summary and for tests.
#[derive(Debug, Clone, Default)]
pub struct ReplaySummary {
    /// Requests sent per delivery round.
    pub requests: usize,
    /// Writer tallies, first delivery.
    pub first: WriterTally,
    /// Writer tallies, redelivery.
    pub redelivery: WriterTally,
    /// Predictions stored per date.
    pub stored: BTreeMap<NaiveDate, usize>,
}

/// Runs the replay of `dates` (all slate dates when empty) on a provisioned stack and
/// prints a report to `out`.
pub async fn run(
    stack: &LocalStack,
    data: &Dataset,
    dates: &[NaiveDate],
    out: &mut impl Write,
) -> Result<ReplaySummary> {
    let local = stack.prediction_writer().await?;
    let sqs = stack.sqs().await;
    let queue = stack.queue_url("PredictionQueue")?;

    let features = data.features();
    writeln!(
        out,
        "data: {} ({} player lines)",
        data.source.display(),
        data.lines.len()
    )?;
    writeln!(
        out,
        "features: {} player-games computed from the logs; seeding the features table",
        features.len()
    )?;
    stream::iter(&features)
        .map(|f| local.features.put(f))
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;

    let dates: Vec<NaiveDate> = if dates.is_empty() {
        data.slate_dates()
    } else {
        dates.to_vec()
    };
    let mut bodies: Vec<String> = dates
        .iter()
        .flat_map(|d| data.requests_for(&features, *d, morning_of(*d)))
        .map(|r| r.to_body())
        .collect();
    // The events/ example goes through the same queue.
    let example: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join(WRITER_EVENT))
            .context("reading the events/ example")?,
    )?;
    for record in example["Records"].as_array().into_iter().flatten() {
        if let Some(body) = record["body"].as_str() {
            bodies.push(body.to_string());
        }
    }

    let mut summary = ReplaySummary {
        requests: bodies.len(),
        ..ReplaySummary::default()
    };
    for round in 0..2 {
        send_bodies(&sqs, &queue, &bodies).await?;
        let (stats, tally) = stack.drain_writer(&local).await?;
        writeln!(
            out,
            "{}: {} requests in {} batches -> created {}, replaced {}, duplicates suppressed {}, stale ignored {}, failed records {}",
            if round == 0 { "delivery" } else { "redelivery" },
            bodies.len(),
            stats.invocations,
            tally.created,
            tally.replaced,
            tally.duplicates,
            tally.stale,
            tally.failed_records
        )?;
        if round == 0 {
            summary.first = tally;
        } else {
            summary.redelivery = tally;
        }
    }

    let results = data.results();
    writeln!(out)?;
    writeln!(
        out,
        "date        stored  lines  model MAE  line MAE  calls  hits  (points; calls = OVER/UNDER)"
    )?;
    let mut last = Vec::new();
    for date in &dates {
        let stored = local.predictions.for_game_date(*date).await?;
        summary.stored.insert(*date, stored.len());
        let scored: Vec<(&Prediction, f64)> = stored
            .iter()
            .filter(|p| p.market == Market::Points && p.line.is_some())
            .filter_map(|p| {
                results
                    .get(&(p.player_lookup.clone(), *date))
                    .map(|r| (p, r.stat(Market::Points)))
            })
            .collect();
        let n = scored.len().max(1) as f64;
        let model_mae = scored
            .iter()
            .map(|(p, a)| (p.predicted_value - a).abs())
            .sum::<f64>()
            / n;
        let line_mae = scored
            .iter()
            .map(|(p, a)| (p.line.unwrap_or_default() - a).abs())
            .sum::<f64>()
            / n;
        let calls: Vec<_> = scored
            .iter()
            .filter(|(p, a)| {
                matches!(
                    p.recommendation,
                    Recommendation::Over | Recommendation::Under
                ) && p.line != Some(*a)
            })
            .collect();
        let hits = calls
            .iter()
            .filter(|(p, a)| {
                (p.recommendation == Recommendation::Over) == (*a > p.line.unwrap_or_default())
            })
            .count();
        writeln!(
            out,
            "{date}  {:>6}  {:>5}  {model_mae:>9.2}  {line_mae:>8.2}  {:>5}  {hits:>4}",
            stored.len(),
            scored.len(),
            calls.len()
        )?;
        last = stored;
    }
    writeln!(out)?;
    if let Some(date) = dates.last() {
        writeln!(out, "sample of {date} (points):")?;
        writeln!(
            out,
            "player                     pred   line  rec      actual"
        )?;
        let mut sample: Vec<_> = last
            .iter()
            .filter(|p| p.market == Market::Points && p.line.is_some())
            .collect();
        sample.sort_by(|a, b| b.predicted_value.total_cmp(&a.predicted_value));
        for p in sample.iter().take(12) {
            let actual = results
                .get(&(p.player_lookup.clone(), *date))
                .map(|r| r.pts.to_string())
                .unwrap_or_default();
            writeln!(
                out,
                "{:<26} {:>5.1}  {:>5.1}  {:<7}  {actual:>6}",
                p.player_lookup,
                p.predicted_value,
                p.line.unwrap_or_default(),
                format!("{:?}", p.recommendation).to_uppercase()
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "the events/ example ({WRITER_EVENT}) as written:")?;
    for record in example["Records"].as_array().into_iter().flatten() {
        let Some(request) = record["body"]
            .as_str()
            .and_then(|b| PredictionRequest::parse(b).ok())
        else {
            continue;
        };
        for market in Market::ALL {
            if let Some(p) = local
                .predictions
                .get(
                    &request.player_lookup,
                    &Prediction::key_for(request.game_date, market),
                )
                .await?
            {
                writeln!(out, "  {}", serde_json::to_string(&p)?)?;
            }
        }
    }
    Ok(summary)
}
