//! What a replay's traffic would cost on AWS at on-demand prices: DynamoDB by the
//! capacity units the responses reported, SQS and EventBridge by the requests sent,
//! Lambda by invocations and the handler time measured locally.
//!
//! An estimate, and the README says so: handler time is measured on this machine
//! against local servers (DynamoDB Local answers in milliseconds where DynamoDB
//! answers in single-digit milliseconds too, but the CPU is not a Graviton), storage,
//! logs and data transfer are left out, and prices change.

use std::collections::BTreeMap;

use serde::Serialize;

use nba_props::adapters::dynamodb::CapacityUnits;

use crate::replay::RequestFigures;

/// On-demand prices in one region, with where and when they were read.
#[derive(Debug, Clone, Serialize)]
pub struct Prices {
    /// Region the prices are for.
    pub region: &'static str,
    /// The pages they come from.
    pub source: &'static str,
    /// When they were read.
    pub as_of: &'static str,
    /// DynamoDB on-demand, USD per million write request units.
    pub dynamodb_write_units_per_million: f64,
    /// DynamoDB on-demand, USD per million read request units.
    pub dynamodb_read_units_per_million: f64,
    /// SQS standard queues, USD per million requests (each 64 KB chunk is a request).
    pub sqs_requests_per_million: f64,
    /// EventBridge, USD per million custom events published.
    pub eventbridge_events_per_million: f64,
    /// Lambda, USD per million requests.
    pub lambda_requests_per_million: f64,
    /// Lambda on arm64, USD per GB-second.
    pub lambda_arm64_gb_second: f64,
}

/// us-east-1 list prices, free tiers not deducted. DynamoDB's are the on-demand prices
/// after AWS halved them on 2024-11-01.
pub const US_EAST_1: Prices = Prices {
    region: "us-east-1",
    source: "aws.amazon.com/{dynamodb,sqs,eventbridge,lambda}/pricing",
    as_of: "2026-11-30",
    dynamodb_write_units_per_million: 0.625,
    dynamodb_read_units_per_million: 0.125,
    sqs_requests_per_million: 0.40,
    eventbridge_events_per_million: 1.00,
    lambda_requests_per_million: 0.20,
    lambda_arm64_gb_second: 0.000_013_333_4,
};

/// Receives an idle SQS event source sends per queue and day, an assumption stated
/// rather than measured: about five pollers long-polling 20 s each (3 a minute).
pub const IDLE_RECEIVES_PER_QUEUE_DAY: u64 = 5 * 3 * 24 * 60;

/// One line of the bill.
#[derive(Debug, Clone, Serialize)]
pub struct BillLine {
    /// What is billed.
    pub item: String,
    /// How many units.
    pub quantity: f64,
    /// The unit.
    pub unit: &'static str,
    /// USD.
    pub usd: f64,
}

/// The estimated bill of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Bill {
    /// The prices used.
    pub prices: Prices,
    /// Game days the run covered.
    pub game_days: usize,
    /// Calendar days from its first game day to its last.
    pub calendar_days: usize,
    /// The lines.
    pub lines: Vec<BillLine>,
    /// Their sum, USD.
    pub total_usd: f64,
}

impl Bill {
    /// Prices a run's measured traffic. `memory_mb` is each function's configured memory.
    pub fn estimate(
        figures: &RequestFigures,
        memory_mb: &BTreeMap<String, u64>,
        polled_queues: u64,
        prices: Prices,
    ) -> Self {
        let mut lines = Vec::new();
        let mut line = |item: String, quantity: f64, unit, per_unit: f64| {
            lines.push(BillLine {
                item,
                quantity,
                unit,
                usd: quantity * per_unit,
            });
        };
        let units = figures
            .dynamodb_units
            .values()
            .fold(CapacityUnits::default(), |a, b| a + *b);
        line(
            "DynamoDB writes".into(),
            units.write,
            "write request units",
            prices.dynamodb_write_units_per_million / 1e6,
        );
        line(
            "DynamoDB reads".into(),
            units.read,
            "read request units",
            prices.dynamodb_read_units_per_million / 1e6,
        );
        line(
            "SQS (sends, receives, deletes)".into(),
            RequestFigures::total(&figures.sqs) as f64,
            "requests",
            prices.sqs_requests_per_million / 1e6,
        );
        line(
            "SQS idle polling (assumed)".into(),
            (polled_queues * IDLE_RECEIVES_PER_QUEUE_DAY * figures.calendar_days as u64) as f64,
            "requests",
            prices.sqs_requests_per_million / 1e6,
        );
        line(
            "EventBridge".into(),
            RequestFigures::total(&figures.eventbridge) as f64,
            "events",
            prices.eventbridge_events_per_million / 1e6,
        );
        line(
            "Lambda invocations".into(),
            RequestFigures::total(&figures.invocations) as f64,
            "requests",
            prices.lambda_requests_per_million / 1e6,
        );
        let gb_seconds: f64 = figures
            .handler_millis
            .iter()
            .map(|(function, millis)| {
                let gb = memory_mb.get(function).copied().unwrap_or(128) as f64 / 1024.0;
                gb * *millis as f64 / 1000.0
            })
            .sum();
        line(
            "Lambda duration (arm64)".into(),
            gb_seconds,
            "GB-seconds",
            prices.lambda_arm64_gb_second,
        );
        let total_usd = lines.iter().map(|l| l.usd).sum();
        Self {
            prices,
            game_days: figures.game_days,
            calendar_days: figures.calendar_days,
            lines,
            total_usd,
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn prices_each_measured_quantity_at_its_rate() {
        let figures = RequestFigures {
            game_days: 2,
            calendar_days: 3,
            dynamodb_units: BTreeMap::from([(
                "processor".to_string(),
                CapacityUnits {
                    read: 2e6,
                    write: 1e6,
                    refused_writes: 0,
                },
            )]),
            sqs: BTreeMap::from([("SendMessage".to_string(), 1_000_000)]),
            eventbridge: BTreeMap::from([("PutEvents".to_string(), 500_000)]),
            invocations: BTreeMap::from([("processor".to_string(), 4_000_000)]),
            handler_millis: BTreeMap::from([("processor".to_string(), 8_000_000)]),
            ..RequestFigures::default()
        };
        let memory = BTreeMap::from([("processor".to_string(), 512)]);
        let bill = Bill::estimate(&figures, &memory, 2, US_EAST_1);
        let usd = |item: &str| {
            bill.lines
                .iter()
                .find(|l| l.item.starts_with(item))
                .unwrap()
                .usd
        };
        assert!((usd("DynamoDB writes") - 0.625).abs() < 1e-9);
        assert!((usd("DynamoDB reads") - 0.25).abs() < 1e-9);
        assert!((usd("SQS (") - 0.40).abs() < 1e-9);
        // Two queues, 21,600 idle receives a day each, three calendar days.
        assert!((usd("SQS idle") - 129_600.0 * 0.40 / 1e6).abs() < 1e-12);
        assert!((usd("EventBridge") - 0.50).abs() < 1e-9);
        assert!((usd("Lambda invocations") - 0.80).abs() < 1e-9);
        // 8,000 s at 0.5 GB.
        assert!((usd("Lambda duration") - 4_000.0 * 0.000_013_333_4).abs() < 1e-9);
        let sum: f64 = bill.lines.iter().map(|l| l.usd).sum();
        assert!((bill.total_usd - sum).abs() < 1e-12);
    }
}
