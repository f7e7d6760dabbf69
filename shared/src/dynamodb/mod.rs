//! DynamoDB adapter: the prediction and feature tables here, game data and breakers in
//! their own files.

pub mod breakers;
pub mod game_data;

pub use breakers::BreakerTable;
pub use game_data::GameDataTable;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::{BoxError, DisplayErrorContext};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, ReturnValue, ReturnValuesOnConditionCheckFailure,
};
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

use crate::StoreError;
use crate::features::{FeatureKey, FeatureSink, FeatureSource, FeatureStore, PlayerGameFeatures};
use crate::prediction::{Prediction, PredictionStore, WriteOutcome};

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

/// Index of the predictions table by game date (declared in `infra/template.yaml`).
pub const BY_GAME_DATE_INDEX: &str = "by-game-date";

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
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
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

    /// Starts counting from zero again.
    pub fn reset(&self) {
        if let Ok(mut c) = self.counts.lock() {
            c.clear();
        }
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
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

/// The predictions table.
#[derive(Debug, Clone)]
pub struct PredictionTable {
    client: Client,
    table: String,
}

impl PredictionTable {
    /// Wraps a client and table name.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Reads the stored `generated_at` of a key (strongly consistent); used only when
    /// a conditional write failed and the store did not return the old item.
    async fn stored_generated_at(&self, p: &Prediction) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PLAYER_LOOKUP, s(&p.player_lookup))
            .key(keys::PREDICTION_KEY, s(&p.prediction_key))
            .projection_expression("generated_at")
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| {
                StoreError::new(format!("GetItem {}", self.table), DisplayErrorContext(e))
            })?;
        Ok(out
            .item()
            .and_then(|i| i.get("generated_at"))
            .and_then(|v| v.as_s().ok())
            .cloned())
    }

    /// Every prediction of a game date, through the `by-game-date` index.
    pub async fn for_game_date(
        &self,
        game_date: chrono::NaiveDate,
    ) -> Result<Vec<Prediction>, StoreError> {
        let pages: Vec<_> = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_GAME_DATE_INDEX)
            .key_condition_expression("game_date = :d")
            .expression_attribute_values(":d", s(game_date.to_string()))
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        pages
            .into_iter()
            .map(|item| {
                let item = item.map_err(|e| {
                    StoreError::new(format!("Query {}", self.table), DisplayErrorContext(e))
                })?;
                serde_dynamo::from_item(item)
                    .map_err(|e| StoreError::new(format!("decoding item of {}", self.table), e))
            })
            .collect()
    }

    /// Reads one stored prediction (strongly consistent).
    pub async fn get(
        &self,
        player_lookup: &str,
        prediction_key: &str,
    ) -> Result<Option<Prediction>, StoreError> {
        let key = HashMap::from([
            (keys::PLAYER_LOOKUP.to_string(), s(player_lookup)),
            (keys::PREDICTION_KEY.to_string(), s(prediction_key)),
        ]);
        get_decoded(&self.client, &self.table, key).await
    }
}

impl PredictionStore for PredictionTable {
    async fn put_if_newer(&self, prediction: &Prediction) -> Result<WriteOutcome, StoreError> {
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(prediction)
            .map_err(|e| StoreError::new("encoding prediction", e))?;
        // A lost race against a delete between the failed put and the fallback read
        // is retried; three rounds is far more than that window needs.
        for _ in 0..3 {
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                // Lands only where nothing is stored or what is stored is strictly older;
                // canonical timestamps compare as strings in time order.
                .condition_expression("attribute_not_exists(#pk) OR #gen < :gen")
                .expression_attribute_names("#pk", keys::PLAYER_LOOKUP)
                .expression_attribute_names("#gen", "generated_at")
                .expression_attribute_values(":gen", s(&prediction.generated_at))
                .return_values(ReturnValue::AllOld)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let err = match result {
                Ok(out) => {
                    let replaced = out.attributes().is_some_and(|a| !a.is_empty());
                    return Ok(if replaced {
                        WriteOutcome::Replaced
                    } else {
                        WriteOutcome::Created
                    });
                }
                Err(err) => err,
            };
            let Some(PutItemError::ConditionalCheckFailedException(conflict)) =
                err.as_service_error()
            else {
                return Err(StoreError::new(
                    format!("PutItem {}", self.table),
                    DisplayErrorContext(err),
                ));
            };
            // Real DynamoDB returns the old item with the conflict; DynamoDB Local does
            // not, so read it then.
            let returned = conflict
                .item()
                .and_then(|i| i.get("generated_at"))
                .and_then(|v| v.as_s().ok())
                .cloned();
            let stored = match returned {
                Some(stored) => Some(stored),
                None => self.stored_generated_at(prediction).await?,
            };
            match stored {
                Some(stored) if stored == prediction.generated_at => {
                    return Ok(WriteOutcome::Duplicate);
                }
                Some(stored) if stored > prediction.generated_at => return Ok(WriteOutcome::Stale),
                // Stored is older or gone: the item changed since the write; try again.
                _ => continue,
            }
        }
        Err(StoreError::new(
            format!("PutItem {}", self.table),
            "item kept changing under the conditional write",
        ))
    }
}

