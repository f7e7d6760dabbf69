//! The main job, `nba-props replay`: real days of a season, day by day, through the
//! production functions only.
//!
//! Each day, as the deployed pipeline would see it:
//! 1. overnight, the previous game day's box scores arrive (one game's is held back and
//!    arrives on the bus some days later, as a backfill would bring it);
//! 2. at 06:00 New York the completeness check runs with the scheduler's own input
//!    (`{"scheduled_time": ...}`): it reports missing games, asks for their backfill and
//!    resets the breakers whose data has arrived, re-enqueuing their work;
//! 3. the day's schedule fans out its work; the five processors compute features; each
//!    composite asks for its player's predictions;
//! 4. the day's sportsbook lines arrive (one `prop_lines` message per game): a new or
//!    moved line re-prices the players whose features exist;
//! 5. the prediction writer drains its queue.
//!
//! Everything goes through the template's queues (the processor queue, the prediction
//! queue) and the handlers, against DynamoDB Local and moto. The report is computed
//! from the predictions table and the data files, not from the handlers' tallies alone.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::Instant;

use anyhow::Result;
use chrono::{NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use nba_props::domain::backfill::BackfillTally;
use nba_props::domain::completeness::{scheduler_input, six_am_new_york};
use nba_props::domain::processor::ProcessorTally;
use nba_props::domain::processor_message::ProcessorMessage;
use nba_props::model::ids::split_entity_id;
use nba_props::model::{
    FeatureKey, LineSource, Market, PlayerGameFeatures, Prediction, Recommendation, Schedule,
};
use nba_props::ports::FeatureStore;
use serde::Serialize;

use nba_props::adapters::dynamodb::CapacityUnits;

use crate::bill::{Bill, US_EAST_1};
use crate::box_score_source::{Answer, StandInSource};
use crate::dataset::{Dataset, LateGame, late_game};
use crate::event_source::DrainStats;
use crate::nba_data::{GameDay, PropConversion};
use crate::provision::LocalStack;

/// The events/ example for the writer (its body is a real request).
pub const WRITER_EVENT: &str = "events/prediction-writer/sqs-prediction-requests.json";

/// What to replay.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// First date (the data's first when unset).
    pub from: Option<NaiveDate>,
    /// Last date (the data's last when unset).
    pub to: Option<NaiveDate>,
    /// Hold one game's box score back and let it arrive later.
    pub late_box_score: bool,
    /// Read back the composite features of every prediction into the report.
    pub keep_features: bool,
    /// Show a progress bar (on stderr).
    pub progress: bool,
}

/// One day of the replay.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DayReport {
    /// The date.
    pub date: NaiveDate,
    /// Games scheduled.
    pub games: usize,
    /// Box scores stored overnight (of earlier dates).
    pub box_scores_stored: u64,
    /// Work items the processors completed.
    pub work_items: u64,
    /// Breakers tripped.
    pub breakers_tripped: u64,
    /// Breakers the morning check reset.
    pub breakers_reset: u32,
    /// Games the morning check reported missing.
    pub games_missing: usize,
    /// Prop lines stored (new or moved).
    pub prop_lines_stored: u64,
    /// Sportsbook rows whose name matched no player of the game's teams.
    pub prop_rows_unmatched: u64,
    /// Predictions of the date in the table with a line (at the end of the run).
    pub predictions_with_line: usize,
    /// Predictions of the date in the table without one.
    pub predictions_without_line: usize,
    /// Writes the writer suppressed as duplicates that day.
    pub duplicates_suppressed: u64,
}

/// Model against line for one market, on the same rows (predictions with a line and a
/// known result).
#[derive(Debug, Clone, Serialize)]
pub struct MarketReport {
    /// Market.
    pub market: Market,
    /// Rows compared.
    pub rows: usize,
    /// Mean absolute error of the model.
    pub model_mae: f64,
    /// Mean absolute error of the line.
    pub line_mae: f64,
    /// OVER/UNDER calls.
    pub calls: usize,
    /// Calls that won.
    pub hits: usize,
    /// Calls where the result equalled the line.
    pub pushes: usize,
    /// Hits over decided calls.
    pub hit_rate: Option<f64>,
}

