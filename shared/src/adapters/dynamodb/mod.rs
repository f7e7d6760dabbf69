//! DynamoDB adapter: one file per table (`predictions`, `features`, `game_data`,
//! `breakers`), each implementing its ports; here the client, the key attribute names
//! and the helpers they share.

pub mod backfill_ledger;
pub mod breakers;
pub mod features;
pub mod game_data;
pub mod predictions;

pub use breakers::BreakerTable;
pub use features::FeatureTable;
pub use game_data::GameDataTable;
pub use predictions::PredictionTable;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::{BoxError, DisplayErrorContext};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConsumedCapacity, KeysAndAttributes, ReturnConsumedCapacity,
};
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
    BeforeTransmitInterceptorContextRef, Input, Output,
};
use aws_smithy_runtime_api::client::orchestrator::{Metadata, OrchestratorError};

use crate::ports::StoreError;

/// Attribute names of the key schemas, as `infra/template.yaml` declares them.
pub mod keys {
    /// Predictions: partition key.
    pub const PLAYER_LOOKUP: &str = "player_lookup";
    /// Predictions: sort key (`YYYY-MM-DD#market`).
    pub const PREDICTION_KEY: &str = "prediction_key";
    /// Features: partition key (`player#lookup`, `team#ABC`).
    pub const ENTITY_ID: &str = "entity_id";
    /// Features: sort key (`processor#YYYY-MM-DD`).
    pub const FEATURE_KEY: &str = "feature_key";
    /// Game data table: partition key.
    pub const PK: &str = "pk";
    /// Game data table: sort key.
    pub const SK: &str = "sk";
    /// Breakers table: partition key (`processor#entity`).
    pub const BREAKER_ID: &str = "breaker_id";
    /// Breakers table: sort key.
    pub const ANALYSIS_DATE: &str = "analysis_date";
}

/// BatchGetItem takes at most 100 keys.
const BATCH_GET_LIMIT: usize = 100;
/// Rounds of retrying `UnprocessedKeys` before giving up.
const UNPROCESSED_ROUNDS: u32 = 5;

/// Reads one item by key with a strongly consistent read and decodes it.
pub(crate) async fn get_decoded<T: for<'de> serde::Deserialize<'de>>(
    client: &Client,
    table: &str,
    key: HashMap<String, AttributeValue>,
) -> Result<Option<T>, StoreError> {
    let out = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| store_err("GetItem", table, e))?;
    out.item
        .map(serde_dynamo::from_item)
        .transpose()
        .map_err(|e| StoreError::new(format!("decoding item of {table}"), e))
}

/// A whole-number attribute of an item, 0 when absent or not a number.
pub(crate) fn number(item: &HashMap<String, AttributeValue>, name: &str) -> u32 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A failed call on a table, with the SDK error rendered with its sources.
pub(crate) fn store_err(op: &str, table: &str, e: impl std::error::Error + 'static) -> StoreError {
    StoreError::new(format!("{op} {table}"), DisplayErrorContext(e))
}

/// Whether a DynamoDB call failed only because its condition did not hold.
pub(crate) fn is_conditional_failure<E, R>(e: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// Counts the HTTP requests a client sends, per operation (retries included), so tests
/// and benchmarks can state DynamoDB requests per prediction from what was sent.
///
/// On a DynamoDB client it also asks every request for its consumed capacity
/// (`ReturnConsumedCapacity: TOTAL`) and adds up the read and write units the
/// responses report, since on-demand tables bill units, not requests.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    units: Arc<Mutex<CapacityUnits>>,
}

/// DynamoDB capacity consumed, as the responses report it.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CapacityUnits {
    /// Read units (GetItem, BatchGetItem, Query).
    pub read: f64,
    /// Write units (PutItem, UpdateItem, BatchWriteItem).
    pub write: f64,
    /// Conditional writes refused: DynamoDB bills them (at least one write unit each)
    /// but reports no capacity with the error, so each is counted here and as one
    /// unit in `write`.
    pub refused_writes: u64,
}

impl std::ops::Add for CapacityUnits {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            read: self.read + o.read,
            write: self.write + o.write,
            refused_writes: self.refused_writes + o.refused_writes,
        }
    }
}

impl RequestCounter {
    /// Requests sent so far, per operation name ("PutItem", ...).
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Requests of one operation so far.
    pub fn get(&self, operation: &str) -> u64 {
        self.snapshot().get(operation).copied().unwrap_or(0)
    }

    /// All requests so far.
    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }

    /// Capacity units consumed so far (DynamoDB clients only).
    pub fn units(&self) -> CapacityUnits {
        self.units.lock().map(|u| *u).unwrap_or_default()
    }

    /// Starts counting from zero again.
    pub fn reset(&self) {
        if let Ok(mut c) = self.counts.lock() {
            c.clear();
        }
        if let Ok(mut u) = self.units.lock() {
            *u = CapacityUnits::default();
        }
    }

    fn add_units(&self, units: CapacityUnits) {
        if let Ok(mut u) = self.units.lock() {
            *u = *u + units;
        }
    }
}