/// The features table.
#[derive(Debug, Clone)]
pub struct FeatureTable {
    client: Client,
    table: String,
}

impl FeatureTable {
    /// Wraps a client and table name.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Stores a player's composite features for a game date (overwrites).
    pub async fn put(&self, features: &PlayerGameFeatures) -> Result<(), StoreError> {
        let json =
            serde_json::to_value(features).map_err(|e| StoreError::new("encoding features", e))?;
        self.put_output(
            &PlayerGameFeatures::entity_id(&features.player_lookup),
            crate::breaker::ProcessorName::PlayerCompositeFactors,
            features.game_date,
            &json,
        )
        .await
    }
}

impl FeatureSource for FeatureTable {
    /// Strongly consistent: the composite reads what a processor has just written.
    async fn get_output(
        &self,
        entity_id: &str,
        processor: crate::breaker::ProcessorName,
        analysis_date: chrono::NaiveDate,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let key = HashMap::from([
            (keys::ENTITY_ID.to_string(), s(entity_id)),
            (
                keys::FEATURE_KEY.to_string(),
                s(format!("{processor}#{analysis_date}")),
            ),
        ]);
        get_decoded(&self.client, &self.table, key).await
    }
}

impl FeatureSink for FeatureTable {
    async fn put_output(
        &self,
        entity_id: &str,
        processor: crate::breaker::ProcessorName,
        analysis_date: chrono::NaiveDate,
        output: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(output).map_err(|e| StoreError::new("encoding features", e))?;
        item.insert(keys::ENTITY_ID.into(), s(entity_id));
        item.insert(
            keys::FEATURE_KEY.into(),
            s(format!("{processor}#{analysis_date}")),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| {
                StoreError::new(format!("PutItem {}", self.table), DisplayErrorContext(e))
            })?;
        Ok(())
    }
}

impl FeatureStore for FeatureTable {
    async fn get_many(
        &self,
        keys: &[FeatureKey],
    ) -> Result<HashMap<FeatureKey, PlayerGameFeatures>, StoreError> {
        let mut unique: Vec<&FeatureKey> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        let item_keys = unique
            .iter()
            .map(|k| {
                HashMap::from([
                    (
                        keys::ENTITY_ID.to_string(),
                        s(PlayerGameFeatures::entity_id(&k.player_lookup)),
                    ),
                    (
                        keys::FEATURE_KEY.to_string(),
                        s(PlayerGameFeatures::feature_key(k.game_date)),
                    ),
                ])
            })
            .collect();
        let mut found = HashMap::new();
        // Features change once per analysis date: an eventually consistent read is enough.
        for item in batch_get(&self.client, &self.table, item_keys, false).await? {
            let features: PlayerGameFeatures = serde_dynamo::from_item(item)
                .map_err(|e| StoreError::new(format!("decoding item of {}", self.table), e))?;
            let key = FeatureKey {
                player_lookup: features.player_lookup.clone(),
                game_date: features.game_date,
            };
            found.insert(key, features);
        }
        Ok(found)
    }
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
