//! The real data the replay, tests and benchmarks run on: the committed compact
//! fixtures (two weeks of the 2025-26 season), or the full files in `../shared/data/nba`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, TimeZone, Utc};
use nba_props::model::PlayerGameFeatures;

use crate::nba_data::{self, GameDay, PlayerGameLine, PropConversion, PropOffer};
use nba_props::domain::prediction_request::PredictionRequest;
use nba_props::model::{BoxScore, PropLineSnapshot, ShotChart};

use crate::local_aws::repo_root;

/// Folder of the committed fixtures.
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("tests/fixtures/nba-2025-26")
}

/// The reference data beside the repository (`../shared/data/nba`), if present.
pub fn shared_data_dir() -> Option<PathBuf> {
    let dir = repo_root().join("../shared/data/nba");
    dir.join("season-2025-26/player_game_logs.csv")
        .exists()
        .then_some(dir)
}

/// One stretch of a season: its games, player lines and sportsbook prop offers.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Where it was read from.
    pub source: PathBuf,
    /// Team rows, both teams of every game (LeagueGameLog format).
    pub team_rows: Vec<nba_data::TeamGameRow>,
    /// Player game lines.
    pub lines: Vec<PlayerGameLine>,
    /// Sportsbook prop offers (every market as the files have them).
    pub props: Vec<PropOffer>,
}

impl Dataset {
    /// The committed fixtures (2025-26, with the prop lines of their last five dates).
    pub fn fixtures() -> Result<Self> {
        Self::read_2025_26(&fixtures_dir(), &fixtures_dir().join("games.csv"))
    }

    /// The full 2025-26 files from `data_dir` (`.../shared/data/nba`).
    pub fn full_2025_26(data_dir: &Path) -> Result<Self> {
        let season = data_dir.join("season-2025-26");
        Self::read_2025_26(&season, &season.join("games.csv"))
    }

    /// A season without prop lines (2024-25: team and player logs).
    pub fn season_without_lines(season_dir: &Path) -> Result<Self> {
        Ok(Self {
            source: season_dir.to_path_buf(),
            team_rows: nba_data::read_team_rows(open(&season_dir.join("team_game_logs.csv"))?)?,
            lines: nba_data::read_player_lines(open(&season_dir.join("player_game_logs.csv"))?)?,
            props: Vec::new(),
        })
    }

    fn read_2025_26(dir: &Path, games: &Path) -> Result<Self> {
        Ok(Self {
            source: dir.to_path_buf(),
            team_rows: nba_data::read_team_rows(open(games)?)?,
            lines: nba_data::read_player_lines(open(&dir.join("player_game_logs.csv"))?)?,
            props: read_props_dir(&dir.join("props"))?,
        })
    }

    /// The season as ingest messages, one [`GameDay`] per date.
    pub fn days(&self) -> Result<Vec<GameDay>> {
        Ok(nba_data::game_days(&self.team_rows, &self.lines)?)
    }

    /// The prop offers as `prop_lines` snapshots of the scheduled games, by date.
    pub fn snapshots(
        &self,
        days: &[GameDay],
    ) -> (BTreeMap<NaiveDate, Vec<PropLineSnapshot>>, PropConversion) {
        let (snapshots, report) = nba_data::prop_snapshots(&self.props, days, &self.team_rows);
        let mut by_date: BTreeMap<NaiveDate, Vec<PropLineSnapshot>> = BTreeMap::new();
        for s in snapshots {
            by_date.entry(s.game_date).or_default().push(s);
        }
        (by_date, report)
    }

    /// One request per player with features on `date`, stamped `generated_at`.
    pub fn requests_for(
        &self,
        features: &[PlayerGameFeatures],
        date: NaiveDate,
        generated_at: chrono::DateTime<Utc>,
    ) -> Vec<PredictionRequest> {
        features
            .iter()
            .filter(|f| f.game_date == date)
            .map(|f| PredictionRequest {
                player_lookup: f.player_lookup.clone(),
                game_date: date,
                generated_at,
            })
            .collect()
    }

