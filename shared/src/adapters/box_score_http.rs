//! The box-score source over HTTPS: NBA stats' `boxscoretraditionalv3` endpoint (or the
//! CLI's stand-in), at the base URL the configuration gives.
//!
//! Each request has a timeout; transport errors, timeouts, 429 and 5xx are retried with
//! exponential backoff and jitter (a few tries within one invocation). A 404 is the
//! source saying it has no such game, and is not retried.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use crate::ports::{BoxScoreSource, SourceError};

/// Tries per fetch (the first and the retries).
const TRIES: usize = 3;

/// An HTTP box-score source.
#[derive(Debug, Clone)]
pub struct HttpBoxScoreSource {
    client: reqwest::Client,
    base_url: String,
    backoff: ExponentialBuilder,
}

/// One try's failure: whether another try may help.
#[derive(Debug)]
struct Failed {
    retry: bool,
    error: SourceError,
}

impl HttpBoxScoreSource {
    /// A source at `base_url` (`https://stats.nba.com/stats`, or a stand-in's URL) with
    /// this per-request timeout.
    pub fn new(base_url: impl Into<String>, timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(3)))
            // stats.nba.com answers only requests that look like a browser's page.
            .user_agent("Mozilla/5.0 (nba-props-serverless backfill)")
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        Ok(Self {
            client,
            base_url: base_url.into().trim_end_matches('/').to_string(),
            backoff: ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(2))
                .with_max_times(TRIES - 1)
                .with_jitter(),
        })
    }

    /// The URL of a game's box score.
    pub fn url(&self, game_id: &str) -> String {
        format!(
            "{}/boxscoretraditionalv3?GameID={game_id}&LeagueID=00&StartPeriod=0&EndPeriod=0&StartRange=0&EndRange=0&RangeType=0",
            self.base_url
        )
    }

    async fn try_once(&self, url: &str) -> Result<Vec<u8>, Failed> {
        let unavailable = |retry: bool, e: String| Failed {
            retry,
            error: SourceError::Unavailable(e),
        };
        let response = self
            .client
            .get(url)
            .header("Referer", "https://www.nba.com/")
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| unavailable(true, format!("GET {url}: {e}")))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(Failed {
                retry: false,
                error: SourceError::NotFound(format!("GET {url}: 404")),
            });
        }
        if !status.is_success() {
            let retry =
                status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
            return Err(unavailable(retry, format!("GET {url}: HTTP {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| unavailable(true, format!("reading {url}: {e}")))?;
        Ok(body.to_vec())
    }
}

impl BoxScoreSource for HttpBoxScoreSource {
    async fn fetch(&self, game_id: &str) -> Result<Vec<u8>, SourceError> {
        let url = self.url(game_id);
        (|| self.try_once(&url))
            .retry(self.backoff)
            .when(|f: &Failed| f.retry)
            .notify(|f: &Failed, after: Duration| {
                tracing::info!(game_id, error = %f.error, retry_in_ms = after.as_millis() as u64, "box-score source failed; retrying");
            })
            .await
            .map_err(|f| f.error)
    }
}
