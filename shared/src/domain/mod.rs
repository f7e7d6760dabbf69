//! The domain: what the pipeline does, in plain functions and types that run without
//! AWS. Each module imports `model`, `ports` and the domain modules below it, never an
//! adapter, an `aws_*` crate or a Lambda event type; the handlers feed it.
//!
//! - `processor_message`, `prediction_request`: the two queue message formats and
//!   their validation.
//! - `breaker`: the circuit-breaker rules (open, lockout, what a reset re-enqueues).
//! - `processors/`: the five feature processors, one file each.
//! - `processor/`: the processor function's work: the batch loop, ingest, fan-out and
//!   work run under its breaker.
//! - `prediction`: the baseline model and the prediction items it makes; `model_v2`:
//!   the line-shrinkage model with its probability of OVER;
//!   `prediction_writer`: the writer's batch.
//! - `completeness`: the morning check, breaker resets and backfill requests.
//! - `batch`: failures of one queue batch, record by record.
//! - `backtest`: how predictions are judged against the line (errors, calls with
//!   their interval, calibration).

pub mod backfill;
pub mod backtest;
pub mod batch;
pub mod boxscore_v3;
pub mod breaker;
pub mod breaker_reset;
pub mod completeness;
pub mod model_v2;
pub mod prediction;
pub mod prediction_request;
pub mod prediction_writer;
pub mod processor;
pub mod processor_message;
pub mod processors;
pub mod prop_lines;
