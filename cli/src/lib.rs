//! Local tooling for nba-props-serverless: the local AWS stand-ins, provisioning from
//! `infra/template.yaml`, an SQS event-source poller, the real-data readers and
//! fixtures, and the
//! local replay (the writer on a season's slates, then late data healed by the
//! completeness check). Used by the `nba-props` binary, the integration tests and the benches.

pub mod backtest;
pub mod backtest_plot;
pub mod bill;
pub mod box_score_source;
pub mod breaker_status;
pub mod dataset;
pub mod dlq;
pub mod event_source;
pub mod fault_proxy;
pub mod local_aws;
pub mod local_functions;
pub mod model_fit;
pub mod nba_data;
pub mod operator;
pub mod prediction_audit;
pub mod prop_names;
pub mod provision;
pub mod replay;
pub mod runtime_api;
pub mod season_store;
pub mod stack_resources;
pub mod template;
pub mod topic_relay;
