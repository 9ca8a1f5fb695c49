//! Command-line options.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const USAGE: &str = "\
usage: framecast-server [--data DIR] [--listen ADDR] [--auto-create]
                        [--max-fragment-bytes N] [--window N] [--token TOKEN]
                        [--body-timeout-ms MS]

  --data DIR               where streams are stored (default ./data)
  --listen ADDR            address to listen on (default 127.0.0.1:8787; port 0 picks one)
  --auto-create            create a stream on its first upload (default: PUT /streams/NAME first)
  --max-fragment-bytes N   largest accepted fragment upload (default 50000000)
  --window N               fragments listed in live playlists per track (default 6)
  --token TOKEN            require 'Authorization: Bearer TOKEN' on PUT, POST and DELETE
  --body-timeout-ms MS     time allowed to receive a request body (default 30000)";

/// Largest accepted init segment, in bytes.
pub const MAX_INIT_BYTES: usize = 1 << 20;
/// Most tracks per stream.
pub const MAX_TRACKS: usize = 8;

/// The server's settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub data: PathBuf,
    pub listen: SocketAddr,
    pub auto_create: bool,
    pub max_fragment_bytes: usize,
    pub window: usize,
    pub token: Option<String>,
    pub body_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data: PathBuf::from("./data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            auto_create: false,
            max_fragment_bytes: 50_000_000,
            window: 6,
            token: None,
            body_timeout: Duration::from_millis(30_000),
        }
    }
}

/// What the command line asks for.
pub enum Command {
    Run(Config),
    Help,
}

impl Config {
    /// Parses the arguments (without the program name).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
        let mut c = Config::default();
        let mut it = args.into_iter();
        while let Some(flag) = it.next() {
            let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
            match flag.as_str() {
                "-h" | "--help" => return Ok(Command::Help),
                "--auto-create" => c.auto_create = true,
                "--data" => c.data = PathBuf::from(value("--data")?),
                "--listen" => {
                    let v = value("--listen")?;
                    c.listen = v.parse().map_err(|_| format!("--listen must be an IP address and port, got {v:?}"))?;
                }
                "--max-fragment-bytes" => {
                    let v = value("--max-fragment-bytes")?;
                    c.max_fragment_bytes =
                        v.parse().ok().filter(|&n: &usize| (1024..=1 << 30).contains(&n)).ok_or_else(|| {
                            format!("--max-fragment-bytes must be from 1024 to 1073741824, got {v:?}")
                        })?;
                }
                "--window" => {
                    let v = value("--window")?;
                    c.window = v
                        .parse()
                        .ok()
                        .filter(|&n: &usize| (1..=10_000).contains(&n))
                        .ok_or_else(|| format!("--window must be from 1 to 10000, got {v:?}"))?;
                }
                "--token" => {
                    let v = value("--token")?;
                    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_graphic()) {
                        return Err("--token must be non-empty printable ASCII without spaces".into());
                    }
                    c.token = Some(v);
                }
                "--body-timeout-ms" => {
                    let v = value("--body-timeout-ms")?;
                    let ms: u64 = v
                        .parse()
                        .ok()
                        .filter(|&n| (1..=3_600_000).contains(&n))
                        .ok_or_else(|| format!("--body-timeout-ms must be from 1 to 3600000, got {v:?}"))?;
                    c.body_timeout = Duration::from_millis(ms);
                }
                other => return Err(format!("unknown option {other:?}")),
            }
        }
        Ok(Command::Run(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        match Config::from_args(args.iter().map(|s| s.to_string()))? {
            Command::Run(c) => Ok(c),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn defaults_and_flags() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8787");
        assert_eq!((c.window, c.max_fragment_bytes, c.auto_create), (6, 50_000_000, false));
        let c = parse(&[
            "--data",
            "/tmp/x",
            "--listen",
            "127.0.0.1:0",
            "--auto-create",
            "--window",
            "20",
            "--max-fragment-bytes",
            "4096",
        ])
        .unwrap();
        assert_eq!(c.data, PathBuf::from("/tmp/x"));
        assert_eq!(c.listen.port(), 0);
        assert!(c.auto_create);
        assert_eq!((c.window, c.max_fragment_bytes), (20, 4096));
    }

    #[test]
    fn bad_flags_are_refused() {
        assert!(parse(&["--window", "0"]).is_err());
        assert!(parse(&["--window"]).is_err());
        assert!(parse(&["--listen", "localhost"]).is_err());
        assert!(parse(&["--max-fragment-bytes", "-1"]).is_err());
        assert!(parse(&["--token", "a b"]).is_err());
        assert!(parse(&["--frobnicate"]).is_err());
        assert_eq!(parse(&["--help"]).unwrap_err(), "help");
    }
}
