//! The features table: key `entity_id` (`player#...`, `team#...`) + `feature_key`.
//!
//! | item | entity_id | feature_key |
//! |---|---|---|
//! | a processor's output | `player#LOOKUP` / `team#ABC` | `processor#YYYY-MM-DD` |
//! | a chosen prop line | `player#LOOKUP` | `prop_line#YYYY-MM-DD#market` |
//!
//! A player's lines sit beside his composite features, so the writer reads both for a
//! whole batch in one BatchGetItem, and its role names one table.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use sha2::{Digest, Sha256};

use super::{batch_get, get_decoded, is_conditional_failure, keys, s};
use crate::model::ids::feature_key;
use crate::model::{
    FeatureKey, Market, PlayerGameFeatures, PredictionInputs, ProcessorName, PropLine,
};
use crate::ports::{
    FeatureSink, FeatureSource, FeatureStore, LineOutcome, PropLineStore, StoreError,
};

/// Attribute holding the hash of a processor output, so that a recompute giving the same
/// output writes nothing (and keeps its `computed_at`).
const OUTPUT_HASH: &str = "output_hash";
/// Attribute of an output's computation time (the composite's), if it has one.
const COMPUTED_AT: &str = "computed_at";

/// The features table.
#[derive(Debug, Clone)]
pub struct FeatureTable {
    client: Client,
    table: String,
}

fn item_key(entity_id: &str, feature_key: String) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (keys::ENTITY_ID.to_string(), s(entity_id)),
        (keys::FEATURE_KEY.to_string(), s(feature_key)),
    ])
}

