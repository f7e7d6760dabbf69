//! The circuit breakers table: key `breaker_id` (`processor#entity`) + `analysis_date`,
//! TTL attribute `expires_at`, sparse GSI `tripped-by-date` on `tripped_date` (present
//! only while tripped) for the completeness check.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, NaiveDate, Utc};

use super::{batch_get, is_conditional_failure, keys, number, s, store_err};
use crate::domain::breaker::lockout;
use crate::model::{
    BreakerKey, BreakerSettings, BreakerState, ProcessorName, TrippedBreaker, canonical_timestamp,
};
use crate::ports::{BreakerResets, BreakerStore, FailureOutcome, ResetOutcome, StoreError};

/// TTL attribute of the breakers table (as `infra/template.yaml` declares it).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// Sparse index of tripped breakers by analysis date.
pub const TRIPPED_BY_DATE_INDEX: &str = "tripped-by-date";

/// The breakers table.
#[derive(Debug, Clone)]
pub struct BreakerTable {
    client: Client,
    table: String,
}

fn key(k: &BreakerKey) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (keys::BREAKER_ID.to_string(), s(k.breaker_id())),
        (
            keys::ANALYSIS_DATE.to_string(),
            s(k.analysis_date.to_string()),
        ),
    ])
}

fn state_of(item: &HashMap<String, AttributeValue>) -> BreakerState {
    BreakerState {
        attempt_count: number(item, "attempt_count"),
        circuit_breaker_tripped: item
            .get("circuit_breaker_tripped")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false),
        circuit_breaker_until: item
            .get("circuit_breaker_until")
            .and_then(|v| v.as_s().ok())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)),
        last_error: item.get("last_error").and_then(|v| v.as_s().ok()).cloned(),
        trip_event_pending: item
            .get("trip_event_pending")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok()),
    }
}

impl BreakerTable {
    /// Wraps a client and table name.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The first step of counting a failure: adds one to the count atomically (every
    /// failure lands, however many race) and returns the breaker as it is now.
    pub async fn count_failure(
        &self,
        k: &BreakerKey,
        error: &str,
        settings: &BreakerSettings,
        now: DateTime<Utc>,
    ) -> Result<BreakerState, StoreError> {
        let (_, expires) = lockout(settings, now);
        let counted = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(k)))
            .update_expression(
                "SET processor_name = :p, entity_id = :e, last_error = :err, last_failure_at = :now, \
                 circuit_breaker_tripped = if_not_exists(circuit_breaker_tripped, :false), #ttl = :ttl \
                 ADD attempt_count :one",
            )
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":p", s(k.processor_name.as_str()))
            .expression_attribute_values(":e", s(&k.entity_id))
            .expression_attribute_values(":err", s(error))
            .expression_attribute_values(":now", s(canonical_timestamp(now)))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":ttl", AttributeValue::N(expires.to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| store_err("UpdateItem", &self.table, e))?;
        Ok(state_of(&counted.attributes.unwrap_or_default()))
    }

    /// The second step: trips the breaker, on the condition that it is not open and
    /// still has at least `max_attempts` failures counted. Of racing failures that all
    /// reached the limit exactly one trips it; a failure counted just before a reset or
    /// a success (which set the count back to 0) does not trip it again.
    pub async fn trip(
        &self,
        k: &BreakerKey,
        settings: &BreakerSettings,
        now: DateTime<Utc>,
    ) -> Result<FailureOutcome, StoreError> {
        let (until, expires) = lockout(settings, now);
        let tripped = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(k)))
            // `trip_event_pending` holds this trip's number until its event is published.
            .update_expression(
                "SET circuit_breaker_tripped = :true, circuit_breaker_until = :until, tripped_at = :now, \
                 tripped_date = :date, #ttl = :ttl, trip_event_pending = if_not_exists(trip_count, :zero) + :one \
                 ADD trip_count :one",
            )
            .condition_expression(
                "(circuit_breaker_tripped = :false OR circuit_breaker_until <= :now) AND attempt_count >= :max",
            )
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":until", s(canonical_timestamp(until)))
            .expression_attribute_values(":now", s(canonical_timestamp(now)))
            .expression_attribute_values(":date", s(k.analysis_date.to_string()))
            .expression_attribute_values(":ttl", AttributeValue::N(expires.to_string()))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(settings.max_attempts.to_string()))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let conflict = match tripped {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                return Ok(FailureOutcome::Tripped {
                    attempts: number(&item, "attempt_count"),
                    until,
                    trip: number(&item, "trip_count"),
                });
            }
            Err(e) if is_conditional_failure(&e) => e,
            Err(e) => return Err(store_err("UpdateItem", &self.table, e)),
        };
        // DynamoDB returns the item with the conflict. Open: another failure tripped it.
        // Not open: a reset or a success set the count back since this failure was
        // counted, so it counts toward the next trip only and the work is retried.
        // DynamoDB Local returns no item; then the work is retried too (no read on the
        // hot path), and its redelivery finds the breaker open or closed as it is.
        let returned = match conflict.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(c)) => c.item().map(state_of),
            _ => None,
        };
        Ok(match returned {
            Some(state) if state.is_open(now) => FailureOutcome::AlreadyOpen {
                attempts: state.attempt_count,
            },
            Some(state) => FailureOutcome::Counted {
                attempts: state.attempt_count,
            },
            None => FailureOutcome::Counted {
                attempts: settings.max_attempts,
            },
        })
    }

    /// One breaker's item as stored, every attribute (strongly consistent).
    pub async fn get_item(
        &self,
        k: &BreakerKey,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        Ok(self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(k)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_err("GetItem", &self.table, e))?
            .item)
    }
}

