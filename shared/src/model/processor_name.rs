//! The names of the five feature processors (phases 3 and 4).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The five processors of phases 3 and 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessorName {
    /// Recent form of a player.
    PlayerDailyCache,
    /// Shot distribution and efficiency by zone of a player.
    PlayerShotZoneAnalysis,
    /// What a team allows.
    TeamDefenseZoneAnalysis,
    /// A team's next game: home/away, rest, opponent.
    UpcomingTeamGameContext,
    /// The player's adjustments for the next game, combining the others.
    PlayerCompositeFactors,
}

impl ProcessorName {
    /// Every processor.
    pub const ALL: [ProcessorName; 5] = [
        ProcessorName::PlayerDailyCache,
        ProcessorName::PlayerShotZoneAnalysis,
        ProcessorName::TeamDefenseZoneAnalysis,
        ProcessorName::UpcomingTeamGameContext,
        ProcessorName::PlayerCompositeFactors,
    ];

    /// The name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessorName::PlayerDailyCache => "player_daily_cache",
            ProcessorName::PlayerShotZoneAnalysis => "player_shot_zone_analysis",
            ProcessorName::TeamDefenseZoneAnalysis => "team_defense_zone_analysis",
            ProcessorName::UpcomingTeamGameContext => "upcoming_team_game_context",
            ProcessorName::PlayerCompositeFactors => "player_composite_factors",
        }
    }

    /// The processor of a stored name, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Whether the processor works on players (else on teams).
    pub fn is_player_processor(self) -> bool {
        !matches!(
            self,
            ProcessorName::TeamDefenseZoneAnalysis | ProcessorName::UpcomingTeamGameContext
        )
    }
}

impl fmt::Display for ProcessorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processor_names_read_back_from_their_stored_form() {
        for p in ProcessorName::ALL {
            assert_eq!(ProcessorName::from_name(p.as_str()), Some(p));
        }
        assert_eq!(ProcessorName::from_name("player_daily"), None);
    }
}