    /// What actually happened: (player_lookup, date) → line.
    pub fn results(&self) -> BTreeMap<(String, NaiveDate), &PlayerGameLine> {
        self.lines
            .iter()
            .map(|l| ((l.player_lookup(), l.date), l))
            .collect()
    }
}

/// Reads every `props_*.csv` (or `.csv.gz`) of a folder, in name order; none when the
/// folder is absent.
pub fn read_props_dir(dir: &Path) -> Result<Vec<PropOffer>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".csv") || name.ends_with(".csv.gz")
        })
        .collect();
    files.sort();
    let mut offers = Vec::new();
    for path in files {
        let file = open(&path)?;
        let read = if path.to_string_lossy().ends_with(".gz") {
            nba_data::read_prop_offers(flate2::read::GzDecoder::new(file))
        } else {
            nba_data::read_prop_offers(file)
        };
        offers.extend(read.with_context(|| format!("reading {}", path.display()))?);
    }
    Ok(offers)
}

/// The morning a slate's requests are generated: 15:00 UTC (10:00 in New York).
pub fn morning_of(date: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(15, 0, 0).expect("valid time"))
}

fn open(path: &Path) -> Result<File> {
    File::open(path).with_context(|| format!("opening {}", path.display()))
}

/// Folder of the committed 2024-25 week (schedules and box scores for the processor).
pub fn week_fixtures_dir() -> PathBuf {
    repo_root().join("tests/fixtures/nba-2024-25")
}

/// The committed 2024-25 week as ingest messages, one [`GameDay`] per date.
pub fn week_2024_25() -> Result<Vec<GameDay>> {
    Ok(nba_data::game_days(
        &week_2024_25_teams()?,
        &week_2024_25_lines()?,
    )?)
}

/// The 2024-25 week's player lines (for tests computing expectations on their own).
pub fn week_2024_25_lines() -> Result<Vec<PlayerGameLine>> {
    Ok(nba_data::read_player_lines(open(
        &week_fixtures_dir().join("player_game_logs.csv"),
    )?)?)
}

/// The 2024-25 week's team rows.
pub fn week_2024_25_teams() -> Result<Vec<nba_data::TeamGameRow>> {
    Ok(nba_data::read_team_rows(open(
        &week_fixtures_dir().join("team_game_logs.csv"),
    )?)?)
}

/// Copies the rows of a CSV whose `date_column` falls in `range`, unchanged.
fn copy_rows(
    src: &Path,
    dst: &Path,
    date_column: &str,
    range: std::ops::RangeInclusive<NaiveDate>,
) -> Result<()> {
    let mut reader = csv::Reader::from_reader(open(src)?);
    let headers = reader.headers()?.clone();
    let column = headers
        .iter()
        .position(|h| h == date_column)
        .with_context(|| format!("{} has no {date_column} column", src.display()))?;
    let mut writer = csv::Writer::from_path(dst)?;
    writer.write_record(&headers)?;
    for record in reader.records() {
        let record = record?;
        let date: NaiveDate = record[column]
            .parse()
            .with_context(|| format!("{}: bad date", src.display()))?;
        if range.contains(&date) {
            writer.write_record(&record)?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// Folder of the committed 2023-24 days (team logs and shot charts).
pub fn shots_fixtures_dir() -> PathBuf {
    repo_root().join("tests/fixtures/nba-2023-24")
}

/// The 2023-24 days cut into the fixtures (the season with a shot file).
pub const DAYS_2023_24: (&str, &str) = ("2023-11-06", "2023-11-09");

/// The committed 2023-24 days: schedules, box scores with team totals only (that
/// season's files have no player lines) and the shot charts of each date.
pub fn days_2023_24() -> Result<Vec<(GameDay, Vec<ShotChart>)>> {
    let dir = shots_fixtures_dir();
    let teams = nba_data::read_team_rows(open(&dir.join("team_game_logs.csv"))?)?;
    let charts = read_shot_charts(&dir.join("shot_charts.jsonl"))?;
    Ok(nba_data::game_days(&teams, &[])?
        .into_iter()
        .map(|day| {
            let of_day = charts
                .iter()
                .filter(|c| c.game_date == day.date)
                .cloned()
                .collect();
            (day, of_day)
        })
        .collect())
}

/// Reads shot charts stored one JSON document a line.
pub fn read_shot_charts(path: &Path) -> Result<Vec<ShotChart>> {
    std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{} line {}", path.display(), i + 1))
        })
        .collect()
}

fn write_shot_fixtures(data_dir: &Path) -> Result<()> {
    let season = data_dir.join("shots-2023-24");
    let out = shots_fixtures_dir();
    std::fs::create_dir_all(&out)?;
    let (start, end): (NaiveDate, NaiveDate) = (DAYS_2023_24.0.parse()?, DAYS_2023_24.1.parse()?);
    copy_rows(
        &season.join("team_game_logs.csv"),
        &out.join("team_game_logs.csv"),
        "GAME_DATE",
        start..=end,
    )?;
    let teams = nba_data::read_team_rows(open(&out.join("team_game_logs.csv"))?)?;
    let mut archive = zip::ZipArchive::new(open(&season.join("shots_2023_24.csv.zip"))?)?;
    let name = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.to_string()))
        .find(|n| n.ends_with(".csv") && !n.starts_with("__MACOSX"))
        .context("no CSV in the shot archive")?;
    let charts = nba_data::shot_charts(archive.by_name(&name)?, &teams)?;
    let mut lines = String::new();
    for chart in &charts {
        lines.push_str(&serde_json::to_string(chart)?);
        lines.push('\n');
    }
    std::fs::write(out.join("shot_charts.jsonl"), lines)?;
    Ok(())
}

