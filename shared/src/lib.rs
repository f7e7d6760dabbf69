//! The library every nba-props-serverless function shares, in layers; each imports
//! only the layers above it in this list:
//!
//! - [`model`]: leaf types (ids, names, stored records, timestamps, rounding). Imports
//!   nothing of the crate.
//! - [`config`] and [`metrics`]: configuration from the environment, and the EMF
//!   metrics document.
//! - [`ports`]: the traits the domain needs from storage, queues and the bus.
//! - [`domain`]: what the pipeline does (message formats, breakers, feature
//!   processors, the writer, the completeness check), without AWS or Lambda types.
//! - [`adapters`]: the AWS services behind the ports; the SDK is named only here.
//! - [`handlers`]: one module per function, from its Lambda event to domain calls and
//!   back; the only place that sees `aws_lambda_events`.

pub mod adapters;
pub mod config;
pub mod domain;
pub mod handlers;
pub mod metrics;
pub mod model;
pub mod ports;
