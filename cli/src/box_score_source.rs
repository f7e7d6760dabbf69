//! A stand-in box-score source: a real HTTP server on this machine that answers NBA
//! stats' `GET /boxscoretraditionalv3?GameID=...` with box scores made from the data
//! files, so the backfill function, the tests and the replay go through the real HTTP
//! path. Each game (or every game) can be switched to answer late (the game still in
//! progress: not final), with a 404, with a 500, or not at all (the connection hangs
//! past the client's timeout). Every request is counted per game.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use nba_props::domain::boxscore_v3::BoxScoreV3;
use nba_props::model::BoxScore;
use serde::Deserialize;
use tokio::task::JoinHandle;

/// How the stand-in answers for a game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Answer {
    /// The final box score.
    Final,
    /// The box score of a game still in progress (third quarter): not final.
    InProgress,
    /// 404: the source does not know the game.
    NotFound,
    /// 500: the source is failing.
    ServerError,
    /// No answer: the request hangs until the client gives up.
    Hang,
}

#[derive(Debug)]
struct Shared {
    box_scores: HashMap<String, BoxScore>,
    default: Mutex<Answer>,
    per_game: Mutex<HashMap<String, Answer>>,
    requests: Mutex<HashMap<String, u64>>,
}

/// A running stand-in source.
#[derive(Debug)]
pub struct StandInSource {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

#[derive(Debug, Deserialize)]
struct BoxScoreQuery {
    #[serde(rename = "GameID")]
    game_id: String,
}

async fn box_score(State(shared): State<Arc<Shared>>, Query(q): Query<BoxScoreQuery>) -> Response {
    *shared
        .requests
        .lock()
        .expect("lock")
        .entry(q.game_id.clone())
        .or_default() += 1;
    let answer = shared
        .per_game
        .lock()
        .expect("lock")
        .get(&q.game_id)
        .copied()
        .unwrap_or(*shared.default.lock().expect("lock"));
    let Some(b) = shared.box_scores.get(&q.game_id) else {
        return (StatusCode::NOT_FOUND, "no such game").into_response();
    };
    // The response's time is the box score's own version, as the source would stamp it.
    let mut v3 = BoxScoreV3::from_box_score(b, b.updated_at);
    match answer {
        Answer::Final => {}
        Answer::InProgress => {
            for team in [&mut v3.box_score.home_team, &mut v3.box_score.away_team] {
                team.statistics.minutes = "187:12".into();
            }
        }
        Answer::NotFound => return (StatusCode::NOT_FOUND, "no such game").into_response(),
        Answer::ServerError => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "stand-in failing").into_response();
        }
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&v3).expect("responses serialise"),
    )
        .into_response()
}

impl StandInSource {
    /// Serves these box scores on `127.0.0.1:port` (0: any free port), answering
    /// `default` for every game until told otherwise.
    pub async fn start(
        box_scores: impl IntoIterator<Item = BoxScore>,
        port: u16,
        default: Answer,
    ) -> Result<Self> {
        let shared = Arc::new(Shared {
            box_scores: box_scores
                .into_iter()
                .map(|b| (b.game_id.clone(), b))
                .collect(),
            default: Mutex::new(default),
            per_game: Mutex::new(HashMap::new()),
            requests: Mutex::new(HashMap::new()),
        });
        let app = axum::Router::new()
            .route("/boxscoretraditionalv3", get(box_score))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("binding 127.0.0.1:{port}"))?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "stand-in box-score source stopped");
            }
        });
        Ok(Self {
            addr,
            shared,
            server,
        })
    }

    /// The base URL to configure as `BOX_SCORE_SOURCE_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers `answer` for this game from now on.
    pub fn answer(&self, game_id: &str, answer: Answer) {
        self.shared
            .per_game
            .lock()
            .expect("lock")
            .insert(game_id.to_string(), answer);
    }

    /// Answers `answer` for every game without its own answer.
    pub fn answer_all(&self, answer: Answer) {
        *self.shared.default.lock().expect("lock") = answer;
    }

    /// Requests received for a game so far.
    pub fn requests(&self, game_id: &str) -> u64 {
        self.shared
            .requests
            .lock()
            .expect("lock")
            .get(game_id)
            .copied()
            .unwrap_or(0)
    }

    /// Requests received for every game so far.
    pub fn total_requests(&self) -> u64 {
        self.shared.requests.lock().expect("lock").values().sum()
    }

    /// Serves until Ctrl-C (the `nba-props box-score-source` command).
    pub async fn run_until_ctrl_c(self) -> Result<()> {
        tokio::signal::ctrl_c().await?;
        self.server.abort();
        Ok(())
    }
}

impl Drop for StandInSource {
    fn drop(&mut self) {
        self.server.abort();
    }
}
