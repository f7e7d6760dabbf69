//! A unit of processor work: one processor, one entity, one analysis date.
//!
//! Its message body (`WorkItem::to_body`) is part of the processor queue's message
//! format and lives with it, in `domain::processor_message`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ids::BreakerKey;
use super::processor_name::ProcessorName;

/// One processor's work for one entity and analysis date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkItem {
    /// Processor to run.
    pub processor: ProcessorName,
    /// `player#lookup` or `team#ABC`.
    pub entity_id: String,
    /// The date the work is for.
    pub analysis_date: NaiveDate,
}

impl WorkItem {
    /// The work a breaker guards (the inverse of [`WorkItem::breaker_key`]).
    pub fn for_breaker(key: &BreakerKey) -> Self {
        Self {
            processor: key.processor_name,
            entity_id: key.entity_id.clone(),
            analysis_date: key.analysis_date,
        }
    }

    /// The breaker guarding this work.
    pub fn breaker_key(&self) -> BreakerKey {
        BreakerKey {
            processor_name: self.processor,
            entity_id: self.entity_id.clone(),
            analysis_date: self.analysis_date,
        }
    }
}