/// SHA-256 of an output without its `computed_at`: equal for equal features.
fn output_hash(output: &serde_json::Value) -> String {
    let mut content = output.clone();
    if let Some(map) = content.as_object_mut() {
        map.remove(COMPUTED_AT);
    }
    // serde_json's maps are sorted, so equal values serialise equally.
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

impl FeatureTable {
    /// Wraps a client and table name.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Stores a player's composite features for a game date (as the composite does).
    pub async fn put(&self, features: &PlayerGameFeatures) -> Result<(), StoreError> {
        let json =
            serde_json::to_value(features).map_err(|e| StoreError::new("encoding features", e))?;
        self.put_output(
            &PlayerGameFeatures::entity_id(&features.player_lookup),
            ProcessorName::PlayerCompositeFactors,
            features.game_date,
            &json,
        )
        .await
    }

    /// Reads one stored prop line (strongly consistent).
    pub async fn line(
        &self,
        player_lookup: &str,
        game_date: chrono::NaiveDate,
        market: Market,
    ) -> Result<Option<PropLine>, StoreError> {
        let key = item_key(
            &PlayerGameFeatures::entity_id(player_lookup),
            PropLine::feature_key(game_date, market),
        );
        get_decoded(&self.client, &self.table, key).await
    }
}

impl FeatureSource for FeatureTable {
    /// Strongly consistent: the composite reads what a processor has just written.
    async fn get_output(
        &self,
        entity_id: &str,
        processor: ProcessorName,
        analysis_date: chrono::NaiveDate,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let key = item_key(entity_id, feature_key(processor, analysis_date));
        get_decoded(&self.client, &self.table, key).await
    }

    async fn stored_outputs(
        &self,
        entity_ids: &[String],
        processor: ProcessorName,
        analysis_date: chrono::NaiveDate,
    ) -> Result<HashSet<String>, StoreError> {
        let mut unique: Vec<&String> = entity_ids.iter().collect();
        unique.sort();
        unique.dedup();
        let item_keys = unique
            .iter()
            .map(|e| item_key(e, feature_key(processor, analysis_date)))
            .collect();
        Ok(batch_get(&self.client, &self.table, item_keys, true)
            .await?
            .into_iter()
            .filter_map(|item| {
                item.get(keys::ENTITY_ID)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
            })
            .collect())
    }
}

impl FeatureSink for FeatureTable {
    /// Writes the output unless the stored one is the same (its hash) or, for outputs
    /// with a `computed_at`, was computed later: a recompute from the same inputs changes
    /// nothing, and an older computation never replaces a newer one.
    async fn put_output(
        &self,
        entity_id: &str,
        processor: ProcessorName,
        analysis_date: chrono::NaiveDate,
        output: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(output).map_err(|e| StoreError::new("encoding features", e))?;
        let hash = output_hash(output);
        item.insert(OUTPUT_HASH.into(), s(&hash));
        item.extend(item_key(entity_id, feature_key(processor, analysis_date)));
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .expression_attribute_names("#e", keys::ENTITY_ID)
            .expression_attribute_names("#h", OUTPUT_HASH)
            .expression_attribute_values(":h", s(hash));
        put = match output.get(COMPUTED_AT).and_then(|c| c.as_str()) {
            Some(computed_at) => put
                .condition_expression(
                    "attribute_not_exists(#e) OR attribute_not_exists(#h) \
                     OR (#h <> :h AND (attribute_not_exists(#c) OR #c < :c))",
                )
                .expression_attribute_names("#c", COMPUTED_AT)
                .expression_attribute_values(":c", s(computed_at)),
            None => put.condition_expression(
                "attribute_not_exists(#e) OR attribute_not_exists(#h) OR #h <> :h",
            ),
        };
        match put.send().await {
            Ok(_) => Ok(()),
            // The same output (or a later computation) is stored: nothing to do.
            Err(e) if is_conditional_failure(&e) => Ok(()),
            Err(e) => Err(StoreError::new(
                format!("PutItem {}", self.table),
                DisplayErrorContext(e),
            )),
        }
    }
}

impl PropLineStore for FeatureTable {
    /// One conditional UpdateItem. It lands when no line is stored, or the stored one
    /// is from an older snapshot and differs in line, book or odds; `previous_line`
    /// takes the replaced line (read by the update itself, no read before the write).
    async fn put_line_if_newer(&self, line: &PropLine) -> Result<LineOutcome, StoreError> {
        let key = item_key(
            &PlayerGameFeatures::entity_id(&line.player_lookup),
            PropLine::feature_key(line.game_date, line.market),
        );
        let n = |v: f64| AttributeValue::N(v.to_string());
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(
                "SET previous_line = if_not_exists(#line, :none), #line = :line, \
                 player_lookup = :player, game_date = :date, market = :market, \
                 bookmaker = :book, over_odds = :over, under_odds = :under, \
                 snapshot_at = :snap, chosen_by = :by, books = :books",
            )
            .condition_expression(
                "attribute_not_exists(#e) OR (snapshot_at < :snap AND \
                 (#line <> :line OR bookmaker <> :book OR over_odds <> :over OR under_odds <> :under))",
            )
            .expression_attribute_names("#e", keys::ENTITY_ID)
            .expression_attribute_names("#line", "line")
            .expression_attribute_values(":none", AttributeValue::Null(true))
            .expression_attribute_values(":line", n(line.line))
            .expression_attribute_values(":player", s(&line.player_lookup))
            .expression_attribute_values(":date", s(line.game_date.to_string()))
            .expression_attribute_values(":market", s(line.market.as_str()))
            .expression_attribute_values(":book", s(&line.bookmaker))
            .expression_attribute_values(":over", n(f64::from(line.over_odds)))
            .expression_attribute_values(":under", n(f64::from(line.under_odds)))
            .expression_attribute_values(":snap", s(&line.snapshot_at))
            .expression_attribute_values(":by", s(&line.chosen_by))
            .expression_attribute_values(":books", n(f64::from(line.books)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(LineOutcome::Stored),
            Err(e) if is_conditional_failure(&e) => Ok(LineOutcome::Unchanged),
            Err(e) => Err(StoreError::new(
                format!("UpdateItem {}", self.table),
                DisplayErrorContext(e),
            )),
        }
    }
}

impl FeatureStore for FeatureTable {
    /// The composite features and the three markets' lines of every key, in one
    /// strongly consistent BatchGetItem (four items a key; up to 25 keys a request).
    async fn get_many(
        &self,
        keys: &[FeatureKey],
    ) -> Result<HashMap<FeatureKey, PredictionInputs>, StoreError> {
        let mut unique: Vec<&FeatureKey> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        let mut item_keys = Vec::with_capacity(unique.len() * 4);
        for k in &unique {
            let entity = PlayerGameFeatures::entity_id(&k.player_lookup);
            item_keys.push(item_key(
                &entity,
                PlayerGameFeatures::feature_key(k.game_date),
            ));
            for market in Market::ALL {
                item_keys.push(item_key(
                    &entity,
                    PropLine::feature_key(k.game_date, market),
                ));
            }
        }
        let decode_err = |e| StoreError::new(format!("decoding item of {}", self.table), e);
        // Strongly consistent: right after a recompute or a line move, an eventually
        // consistent read could return the previous version, and the prediction would
        // be made from it.
        let mut features = HashMap::new();
        let mut lines: HashMap<FeatureKey, Vec<PropLine>> = HashMap::new();
        for item in batch_get(&self.client, &self.table, item_keys, true).await? {
            let is_line = item
                .get(keys::FEATURE_KEY)
                .and_then(|v| v.as_s().ok())
                .is_some_and(|k| k.starts_with("prop_line#"));
            if is_line {
                let line: PropLine = serde_dynamo::from_item(item).map_err(decode_err)?;
                let key = FeatureKey {
                    player_lookup: line.player_lookup.clone(),
                    game_date: line.game_date,
                };
                lines.entry(key).or_default().push(line);
            } else {
                let f: PlayerGameFeatures = serde_dynamo::from_item(item).map_err(decode_err)?;
                let key = FeatureKey {
                    player_lookup: f.player_lookup.clone(),
                    game_date: f.game_date,
                };
                features.insert(key, f);
            }
        }
        Ok(features
            .into_iter()
            .map(|(key, features)| {
                let lines = lines
                    .remove(&key)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|l| (l.market, l))
                    .collect();
                (key, PredictionInputs { features, lines })
            })
            .collect())
    }
}