impl BreakerStore for BreakerTable {
    async fn get_many(
        &self,
        keys: &[BreakerKey],
    ) -> Result<HashMap<BreakerKey, BreakerState>, StoreError> {
        let mut unique: Vec<&BreakerKey> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        let by_id: HashMap<(String, String), &BreakerKey> = unique
            .iter()
            .map(|k| ((k.breaker_id(), k.analysis_date.to_string()), *k))
            .collect();
        let items = batch_get(
            &self.client,
            &self.table,
            unique.iter().map(|k| key(k)).collect(),
            true,
        )
        .await?;
        let mut found = HashMap::new();
        for item in items {
            let id = item
                .get(keys::BREAKER_ID)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let date = item
                .get(keys::ANALYSIS_DATE)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if let Some(k) = by_id.get(&(id, date)) {
                found.insert((*k).clone(), state_of(&item));
            }
        }
        Ok(found)
    }

    async fn record_failure(
        &self,
        k: &BreakerKey,
        error: &str,
        settings: &BreakerSettings,
        now: DateTime<Utc>,
    ) -> Result<FailureOutcome, StoreError> {
        let state = self.count_failure(k, error, settings, now).await?;
        let attempts = state.attempt_count;
        if state.is_open(now) {
            return Ok(FailureOutcome::AlreadyOpen { attempts });
        }
        if attempts < settings.max_attempts {
            return Ok(FailureOutcome::Counted { attempts });
        }
        self.trip(k, settings, now).await
    }

    async fn record_skipped(
        &self,
        k: &BreakerKey,
        work: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(k)))
            .update_expression(
                "SET last_skipped_at = :now ADD pending_work :work, skipped_count :one",
            )
            .expression_attribute_values(":now", s(canonical_timestamp(now)))
            .expression_attribute_values(":work", AttributeValue::Ss(vec![work.to_string()]))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await
            .map_err(|e| store_err("UpdateItem", &self.table, e))?;
        Ok(())
    }

    async fn trip_published(&self, k: &BreakerKey, trip: u32) -> Result<(), StoreError> {
        let cleared = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(k)))
            .update_expression("REMOVE trip_event_pending")
            // Only this trip's flag: a later trip's event is still to be published.
            .condition_expression("trip_event_pending = :trip")
            .expression_attribute_values(":trip", AttributeValue::N(trip.to_string()))
            .send()
            .await;
        match cleared {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_failure(&e) => Ok(()),
            Err(e) => Err(store_err("UpdateItem", &self.table, e)),
        }
    }

    async fn clear_attempts(&self, k: &BreakerKey) -> Result<(), StoreError> {
        let cleared = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(k)))
            // A success after the lockout ended also closes the breaker for good: its
            // recorded work has just run, so the reset has nothing left to do.
            .update_expression(
                "SET attempt_count = :zero, circuit_breaker_tripped = :false \
                 REMOVE last_error, tripped_date, pending_work",
            )
            .condition_expression("attribute_exists(breaker_id)")
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .send()
            .await;
        match cleared {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_failure(&e) => Ok(()),
            Err(e) => Err(store_err("UpdateItem", &self.table, e)),
        }
    }
}

