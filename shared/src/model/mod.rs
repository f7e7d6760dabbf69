//! Leaf types every layer uses: ids, names, the stored records, timestamps, date
//! bounds and rounding. Nothing here imports anything else of the crate, and nothing
//! here knows AWS, Lambda or a data file: the rules that act on these types live in
//! `domain`, their storage in `adapters`.

pub mod breaker;
pub mod features;
pub mod game;
pub mod game_data;
pub mod ids;
pub mod market;
pub mod prediction;
pub mod processor_name;
pub mod prop_line;
pub mod queue_message;
pub mod rounding;
pub mod time;
pub mod work_item;

pub use breaker::{BreakerSettings, BreakerState, TrippedBreaker};
pub use features::{FeatureKey, PlayerGameFeatures, PredictionInputs};
pub use game::{
    BoxScore, PlayerLine, PlayerShots, Schedule, ScheduleStatus, ScheduledGame, ShotChart,
    TeamTotals, ZONES, ZoneShots,
};
pub use game_data::{
    DaySchedule, GameStatus, PlayerGame, PlayerShotGame, RosterEntry, RosterSource, TeamGame,
};
pub use ids::{BreakerKey, player_lookup};
pub use market::Market;
pub use prediction::{
    LineSource, MODEL_VERSIONS, MarketLineCount, Prediction, Recommendation, count_by_market,
};
pub use processor_name::ProcessorName;
pub use prop_line::{PropLine, PropLineRow, PropLineSnapshot};
pub use queue_message::QueueMessage;
pub use rounding::round;
pub use time::canonical_timestamp;
pub use work_item::WorkItem;
