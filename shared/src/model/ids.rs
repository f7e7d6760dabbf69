//! Ids: the player lookup key, entity ids (`player#...`, `team#...`) and the key of a
//! circuit breaker.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::processor_name::ProcessorName;

/// The key players are stored under: the name folded to ASCII, lowercase letters and
/// digits only ("Nikola Jokić" → "nikolajokic", "Shai Gilgeous-Alexander" →
/// "shaigilgeousalexander"). Sportsbooks and box scores spell names differently; this is
/// the one form both reduce to.
pub fn player_lookup(name: &str) -> String {
    name.nfkd()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Longest player lookup key accepted anywhere (real ones are under 30 characters); it
/// keeps every key built from it far below DynamoDB's 2,048-byte partition key limit.
pub const MAX_PLAYER_LOOKUP_LEN: usize = 64;

/// Prefix of a player's entity id.
pub const PLAYER_PREFIX: &str = "player";
/// Prefix of a team's entity id.
pub const TEAM_PREFIX: &str = "team";

/// The entity id of a player (`player#lebronjames`): the features table's partition
/// key and half of a breaker id.
pub fn player_entity_id(player_lookup: &str) -> String {
    format!("{PLAYER_PREFIX}#{player_lookup}")
}

/// The entity id of a team (`team#BOS`).
pub fn team_entity_id(team: &str) -> String {
    format!("{TEAM_PREFIX}#{team}")
}

/// An entity id split into its prefix and name (`player#x` → `("player", "x")`), if it
/// has the `prefix#name` form.
pub fn split_entity_id(entity_id: &str) -> Option<(&str, &str)> {
    entity_id.split_once('#')
}

/// The features table's sort key of one processor's output on an analysis date
/// (`player_daily_cache#2024-11-05`).
pub fn feature_key(processor: ProcessorName, analysis_date: NaiveDate) -> String {
    format!("{processor}#{analysis_date}")
}

/// What a breaker guards: one processor for one entity on one analysis date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BreakerKey {
    /// Processor.
    pub processor_name: ProcessorName,
    /// `player#lookup` or `team#ABC`.
    pub entity_id: String,
    /// The date the work is for.
    pub analysis_date: NaiveDate,
}

impl BreakerKey {
    /// Partition key of the breaker item (`processor#entity`).
    pub fn breaker_id(&self) -> String {
        format!("{}#{}", self.processor_name, self.entity_id)
    }
}

impl fmt::Display for BreakerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.processor_name, self.entity_id, self.analysis_date
        )
    }
}

/// A breaker key as written by `Display` (`processor/entity/date`) could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "breaker key {0:?} is not processor/entity/YYYY-MM-DD (e.g. player_daily_cache/player#lebronjames/2025-10-25)"
)]
pub struct BreakerKeyError(pub String);

impl std::str::FromStr for BreakerKey {
    type Err = BreakerKeyError;

    /// Reads `processor/entity/date`, the form `Display` writes and operators copy.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || BreakerKeyError(s.to_string());
        let (processor, rest) = s.split_once('/').ok_or_else(err)?;
        let (entity_id, date) = rest.rsplit_once('/').ok_or_else(err)?;
        let processor_name = ProcessorName::from_name(processor).ok_or_else(err)?;
        if split_entity_id(entity_id).is_none() {
            return Err(err());
        }
        Ok(Self {
            processor_name,
            entity_id: entity_id.to_string(),
            analysis_date: date.parse().map_err(|_| err())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_keys_read_back_what_display_writes() {
        let key = BreakerKey {
            processor_name: ProcessorName::PlayerDailyCache,
            entity_id: player_entity_id("lebronjames"),
            analysis_date: "2025-10-25".parse().unwrap(),
        };
        assert_eq!(key.to_string().parse::<BreakerKey>(), Ok(key));
        for bad in [
            "",
            "player_daily_cache",
            "nope/player#x/2025-10-25",
            "player_daily_cache/lebronjames/2025-10-25",
            "player_daily_cache/player#x/2025-13-01",
        ] {
            assert!(bad.parse::<BreakerKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn lookups_fold_accents_punctuation_and_case() {
        assert_eq!(player_lookup("Nikola Jokić"), "nikolajokic");
        assert_eq!(
            player_lookup("Shai Gilgeous-Alexander"),
            "shaigilgeousalexander"
        );
        assert_eq!(player_lookup("Kristaps Porziņģis"), "kristapsporzingis");
        assert_eq!(player_lookup("Jaren Jackson Jr."), "jarenjacksonjr");
    }

    #[test]
    fn entity_ids_split_back_into_their_parts() {
        assert_eq!(
            split_entity_id(&player_entity_id("lebronjames")),
            Some(("player", "lebronjames"))
        );
        assert_eq!(
            split_entity_id(&team_entity_id("BOS")),
            Some(("team", "BOS"))
        );
        assert_eq!(split_entity_id("nohash"), None);
    }
}