/// The 2024-25 week cut into the fixtures.
pub const WEEK_2024_25: (&str, &str) = ("2024-11-04", "2024-11-10");

/// Cuts the committed fixtures from the full data: player lines and games of
/// `from..=to` (rows copied unchanged), the main lines of `lines_from..=to`, and the
/// 2024-25 week [`WEEK_2024_25`] (team and player logs, rows copied unchanged).
pub fn write_fixtures(
    data_dir: &Path,
    out: &Path,
    from: NaiveDate,
    to: NaiveDate,
    lines_from: NaiveDate,
) -> Result<()> {
    if !data_dir.join("season-2025-26").exists() {
        bail!("{} has no season-2025-26 folder", data_dir.display());
    }
    std::fs::create_dir_all(out)?;
    let season = data_dir.join("season-2025-26");
    copy_rows(
        &season.join("player_game_logs.csv"),
        &out.join("player_game_logs.csv"),
        "date",
        from..=to,
    )?;
    copy_rows(
        &season.join("games.csv"),
        &out.join("games.csv"),
        "GAME_DATE",
        from..=to,
    )?;
    let week = week_fixtures_dir();
    std::fs::create_dir_all(&week)?;
    let (start, end): (NaiveDate, NaiveDate) = (WEEK_2024_25.0.parse()?, WEEK_2024_25.1.parse()?);
    let previous = data_dir.join("season-2024-25");
    copy_rows(
        &previous.join("team_game_logs.csv"),
        &week.join("team_game_logs.csv"),
        "GAME_DATE",
        start..=end,
    )?;
    copy_rows(
        &previous.join("player_game_logs.csv"),
        &week.join("player_game_logs.csv"),
        "date",
        start..=end,
    )?;
    write_shot_fixtures(data_dir)?;
    write_props_fixtures(&season.join("props"), &out.join("props"), lines_from..=to)?;
    Ok(())
}

/// Writes the props files of `dates` gzipped, with only the rows of the three markets
/// the pipeline uses (the others are left out of the fixtures to keep them small).
fn write_props_fixtures(
    src: &Path,
    dst: &Path,
    dates: std::ops::RangeInclusive<NaiveDate>,
) -> Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dst)?;
    for date in dates.start().iter_days().take_while(|d| dates.contains(d)) {
        let name = format!("props_{date}.csv");
        let path = src.join(&name);
        if !path.exists() {
            continue;
        }
        let mut reader = csv::Reader::from_reader(open(&path)?);
        let headers = reader.headers()?.clone();
        let market = headers
            .iter()
            .position(|h| h == "market")
            .with_context(|| format!("{} has no market column", path.display()))?;
        let gz = flate2::write::GzEncoder::new(
            File::create(dst.join(format!("{name}.gz")))?,
            flate2::Compression::best(),
        );
        let mut writer = csv::Writer::from_writer(gz);
        writer.write_record(&headers)?;
        for record in reader.records() {
            let record = record?;
            if matches!(
                &record[market],
                "player_points" | "player_rebounds" | "player_assists"
            ) {
                writer.write_record(&record)?;
            }
        }
        writer.into_inner()?.finish()?.flush()?;
    }
    Ok(())
}