/// The capacity a DynamoDB response reports, or one refused write for a failed
/// conditional write; `None` for anything else (other services' outputs included).
fn consumed_units(
    output: Result<
        &Output,
        &OrchestratorError<aws_smithy_runtime_api::client::interceptors::context::Error>,
    >,
) -> Option<CapacityUnits> {
    use aws_sdk_dynamodb::operation as op;
    let total =
        |c: Option<&ConsumedCapacity>| c.and_then(ConsumedCapacity::capacity_units).unwrap_or(0.0);
    let sum = |c: Option<&Vec<ConsumedCapacity>>| {
        c.map_or(0.0, |v| {
            v.iter().filter_map(ConsumedCapacity::capacity_units).sum()
        })
    };
    let read = |read| {
        Some(CapacityUnits {
            read,
            ..Default::default()
        })
    };
    let write = |write| {
        Some(CapacityUnits {
            write,
            ..Default::default()
        })
    };
    match output {
        Ok(out) => {
            if let Some(o) = out.downcast_ref::<op::get_item::GetItemOutput>() {
                read(total(o.consumed_capacity.as_ref()))
            } else if let Some(o) = out.downcast_ref::<op::query::QueryOutput>() {
                read(total(o.consumed_capacity.as_ref()))
            } else if let Some(o) = out.downcast_ref::<op::batch_get_item::BatchGetItemOutput>() {
                read(sum(o.consumed_capacity.as_ref()))
            } else if let Some(o) = out.downcast_ref::<op::put_item::PutItemOutput>() {
                write(total(o.consumed_capacity.as_ref()))
            } else if let Some(o) = out.downcast_ref::<op::update_item::UpdateItemOutput>() {
                write(total(o.consumed_capacity.as_ref()))
            } else if let Some(o) = out.downcast_ref::<op::batch_write_item::BatchWriteItemOutput>()
            {
                write(sum(o.consumed_capacity.as_ref()))
            } else {
                None
            }
        }
        Err(e) => {
            let e = e.as_operation_error()?;
            let refused = e
                .downcast_ref::<op::put_item::PutItemError>()
                .is_some_and(op::put_item::PutItemError::is_conditional_check_failed_exception)
                || e.downcast_ref::<op::update_item::UpdateItemError>()
                    .is_some_and(
                        op::update_item::UpdateItemError::is_conditional_check_failed_exception,
                    );
            refused.then_some(CapacityUnits {
                read: 0.0,
                write: 1.0,
                refused_writes: 1,
            })
        }
    }
}

/// Sets `ReturnConsumedCapacity: TOTAL` on a DynamoDB input the adapters send.
fn ask_for_capacity(input: &mut Input) {
    use aws_sdk_dynamodb::operation as op;
    let total = Some(ReturnConsumedCapacity::Total);
    if let Some(i) = input.downcast_mut::<op::get_item::GetItemInput>() {
        i.return_consumed_capacity = total;
    } else if let Some(i) = input.downcast_mut::<op::query::QueryInput>() {
        i.return_consumed_capacity = total;
    } else if let Some(i) = input.downcast_mut::<op::batch_get_item::BatchGetItemInput>() {
        i.return_consumed_capacity = total;
    } else if let Some(i) = input.downcast_mut::<op::put_item::PutItemInput>() {
        i.return_consumed_capacity = total;
    } else if let Some(i) = input.downcast_mut::<op::update_item::UpdateItemInput>() {
        i.return_consumed_capacity = total;
    } else if let Some(i) = input.downcast_mut::<op::batch_write_item::BatchWriteItemInput>() {
        i.return_consumed_capacity = total;
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        ask_for_capacity(context.input_mut());
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(units) = consumed_units(context.output_or_error()) {
            self.add_units(units);
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_else(|| "unknown".into());
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry(operation).or_default() += 1;
        }
        Ok(())
    }
}

/// Builds a DynamoDB client from the shared SDK configuration, optionally counting requests.
pub fn client(sdk: &aws_config::SdkConfig, counter: Option<RequestCounter>) -> Client {
    let mut builder = aws_sdk_dynamodb::config::Builder::from(sdk);
    if let Some(counter) = counter {
        builder = builder.interceptor(counter);
    }
    Client::from_conf(builder.build())
}

/// Reads items by key with BatchGetItem: 100 keys a request, unprocessed keys asked
/// again with backoff. `consistent` asks for strongly consistent reads.
pub(crate) async fn batch_get(
    client: &Client,
    table: &str,
    keys: Vec<HashMap<String, AttributeValue>>,
    consistent: bool,
) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
    let mut found = Vec::new();
    for chunk in keys.chunks(BATCH_GET_LIMIT) {
        let mut pending = chunk.to_vec();
        let mut round = 0;
        while !pending.is_empty() {
            if round == UNPROCESSED_ROUNDS {
                return Err(StoreError::new(
                    format!("BatchGetItem {table}"),
                    format!(
                        "{} keys still unprocessed after {round} rounds",
                        pending.len()
                    ),
                ));
            }
            if round > 0 {
                // Unprocessed keys mean throttling: back off before asking again.
                tokio::time::sleep(Duration::from_millis(50 << round)).await;
            }
            round += 1;
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(consistent)
                .build()
                .map_err(|e| StoreError::new("building BatchGetItem", e))?;
            let out = client
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .map_err(|e| {
                    StoreError::new(format!("BatchGetItem {table}"), DisplayErrorContext(e))
                })?;
            found.extend(
                out.responses
                    .unwrap_or_default()
                    .remove(table)
                    .unwrap_or_default(),
            );
            if let Some(rest) = out.unprocessed_keys.and_then(|mut u| u.remove(table)) {
                pending = rest.keys;
            }
        }
    }
    Ok(found)
}