/// A breaker item read from the tripped index; `None` for an item whose key does not
/// parse (written by something else), which is skipped rather than failing the check.
fn tripped_of(item: &HashMap<String, AttributeValue>) -> Option<TrippedBreaker> {
    let id = item.get(keys::BREAKER_ID)?.as_s().ok()?;
    let (processor, entity) = id.split_once('#')?;
    let processor_name = ProcessorName::from_name(processor)?;
    let analysis_date = item.get(keys::ANALYSIS_DATE)?.as_s().ok()?.parse().ok()?;
    Some(TrippedBreaker {
        key: BreakerKey {
            processor_name,
            entity_id: entity.to_string(),
            analysis_date,
        },
        state: state_of(item),
        trip_count: number(item, "trip_count"),
        pending_work: item
            .get("pending_work")
            .and_then(|v| v.as_ss().ok())
            .cloned()
            .unwrap_or_default(),
        expires_at: item
            .get(TTL_ATTRIBUTE)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .and_then(|secs| DateTime::from_timestamp(secs, 0)),
    })
}

impl BreakerTable {
    /// One breaker as the reset sees it (strongly consistent), when it is on the
    /// tripped index (tripped, or cleared with its work not yet enqueued); `None`
    /// otherwise.
    pub async fn tripped(&self, k: &BreakerKey) -> Result<Option<TrippedBreaker>, StoreError> {
        Ok(self
            .get_item(k)
            .await?
            .filter(|item| item.contains_key("tripped_date"))
            .as_ref()
            .and_then(tripped_of))
    }
}

impl BreakerResets for BreakerTable {
    async fn tripped_all(&self) -> Result<Vec<TrippedBreaker>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .index_name(TRIPPED_BY_DATE_INDEX)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| store_err("Scan", &self.table, e))?;
            found.extend(page.items().iter().filter_map(tripped_of));
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    async fn tripped_on(
        &self,
        analysis_date: NaiveDate,
    ) -> Result<Vec<TrippedBreaker>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(TRIPPED_BY_DATE_INDEX)
                .key_condition_expression("tripped_date = :d")
                .expression_attribute_values(":d", s(analysis_date.to_string()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| store_err("Query", &self.table, e))?;
            for item in page.items() {
                match tripped_of(item) {
                    Some(b) => found.push(b),
                    None => {
                        tracing::warn!(item = ?item.get(keys::BREAKER_ID), "unreadable breaker item skipped")
                    }
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    async fn reset(
        &self,
        b: &TrippedBreaker,
        now: DateTime<Utc>,
    ) -> Result<ResetOutcome, StoreError> {
        let reset = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&b.key)))
            .update_expression(
                "SET circuit_breaker_tripped = :false, attempt_count = :zero, last_reset_at = :now \
                 REMOVE circuit_breaker_until ADD reset_count :one",
            )
            .condition_expression("circuit_breaker_tripped = :true AND trip_count = :trips")
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":now", s(canonical_timestamp(now)))
            .expression_attribute_values(":trips", AttributeValue::N(b.trip_count.to_string()))
            .send()
            .await;
        match reset {
            Ok(_) => Ok(ResetOutcome::Reset),
            Err(e) if is_conditional_failure(&e) => Ok(ResetOutcome::Changed),
            Err(e) => Err(store_err("UpdateItem", &self.table, e)),
        }
    }

    async fn finish_reset(&self, b: &TrippedBreaker) -> Result<(), StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(&b.key)))
            // Tripped again meanwhile: it stays indexed with its work for the next reset.
            .condition_expression("circuit_breaker_tripped = :false")
            .expression_attribute_values(":false", AttributeValue::Bool(false));
        update = if b.pending_work.is_empty() {
            update.update_expression("REMOVE tripped_date")
        } else {
            // DELETE takes out only what was enqueued.
            update
                .update_expression("REMOVE tripped_date DELETE pending_work :sent")
                .expression_attribute_values(":sent", AttributeValue::Ss(b.pending_work.clone()))
        };
        match update.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_failure(&e) => Ok(()),
            Err(e) => Err(store_err("UpdateItem", &self.table, e)),
        }
    }
}