/// The late box score and what happened to it.
#[derive(Debug, Clone, Serialize)]
pub struct LateReport {
    /// The game held back.
    pub game_id: String,
    /// Its date.
    pub game_date: NaiveDate,
    /// The date its box score arrived (overnight before this date's check).
    pub arrived: NaiveDate,
    /// The date whose work needed it (its breakers tripped then).
    pub breakers_tripped_on: NaiveDate,
    /// Players locked out on that date.
    pub players_locked_out: usize,
    /// Of those, players with their three predictions at the end.
    pub players_predicted: usize,
    /// Fetches the backfill made (one per morning it was asked, at most one per
    /// cooldown window).
    pub backfill_fetches: u64,
    /// HTTP requests the stand-in source received for the game.
    pub backfill_http_requests: u64,
    /// Breakers the processor reset as the box score was stored.
    pub breakers_reset_on_arrival: u64,
    /// Work items their reset enqueued again.
    pub work_reenqueued_on_arrival: u64,
    /// Seconds from the backfill's fetch to the processor queue drained: fetched over
    /// HTTP, published, routed, stored, breakers reset, their work enqueued and run.
    pub seconds_to_heal: f64,
    /// The morning reports the topic's subscriber received while it was missing and
    /// once it had arrived.
    pub summaries: Vec<String>,
}

/// The requests the run sent, counted by SDK interceptors as they went out.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RequestFigures {
    /// Game days run.
    pub game_days: usize,
    /// DynamoDB requests per function, per operation.
    pub dynamodb: BTreeMap<String, BTreeMap<String, u64>>,
    /// SQS requests (sends, the event sources' receives and deletes), per operation.
    pub sqs: BTreeMap<String, u64>,
    /// EventBridge requests (PutEvents), per operation.
    pub eventbridge: BTreeMap<String, u64>,
    /// DynamoDB capacity units per function, as the responses reported them.
    pub dynamodb_units: BTreeMap<String, CapacityUnits>,
    /// Function invocations, per function.
    pub invocations: BTreeMap<String, u64>,
    /// Time inside each function's handler, summed, milliseconds (measured here, on
    /// local servers).
    pub handler_millis: BTreeMap<String, u64>,
    /// Calendar days from the first game day run to the last, both included.
    pub calendar_days: usize,
}

impl RequestFigures {
    /// The sum of a per-operation map.
    pub fn total(map: &BTreeMap<String, u64>) -> u64 {
        map.values().sum()
    }

    /// DynamoDB requests of one function.
    pub fn dynamodb_of(&self, function: &str) -> u64 {
        self.dynamodb.get(function).map_or(0, Self::total)
    }
}

/// The whole replay.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// Where the data came from.
    pub source: String,
    /// Per day.
    pub days: Vec<DayReport>,
    /// Per market.
    pub markets: Vec<MarketReport>,
    /// How the prop files became messages.
    pub prop_conversion: PropConversion,
    /// The late box score, when one was held back.
    pub late: Option<LateReport>,
    /// (player, date, market) keys with more than one item in the predictions table.
    pub duplicate_keys_in_table: usize,
    /// Morning checks run, and the reports a subscriber of the report topic received.
    pub morning_reports: (usize, usize),
    /// Wall time of the run, seconds.
    pub wall_seconds: f64,
    /// Requests sent.
    pub requests: RequestFigures,
    /// What those requests would cost on AWS.
    pub bill: Bill,
    /// The predictions, for `--out`.
    #[serde(skip)]
    pub predictions: Vec<(Prediction, Option<f64>)>,
    /// The composite features stored for them, by player and date, when asked for.
    #[serde(skip)]
    pub features: Vec<PlayerGameFeatures>,
}