/// A game whose box score is held back to show late data: one of a week's third date
/// whose home team plays again within the next two dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateGame {
    /// NBA game id.
    pub game_id: String,
    /// Its date.
    pub game_date: NaiveDate,
    /// Home then away team.
    pub teams: Vec<String>,
    /// The first later date on which the home team plays: its breakers trip there.
    pub next: NaiveDate,
}

impl LateGame {
    /// The game days up to and including `next`, where its breakers trip.
    pub fn days_through_next<'a>(&self, days: &'a [GameDay]) -> &'a [GameDay] {
        let end = days
            .iter()
            .position(|d| d.date == self.next)
            .map_or(days.len(), |i| i + 1);
        &days[..end]
    }

    /// The scheduler's input of the 06:00 check on the morning of `next`: it checks
    /// the day before and the week before that, so the late game is in its window.
    pub fn morning_check_input(&self) -> serde_json::Value {
        nba_props::domain::completeness::scheduler_input(self.next)
    }

    /// Its box score (the one held back), if the days have it.
    pub fn box_score<'a>(&self, days: &'a [GameDay]) -> Option<&'a BoxScore> {
        days.iter()
            .flat_map(|d| &d.box_scores)
            .find(|b| b.game_id == self.game_id)
    }
}

/// Picks the [`LateGame`] of game days in date order (at least five of them).
pub fn late_game(days: &[GameDay]) -> Result<LateGame> {
    anyhow::ensure!(days.len() >= 5, "need five game days, got {}", days.len());
    for g in &days[2].schedule.games {
        let next = days[3..5].iter().find(|d| {
            d.schedule
                .games
                .iter()
                .any(|n| n.home == g.home || n.away == g.home)
        });
        if let Some(next) = next {
            return Ok(LateGame {
                game_id: g.game_id.clone(),
                game_date: days[2].date,
                teams: vec![g.home.clone(), g.away.clone()],
                next: next.date,
            });
        }
    }
    anyhow::bail!(
        "no game of {} whose home team plays again within two days",
        days[2].date
    )
}

/// The committed composite features: what the processors stored for every prediction
/// of the default replay (`nba-props replay --features-out`), for the writer's tests
/// and bench.
pub fn composite_features_path() -> PathBuf {
    fixtures_dir().join("composite_features.json.gz")
}

/// Reads the committed composite features.
pub fn composite_features() -> Result<Vec<PlayerGameFeatures>> {
    let path = composite_features_path();
    let reader = flate2::read::GzDecoder::new(open(&path)?);
    serde_json::from_reader(std::io::BufReader::new(reader))
        .with_context(|| format!("reading {}", path.display()))
}

/// Writes composite features as gzipped JSON, one feature set per line, sorted by date
/// and player so a regenerated file diffs cleanly.
pub fn write_composite_features(path: &Path, features: &[PlayerGameFeatures]) -> Result<()> {
    let mut sorted: Vec<&PlayerGameFeatures> = features.iter().collect();
    sorted.sort_by(|a, b| (a.game_date, &a.player_lookup).cmp(&(b.game_date, &b.player_lookup)));
    let mut out = flate2::write::GzEncoder::new(
        File::create(path).with_context(|| format!("creating {}", path.display()))?,
        flate2::Compression::best(),
    );
    writeln!(out, "[")?;
    for (i, f) in sorted.iter().enumerate() {
        let comma = if i + 1 < sorted.len() { "," } else { "" };
        writeln!(out, "{}{comma}", serde_json::to_string(f)?)?;
    }
    writeln!(out, "]")?;
    out.finish()?;
    Ok(())
}
