//! Prop lines: matching sportsbook names to players, and choosing the one line per
//! player and market that the pipeline uses.
//!
//! **Names.** A sportsbook name is folded as every name is ([`player_lookup`]); a fold
//! that is not a player of either team is tried without a generational suffix (`Jr.`,
//! `II`, ...), then through the committed alias table (`player_aliases.csv`). A name
//! that still matches no player of the two teams is reported, never dropped silently.
//!
//! **The choice.** Per player and market: each book's *main line* is the alternate
//! whose over and under odds are closest to even (smallest gap between their implied
//! probabilities; the lower line on a tie). Of the books' main lines, the book first in
//! the configured priority wins (default `draftkings`, `fanduel`, `betmgm`, then the
//! others by name). Between snapshots, the newer one replaces the older (the storage's
//! conditional write); the same or an older one changes nothing.

use std::collections::{BTreeMap, HashMap};

use crate::config::DEFAULT_BOOK_PRIORITY;
use crate::model::{
    Market, PropLine, PropLineRow, PropLineSnapshot, canonical_timestamp, player_lookup,
};

/// Generational suffixes a sportsbook may add or leave out, as they fold.
/// Longest first, so `iii` is not read as `ii`.
const SUFFIXES: [&str; 5] = ["iii", "jr", "sr", "ii", "iv"];

/// The committed alias table: sportsbook fold → stats fold.
const ALIASES: &str = include_str!("player_aliases.csv");

/// The alias table, parsed (comments and the header skipped).
fn aliases() -> HashMap<&'static str, &'static str> {
    ALIASES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .map(|(from, to)| (from.trim(), to.trim()))
        .collect()
}

/// A fold without its generational suffix, when it has one (`derrickjonesjr` →
/// `derrickjones`).
fn without_suffix(name: &str) -> Option<&str> {
    SUFFIXES
        .iter()
        .filter_map(|s| name.strip_suffix(s))
        .find(|rest| rest.len() >= 4)
}

/// Matches sportsbook names to the players of a game's two teams.
#[derive(Debug, Clone)]
pub struct PlayerNames {
    /// Fold (and fold without suffix, when unambiguous) → player lookup.
    index: HashMap<String, String>,
    aliases: HashMap<&'static str, &'static str>,
}

impl PlayerNames {
    /// An index of the players (their lookups) a name may match.
    pub fn new<S: AsRef<str>>(players: impl IntoIterator<Item = S>) -> Self {
        let mut index = HashMap::new();
        let mut stripped: HashMap<String, Option<String>> = HashMap::new();
        for p in players {
            let p = p.as_ref();
            index.insert(p.to_string(), p.to_string());
            if let Some(short) = without_suffix(p) {
                // Two players who differ only by a suffix (a father and son) make the
                // short form ambiguous: it then matches neither.
                stripped
                    .entry(short.to_string())
                    .and_modify(|v| *v = None)
                    .or_insert_with(|| Some(p.to_string()));
            }
        }
        for (short, full) in stripped {
            if let Some(full) = full {
                index.entry(short).or_insert(full);
            }
        }
        Self {
            index,
            aliases: aliases(),
        }
    }

    /// The player lookup a sportsbook name stands for, if one of the players.
    pub fn find(&self, sportsbook_name: &str) -> Option<&str> {
        let fold = player_lookup(sportsbook_name);
        let candidates = [
            Some(fold.as_str()),
            without_suffix(&fold),
            self.aliases.get(fold.as_str()).copied(),
        ];
        candidates
            .into_iter()
            .flatten()
            .find_map(|c| self.index.get(c))
            .map(String::as_str)
    }
}

/// The configured order of bookmakers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookPriority(Vec<String>);

impl Default for BookPriority {
    fn default() -> Self {
        Self(DEFAULT_BOOK_PRIORITY.map(String::from).to_vec())
    }
}

impl BookPriority {
    /// A priority from bookmaker keys, first preferred.
    pub fn new(books: Vec<String>) -> Self {
        Self(books)
    }

    /// The books, first preferred.
    pub fn books(&self) -> &[String] {
        &self.0
    }