/// Runs the replay on a provisioned stack.
pub async fn run(
    stack: &LocalStack,
    data: &Dataset,
    options: &ReplayOptions,
) -> Result<ReplayReport> {
    let started = Instant::now();
    let all_days = data.days()?;
    let days: Vec<&GameDay> = all_days
        .iter()
        .filter(|d| {
            options.from.is_none_or(|f| d.date >= f) && options.to.is_none_or(|t| d.date <= t)
        })
        .collect();
    anyhow::ensure!(!days.is_empty(), "no game days in the chosen dates");
    let (snapshots, prop_conversion) = data.snapshots(&all_days);
    let late: Option<LateGame> = if options.late_box_score && days.len() >= 5 {
        let owned: Vec<GameDay> = days.iter().map(|d| (*d).clone()).collect();
        Some(late_game(&owned)?)
    } else {
        None
    };
    // The late score arrives overnight before the morning after the date its absence
    // trips breakers on; its arrival resets them (the morning check is the safety net).
    let arrival = late.as_ref().map(|l| l.next + chrono::Duration::days(1));

    let processor = stack.processor().await?;
    let checker = stack.completeness_checker().await?;
    let writer = stack.prediction_writer().await?;
    // The box-score source the backfill fetches from: a real HTTP server on this
    // machine, which does not have the late game until it arrives.
    let source = StandInSource::start(
        all_days.iter().flat_map(|d| d.box_scores.iter().cloned()),
        0,
        Answer::Final,
    )
    .await?;
    if let Some(l) = &late {
        source.answer(&l.game_id, Answer::NotFound);
    }
    let backfill = stack.backfill_with(&source.url(), &[]).await?;

    // Count from here: provisioning is not the pipeline's work.
    stack.moto_requests.reset();
    let mut invocations: BTreeMap<String, u64> = BTreeMap::new();
    let mut handler_millis: BTreeMap<String, u64> = BTreeMap::new();
    let mut count = |function: &str, d: DrainStats| {
        *invocations.entry(function.to_string()).or_default() += d.invocations;
        *handler_millis.entry(function.to_string()).or_default() += d.handler_millis;
    };

    let bar = if options.progress {
        let bar = ProgressBar::new(days.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} days  {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };

    // The report topic's subscriber: where an email address would be.
    let mailbox = stack.subscribe_queue("CompletenessReportTopic").await?;
    let mut morning_reports = (0, 0);
    let mut reports = Vec::with_capacity(days.len());
    let mut summaries = Vec::new();
    let mut late_arrived = false;
    let mut healed: Option<(ProcessorTally, f64)> = None;
    let mut backfills = BackfillTally::default();
    let mut locked: BTreeSet<String> = BTreeSet::new();
    let mut previous: Option<&GameDay> = None;
    for day in &days {
        bar.set_message(day.date.to_string());
        let mut report = DayReport {
            date: day.date,
            games: day.schedule.games.len(),
            ..DayReport::default()
        };
        // 1. Overnight: the previous game day's box scores (the late one held back).
        let overnight: Vec<String> = previous
            .into_iter()
            .flat_map(|d| &d.box_scores)
            .filter(|b| late.as_ref().is_none_or(|l| l.game_id != b.game_id))
            .map(|b| ProcessorMessage::BoxScore(b.clone()).to_body())
            .collect();
        if let (Some(l), Some(arrival)) = (&late, arrival)
            && !late_arrived
            && day.date >= arrival
        {
            // The source has the game now; the next backfill request fetches it.
            source.answer(&l.game_id, Answer::Final);
            late_arrived = true;
        }
        let (d, t) = stack.drain_after(&processor, &overnight).await?;
        count("processor", d);
        report.box_scores_stored += t.box_scores_stored;

        // 2. 06:00: the scheduler's input, as deployed.
        let input = scheduler_input(day.date);
        let check_started = Instant::now();
        let check = checker.checker.check_input(&input, Utc::now()).await?;
        count(
            "completeness-checker",
            DrainStats {
                invocations: 1,
                handler_millis: check_started.elapsed().as_millis() as u64,
                ..DrainStats::default()
            },
        );
        report.breakers_reset = check.circuit_breakers_reset;
        report.games_missing = check.missing_games.len();
        // The report rule's delivery to the topic (emulated locally: `topic_relay`).
        stack.relay_to_topics().await?;
        let delivered = stack.delivered(&mailbox).await?;
        morning_reports.0 += 1;
        morning_reports.1 += delivered.len();
        if late.is_some() && (!check.missing_games.is_empty() || check.circuit_breakers_reset > 0) {
            summaries.extend(delivered);
        }
        // The backfill answers the check's requests (the rule routes them to its
        // queue); what it publishes reaches the processor by the ingest rule, which
        // stores it and resets the breakers that waited for it.
        let backfill_started = Instant::now();
        let (d, b) = stack
            .drain_backfill_at(&backfill, six_am_new_york(day.date))
            .await?;
        count("backfill", d);
        backfills += b;
        let (d, t) = stack.drain_processor(&processor).await?;
        count("processor", d);
        report.box_scores_stored += t.box_scores_stored;
        report.work_items += t.work_done;
        report.breakers_tripped += t.breakers_tripped;
        if b.published > 0 && healed.is_none() {
            healed = Some((t, backfill_started.elapsed().as_secs_f64()));
        }

        // 3. The day's schedule: fan-out, processors, composites. The schedule source
        // also sends the off days since the last game day, as empty schedules: a date
        // without one is a failed ingest to the morning check.
        let mut schedules: Vec<String> = previous
            .map(|p| p.date.succ_opt().expect("a next day"))
            .into_iter()
            .flat_map(|from| from.iter_days().take_while(|d| *d < day.date))
            .map(|off_day| {
                ProcessorMessage::Schedule(Schedule {
                    game_date: off_day,
                    games: Vec::new(),
                })
                .to_body()
            })
            .collect();
        schedules.push(ProcessorMessage::Schedule(day.schedule.clone()).to_body());
        let (d, t) = stack.drain_after(&processor, &schedules).await?;
        count("processor", d);
        report.work_items += t.work_done;
        report.breakers_tripped += t.breakers_tripped;

        // 4. The day's lines.
        let lines: Vec<String> = snapshots
            .get(&day.date)
            .into_iter()
            .flatten()
            .map(|s| ProcessorMessage::PropLines(s.clone()).to_body())
            .collect();
        let (d, t) = stack.drain_after(&processor, &lines).await?;
        count("processor", d);
        report.prop_lines_stored += t.prop_lines_stored;
        report.prop_rows_unmatched += t.prop_rows_unmatched;

        // 5. The writer.
        let (d, w) = stack.drain_writer(&writer).await?;
        count("prediction-writer", d);
        report.duplicates_suppressed += w.duplicates;
        // The players the late score locked out, read while their breakers are open.
        if let Some(l) = late.as_ref().filter(|l| l.next == day.date) {
            for b in
                nba_props::ports::BreakerResets::tripped_on(&processor.breakers, l.next).await?
            {
                if b.key.processor_name == nba_props::model::ProcessorName::PlayerDailyCache
                    && let Some((_, player)) = split_entity_id(&b.key.entity_id)
                {
                    locked.insert(player.to_string());
                }
            }
        }
        reports.push(report);
        previous = Some(day);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let (sqs, eventbridge): (BTreeMap<String, u64>, BTreeMap<String, u64>) = stack
        .moto_requests
        .snapshot()
        .into_iter()
        .partition(|(op, _)| op != "PutEvents");
    let requests = RequestFigures {
        game_days: reports.len(),
        dynamodb: BTreeMap::from([
            ("processor".to_string(), processor.requests.snapshot()),
            (
                "completeness-checker".to_string(),
                checker.requests.snapshot(),
            ),
            ("prediction-writer".to_string(), writer.requests.snapshot()),
            ("backfill".to_string(), backfill.requests.snapshot()),
        ]),
        dynamodb_units: BTreeMap::from([
            ("processor".to_string(), processor.requests.units()),
            ("completeness-checker".to_string(), checker.requests.units()),
            ("prediction-writer".to_string(), writer.requests.units()),
            ("backfill".to_string(), backfill.requests.units()),
        ]),
        sqs,
        eventbridge,
        invocations,
        handler_millis,
        calendar_days: days
            .first()
            .zip(days.last())
            .map_or(0, |(a, b)| (b.date - a.date).num_days() as usize + 1),
    };

    // The table, read back: predictions per date, and the one-item-per-key contract.
    let results = data.results();
    let mut predictions = Vec::new();
    let mut keys = BTreeSet::new();
    let mut duplicate_keys = 0;
    for report in &mut reports {
        let stored = writer.predictions.for_game_date(report.date).await?;
        for p in stored {
            // By the items' own attributes, not the sort key: an item written under
            // another key shape would still be a second prediction.
            if !keys.insert((p.player_lookup.clone(), p.game_date.clone(), p.market)) {
                duplicate_keys += 1;
            }
            if p.line_source == LineSource::ActualProp {
                report.predictions_with_line += 1;
            } else {
                report.predictions_without_line += 1;
            }
            let actual = results
                .get(&(p.player_lookup.clone(), report.date))
                .map(|r| r.stat(p.market));
            predictions.push((p, actual));
        }
    }
    let markets = Market::ALL
        .into_iter()
        .map(|m| market_report(m, &predictions))
        .collect();
    // The composite features the processors stored for every prediction, read after the
    // counters so they do not count: the writer's tests and bench start from these.
    let mut features = Vec::new();
    if options.keep_features {
        let keys: Vec<FeatureKey> = predictions
            .iter()
            .map(|(p, _)| -> Result<FeatureKey> {
                Ok(FeatureKey {
                    player_lookup: p.player_lookup.clone(),
                    game_date: p.game_date.parse()?,
                })
            })
            .collect::<Result<BTreeSet<_>>>()?
            .into_iter()
            .collect();
        let stored = FeatureStore::get_many(&writer.features, &keys).await?;
        features = keys
            .iter()
            .filter_map(|k| stored.get(k).map(|i| i.features.clone()))
            .collect();
    }

    let late = match late {
        Some(l) => {
            let next = l.next.to_string();
            let predicted = locked
                .iter()
                .filter(|player| {
                    predictions
                        .iter()
                        .filter(|(p, _)| &p.player_lookup == *player && p.game_date == next)
                        .count()
                        == 3
                })
                .count();
            Some(LateReport {
                game_id: l.game_id.clone(),
                game_date: l.game_date,
                arrived: arrival.expect("set with the late game"),
                breakers_tripped_on: l.next,
                players_locked_out: locked.len(),
                players_predicted: predicted,
                backfill_fetches: backfills.fetched,
                backfill_http_requests: source.requests(&l.game_id),
                breakers_reset_on_arrival: healed.map_or(0, |(t, _)| t.breakers_reset),
                work_reenqueued_on_arrival: healed.map_or(0, |(t, _)| t.work_enqueued),
                seconds_to_heal: healed.map_or(0.0, |(_, s)| s),
                summaries,
            })
        }
        None => None,
    };

    // The template the stack was provisioned from, already parsed.
    let template = &stack.template;
    let mut memory_mb = BTreeMap::new();
    for (function, binary) in [
        ("processor", "processor"),
        ("completeness-checker", "completeness-checker"),
        ("prediction-writer", "prediction-writer"),
        ("backfill", "backfill"),
    ] {
        let id = template.function_for_binary(binary)?;
        memory_mb.insert(function.to_string(), template.function_memory_mb(id)?);
    }
    // Queues a Lambda event source polls: the template's SQS events.
    let mut polled_queues = 0;
    for id in template.ids_of("AWS::Serverless::Function") {
        polled_queues += template.sqs_event_sources(id)?.len() as u64;
    }
    let bill = Bill::estimate(&requests, &memory_mb, polled_queues, US_EAST_1);
    Ok(ReplayReport {
        source: data.source.display().to_string(),
        days: reports,
        markets,
        prop_conversion,
        late,
        duplicate_keys_in_table: duplicate_keys,
        morning_reports,
        wall_seconds: started.elapsed().as_secs_f64(),
        requests,
        bill,
        predictions,
        features,
    })
}

/// Model against line for one market on the predictions with a line and a result.
pub fn market_report(market: Market, predictions: &[(Prediction, Option<f64>)]) -> MarketReport {
    let rows: Vec<(&Prediction, f64, f64)> = predictions
        .iter()
        .filter(|(p, _)| p.market == market)
        .filter_map(|(p, actual)| Some((p, p.line?, (*actual)?)))
        .collect();
    let n = rows.len();
    let mean = |f: &dyn Fn(&(&Prediction, f64, f64)) -> f64| {
        if n == 0 {
            0.0
        } else {
            rows.iter().map(f).sum::<f64>() / n as f64
        }
    };
    let model_mae = mean(&|(p, _, a)| (p.predicted_value - a).abs());
    let line_mae = mean(&|(_, l, a)| (l - a).abs());
    let calls: Vec<_> = rows
        .iter()
        .filter(|(p, _, _)| {
            matches!(
                p.recommendation,
                Recommendation::Over | Recommendation::Under
            )
        })
        .collect();
    let pushes = calls.iter().filter(|(_, l, a)| a == l).count();
    let hits = calls
        .iter()
        .filter(|(p, l, a)| a != l && (p.recommendation == Recommendation::Over) == (a > l))
        .count();
    let decided = calls.len() - pushes;
    MarketReport {
        market,
        rows: n,
        model_mae,
        line_mae,
        calls: calls.len(),
        hits,
        pushes,
        hit_rate: (decided > 0).then(|| hits as f64 / decided as f64),
    }
}

impl ReplayReport {
    /// The report as a person reads it.
    pub fn write_text(&self, out: &mut impl Write) -> Result<()> {
        writeln!(out, "data: {}", self.source)?;
        let c = &self.prop_conversion;
        writeln!(
            out,
            "prop files: {} offers; {} rows of points/rebounds/assists sent as prop_lines messages \
             ({} rows of other markets left out, {} without line or odds, {} of games not in the schedule)",
            c.offers, c.rows, c.other_markets, c.incomplete, c.unknown_game
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "date        games  boxes  work  tripped  reset  missing  lines  unmatched  with-line  no-line  dups"
        )?;
        for d in &self.days {
            writeln!(
                out,
                "{}  {:>5}  {:>5}  {:>4}  {:>7}  {:>5}  {:>7}  {:>5}  {:>9}  {:>9}  {:>7}  {:>4}",
                d.date,
                d.games,
                d.box_scores_stored,
                d.work_items,
                d.breakers_tripped,
                d.breakers_reset,
                d.games_missing,
                d.prop_lines_stored,
                d.prop_rows_unmatched,
                d.predictions_with_line,
                d.predictions_without_line,
                d.duplicates_suppressed
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "market     rows  model MAE  line MAE  calls  hits  pushes  hit rate   (rows: predictions with a line and a result)"
        )?;
        for m in &self.markets {
            writeln!(
                out,
                "{:<9} {:>5}  {:>9.2}  {:>8.2}  {:>5}  {:>4}  {:>6}  {}",
                m.market.as_str(),
                m.rows,
                m.model_mae,
                m.line_mae,
                m.calls,
                m.hits,
                m.pushes,
                m.hit_rate
                    .map_or("-".to_string(), |r| format!("{:.1}%", 100.0 * r))
            )?;
        }
        if let Some(l) = &self.late {
            writeln!(out)?;
            writeln!(
                out,
                "late box score: {} of {} held back, arrived before the 06:00 check of {}",
                l.game_id, l.game_date, l.arrived
            )?;
            writeln!(
                out,
                "backfill: {} fetches over HTTP ({} requests to the source) until it was there",
                l.backfill_fetches, l.backfill_http_requests
            )?;
            writeln!(
                out,
                "on arrival: {} breakers reset, {} work items re-enqueued and run, {:.1} s from the backfill's fetch to drained",
                l.breakers_reset_on_arrival, l.work_reenqueued_on_arrival, l.seconds_to_heal
            )?;
            for s in &l.summaries {
                writeln!(out)?;
                for line in s.lines() {
                    writeln!(out, "  {line}")?;
                }
            }
            writeln!(
                out,
                "\nplayers locked out of {}: {}; with their three predictions now: {}",
                l.breakers_tripped_on, l.players_locked_out, l.players_predicted
            )?;
        }
        let r = &self.requests;
        let per_day = |n: u64| n as f64 / r.game_days.max(1) as f64;
        let per_day_f = |n: f64| n / r.game_days.max(1) as f64;
        writeln!(out)?;
        writeln!(
            out,
            "requests per game day ({} days): DynamoDB {:.0} (processor {:.0}, checker {:.0}, writer {:.0}, backfill {:.1}), \
             SQS {:.0}, EventBridge {:.1}; function invocations {:.0}",
            r.game_days,
            per_day(r.dynamodb.values().map(RequestFigures::total).sum()),
            per_day(r.dynamodb_of("processor")),
            per_day(r.dynamodb_of("completeness-checker")),
            per_day(r.dynamodb_of("prediction-writer")),
            per_day(r.dynamodb_of("backfill")),
            per_day(RequestFigures::total(&r.sqs)),
            per_day(RequestFigures::total(&r.eventbridge)),
            per_day(RequestFigures::total(&r.invocations)),
        )?;
        let units = r
            .dynamodb_units
            .values()
            .fold(CapacityUnits::default(), |a, b| a + *b);
        writeln!(
            out,
            "DynamoDB units per game day: {:.0} write, {:.0} read ({:.0} refused conditional writes); \
             handler time per game day {:.1} s",
            per_day_f(units.write),
            per_day_f(units.read),
            per_day(units.refused_writes),
            per_day(RequestFigures::total(&r.handler_millis)) / 1000.0,
        )?;
        let b = &self.bill;
        writeln!(
            out,
            "\nestimated AWS bill for these {} game days ({} calendar days), {} on-demand prices of {} ({}):",
            b.game_days, b.calendar_days, b.prices.region, b.prices.as_of, b.prices.source
        )?;
        for l in &b.lines {
            writeln!(
                out,
                "  {:<32} {:>14.0} {:<20} ${:>9.4}",
                l.item, l.quantity, l.unit, l.usd
            )?;
        }
        writeln!(
            out,
            "  {:<32} {:>14} {:<20} ${:>9.4}",
            "total", "", "", b.total_usd
        )?;
        writeln!(
            out,
            "predictions table: {} items, {} keys with more than one item; wall time {:.0} s",
            self.predictions.len(),
            self.duplicate_keys_in_table,
            self.wall_seconds
        )?;
        writeln!(
            out,
            "morning reports: {} checks, {} delivered to the report topic's subscriber",
            self.morning_reports.0, self.morning_reports.1
        )?;
        Ok(())
    }

    /// Writes the predictions as CSV.
    pub fn write_csv(&self, out: impl Write) -> Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "player_lookup",
            "game_date",
            "market",
            "predicted",
            "line",
            "bookmaker",
            "recommendation",
            "actual",
        ])?;
        for (p, actual) in &self.predictions {
            let rec = serde_json::to_value(p.recommendation)?;
            w.write_record([
                p.player_lookup.clone(),
                p.game_date.clone(),
                p.market.to_string(),
                p.predicted_value.to_string(),
                p.line.map(|l| l.to_string()).unwrap_or_default(),
                p.bookmaker.clone().unwrap_or_default(),
                rec.as_str().unwrap_or_default().to_string(),
                actual.map(|a| a.to_string()).unwrap_or_default(),
            ])?;
        }
        w.flush()?;
        Ok(())
    }
}