    /// Sort key of a book: listed books by position, then the others by name.
    fn rank<'a>(&self, book: &'a str) -> (usize, &'a str) {
        match self.0.iter().position(|b| b == book) {
            Some(i) => (i, ""),
            None => (self.0.len(), book),
        }
    }
}

/// Implied probability of American odds (-110 → 0.524, +150 → 0.4).
pub fn implied_probability(american: i32) -> f64 {
    let o = f64::from(american);
    if o < 0.0 {
        -o / (-o + 100.0)
    } else {
        100.0 / (o + 100.0)
    }
}

/// How far a row's odds are from even: the gap between its two implied probabilities.
fn distance_from_even(row: &PropLineRow) -> f64 {
    (implied_probability(row.over_odds) - implied_probability(row.under_odds)).abs()
}

/// The lines chosen from one snapshot, and the names that matched no player.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChosenLines {
    /// One line per matched player and market.
    pub lines: Vec<PropLine>,
    /// Sportsbook names that matched no player of the two teams, with their row count.
    pub unmatched: BTreeMap<String, usize>,
}

/// Chooses the line of every matched player and market in a (validated) snapshot.
pub fn choose_lines(
    snapshot: &PropLineSnapshot,
    names: &PlayerNames,
    priority: &BookPriority,
) -> ChosenLines {
    let mut chosen = ChosenLines::default();
    // (player, market) → book → that book's main line so far.
    let mut mains: BTreeMap<(String, Market), BTreeMap<&str, &PropLineRow>> = BTreeMap::new();
    for row in &snapshot.lines {
        let Some(market) = Market::parse(&row.market) else {
            continue; // validation refuses these; nothing to choose from
        };
        let Some(player) = names.find(&row.player) else {
            *chosen.unmatched.entry(row.player.clone()).or_default() += 1;
            continue;
        };
        let books = mains.entry((player.to_string(), market)).or_default();
        let better = |current: &PropLineRow| {
            let (d, c) = (distance_from_even(row), distance_from_even(current));
            d < c || (d == c && row.line < current.line)
        };
        match books.get(row.bookmaker.as_str()) {
            Some(current) if !better(current) => {}
            _ => {
                books.insert(&row.bookmaker, row);
            }
        }
    }
    let snapshot_at = canonical_timestamp(snapshot.snapshot_at);
    for ((player_lookup, market), books) in mains {
        let Some((book, row)) = books
            .iter()
            .min_by_key(|(book, _)| priority.rank(book))
            .map(|(b, r)| (*b, *r))
        else {
            continue;
        };
        let rank = priority.rank(book).0 + 1;
        let chosen_by = if rank <= priority.books().len() {
            format!(
                "main line of {book}, priority {rank} of {}; {} book(s) offered",
                priority.books().len(),
                books.len()
            )
        } else {
            format!(
                "main line of {book}, first by name of the unlisted books; {} book(s) offered",
                books.len()
            )
        };
        chosen.lines.push(PropLine {
            player_lookup,
            game_date: snapshot.game_date,
            market,
            line: row.line,
            bookmaker: book.to_string(),
            over_odds: row.over_odds,
            under_odds: row.under_odds,
            snapshot_at: snapshot_at.clone(),
            chosen_by,
            books: books.len() as u32,
            previous_line: None,
        });
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn row(
        player: &str,
        market: &str,
        line: f64,
        over: i32,
        under: i32,
        book: &str,
    ) -> PropLineRow {
        PropLineRow {
            player: player.into(),
            market: market.into(),
            line,
            over_odds: over,
            under_odds: under,
            bookmaker: book.into(),
        }
    }

    fn snapshot(lines: Vec<PropLineRow>) -> PropLineSnapshot {
        PropLineSnapshot {
            game_id: "0022500150".into(),
            game_date: NaiveDate::from_ymd_opt(2025, 11, 5).unwrap(),
            home: "BOS".into(),
            away: "WAS".into(),
            snapshot_at: Utc.with_ymd_and_hms(2025, 11, 5, 16, 0, 0).unwrap(),
            lines,
        }
    }

    #[test]
    fn names_match_by_fold_suffix_and_alias_and_report_the_rest() {
        let names = PlayerNames::new([
            "nicclaxton",
            "derrickjonesjr",
            "isaiahstewart",
            "nikolajokic",
        ]);
        assert_eq!(names.find("Nikola Jokić"), Some("nikolajokic"));
        // Book drops the suffix the stats feed has, and adds one it does not.
        assert_eq!(names.find("Derrick Jones"), Some("derrickjonesjr"));
        assert_eq!(names.find("Isaiah Stewart II"), Some("isaiahstewart"));
        // A nickname only the alias table knows.
        assert_eq!(names.find("Nicolas Claxton"), Some("nicclaxton"));
        assert_eq!(names.find("Cooper Flagg"), None);
    }

    #[test]
    fn a_suffix_shared_by_two_players_matches_neither_short_form() {
        let names = PlayerNames::new(["garypaytonii", "garypaytoniii"]);
        assert_eq!(names.find("Gary Payton"), None);
        assert_eq!(names.find("Gary Payton II"), Some("garypaytonii"));
    }

    #[test]
    fn each_books_main_line_is_the_one_closest_to_even_then_priority_decides() {
        let names = PlayerNames::new(["jaylenbrown"]);
        let s = snapshot(vec![
            // betmgm: one line, even odds
            row("Jaylen Brown", "player_points", 26.5, -110, -110, "betmgm"),
            // fanduel: alternates; 25.5 is the main line (closest to even)
            row("Jaylen Brown", "player_points", 22.5, -300, 220, "fanduel"),
            row("Jaylen Brown", "player_points", 25.5, -115, -105, "fanduel"),
            row("Jaylen Brown", "player_points", 28.5, 200, -260, "fanduel"),
            row("Jaylen Brown", "player_rebounds", 5.5, -120, -110, "bovada"),
            row(
                "Jaylen Brown",
                "player_rebounds",
                6.5,
                110,
                -140,
                "betrivers",
            ),
        ]);
        let chosen = choose_lines(&s, &names, &BookPriority::default());
        assert_eq!(chosen.lines.len(), 2);
        let points = &chosen.lines[0];
        assert_eq!((points.market, points.line), (Market::Points, 25.5));
        assert_eq!(points.bookmaker, "fanduel");
        assert_eq!(
            (points.over_odds, points.under_odds, points.books),
            (-115, -105, 2)
        );
        assert_eq!(points.snapshot_at, "2025-11-05T16:00:00.000000Z");
        // No listed book offers rebounds: the unlisted ones go by name.
        let rebounds = &chosen.lines[1];
        assert_eq!(
            (rebounds.bookmaker.as_str(), rebounds.line),
            ("betrivers", 6.5)
        );
        assert!(
            rebounds.chosen_by.contains("unlisted"),
            "{}",
            rebounds.chosen_by
        );
    }

    #[test]
    fn a_configured_priority_changes_the_book() {
        let names = PlayerNames::new(["jaylenbrown"]);
        let s = snapshot(vec![
            row(
                "Jaylen Brown",
                "player_points",
                26.5,
                -110,
                -110,
                "draftkings",
            ),
            row("Jaylen Brown", "player_points", 25.5, -110, -110, "bovada"),
        ]);
        let p = BookPriority::new(vec!["bovada".into()]);
        assert_eq!(choose_lines(&s, &names, &p).lines[0].line, 25.5);
        assert_eq!(
            choose_lines(&s, &names, &BookPriority::default()).lines[0].line,
            26.5
        );
    }

    #[test]
    fn unmatched_names_are_counted_by_row() {
        let names = PlayerNames::new(["jaylenbrown"]);
        let s = snapshot(vec![
            row(
                "Cooper Flagg",
                "player_points",
                16.5,
                -110,
                -110,
                "draftkings",
            ),
            row(
                "Cooper Flagg",
                "player_assists",
                2.5,
                -110,
                -110,
                "draftkings",
            ),
        ]);
        let chosen = choose_lines(&s, &names, &BookPriority::default());
        assert!(chosen.lines.is_empty());
        assert_eq!(
            chosen.unmatched,
            BTreeMap::from([("Cooper Flagg".to_string(), 2)])
        );
    }

    #[test]
    fn implied_probabilities() {
        assert!((implied_probability(-110) - 0.5238).abs() < 1e-4);
        assert!((implied_probability(150) - 0.4).abs() < 1e-9);
        assert!((implied_probability(100) - 0.5).abs() < 1e-9);
    }
}
