//! Helpers for the server tests: the real `framecast-server` process on an
//! ephemeral port, an HTTP client, raw HTTP/1.1 over a socket for requests
//! no well-behaved client sends, and test media made with the core's
//! encoder and segmenter.
#![allow(dead_code)] // Shared by several test binaries; each uses a part.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use framecast::codec::aac::parse_adts;
use framecast::codec::h264::{EncoderConfig, H264Encoder, NalFormat};
use framecast::codec::CodecConfig;
use framecast::frame::{i420_size, I420Planes};
use framecast::mux::cmaf::CmafWriter;
use framecast::mux::segmenter::{MemoryListener, Segmenter, SegmenterConfig};
use framecast::mux::{Sample, TrackConfig};
use framecast::time::{Timescale, Timestamp};
use serde_json::Value;

// ---------------------------------------------------------------- server

/// A running `framecast-server`. Killed when dropped.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub data: PathBuf,
    logs: Arc<Mutex<Vec<String>>>,
}

/// A fresh, empty data directory for test `name`.
pub fn data_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("stream-server-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Server {
    /// Starts the server on `data` with `args`, on 127.0.0.1 and a port
    /// the system picks, and waits until it listens.
    pub fn start(data: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_framecast-server"))
            .arg("--data")
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn framecast-server");
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = logs.clone();
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if v["msg"] == "listening" {
                        let _ = tx.send(v["addr"].as_str().unwrap_or("").to_owned());
                    }
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(a) => a.parse().unwrap(),
            Err(_) => {
                let _ = child.kill();
                panic!("server did not start; log:\n{}", logs.lock().unwrap().join("\n"));
            }
        };
        Server { child: Some(child), addr, data: data.to_owned(), logs }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The server's log lines so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// SIGKILL: no chance to clean up, as in a crash or power loss.
    pub fn kill(mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Sends SIGTERM without waiting.
    pub fn signal_terminate(&self) {
        let ok = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().unwrap();
        assert!(ok.success());
    }

    /// SIGTERM, then waits for the exit.
    pub fn terminate(self) -> ExitStatus {
        self.signal_terminate();
        self.wait()
    }

    /// Waits (at most 15 s) for the process to exit.
    pub fn wait(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                // Let the log thread catch the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("server did not stop");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

// ------------------------------------------------------------------ HTTP

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The `error.code` of an error answer.
    pub fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or("").to_owned()
    }
}

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into()
    })
}

/// Sends a request with the usual client; `Err` on transport errors
/// (connection refused or reset).
pub fn try_request(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Reply, ureq::Error> {
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(body.to_vec()).unwrap();
    let mut resp = agent().run(req)?;
    let status = resp.status().as_u16();
    let headers =
        resp.headers().iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())).collect();
    let body = resp.body_mut().with_config().limit(100 << 20).read_to_vec()?;
    Ok(Reply { status, headers, body })
}

pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    try_request(method, url, headers, body).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}

pub fn get(url: &str) -> Reply {
    request("GET", url, &[], &[])
}

pub fn put_media(url: &str, content_type: &str, body: &[u8]) -> Reply {
    request("PUT", url, &[("Content-Type", content_type)], body)
}

/// Sends `head` (request line and headers, without the blank line; a
/// `Connection: close` is added) and then `body` on a fresh connection,
/// optionally closing the sending side, and returns the first answer.
pub fn raw(addr: SocketAddr, head: &str, body: &[u8], close_write: bool) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut bytes = format!("{head}\r\nHost: {addr}\r\nConnection: close\r\n\r\n").into_bytes();
    bytes.extend_from_slice(body);
    s.write_all(&bytes).unwrap();
    if close_write {
        s.shutdown(Shutdown::Write).unwrap();
    }
    let mut buf = Vec::new();
    // The server closes after its answer (Connection: close); a reset
    // after the answer is fine.
    let mut chunk = [0u8; 65536];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if !buf.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading the answer to {head:?}: {e}"),
        }
    }
    parse_response(&buf).unwrap_or_else(|| panic!("no HTTP answer to {head:?}: {:?}", String::from_utf8_lossy(&buf)))
}

fn parse_response(buf: &[u8]) -> Option<Reply> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))).collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body = buf.get(end + 4..end + 4 + len)?.to_vec();
    Some(Reply { status, headers, body })
}

// ----------------------------------------------------------------- files

/// Every file under `dir`, relative, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The lines of a stream's index log.
pub fn index_lines(data: &Path, stream: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(data.join("streams").join(stream).join("index.jsonl")).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

// ----------------------------------------------------------------- media

pub const WIDTH: u32 = 320;
pub const HEIGHT: u32 = 240;
pub const FPS: i64 = 30;
/// 20 s of video: ten 2-second fragments.
pub const FRAMES: usize = 600;

/// One fragment as a publisher would upload it.
#[derive(Debug, Clone)]
pub struct Fragment {
    pub seq: u64,
    pub bytes: Vec<u8>,
    /// Its start in microseconds (the expected `producerTimestamp`).
    pub start_us: i64,
}

/// A 20-second test stream: H.264 320x240 at 30 fps (an IDR every 2 s) and
/// AAC-LC 48 kHz stereo, cut by the core's segmenter into one CMAF track
/// each, plus a few odd uploads.
pub struct Media {
    pub video_init: Vec<u8>,
    pub video: Vec<Fragment>,
    pub audio_init: Vec<u8>,
    pub audio: Vec<Fragment>,
    /// An init segment for 160x120 video (another configuration).
    pub other_video_init: Vec<u8>,
    /// Fragment number 4 of the video track starting right after fragment
    /// 3, but with a P-frame.
    pub non_keyframe: Vec<u8>,
    pub video_samples: Vec<Sample>,
}

pub fn media() -> &'static Media {
    static MEDIA: OnceLock<Media> = OnceLock::new();
    MEDIA.get_or_init(make_media)
}

/// A moving diagonal pattern with a drifting tint.
fn frame(i: usize, w: u32, h: u32) -> Vec<u8> {
    let (w, h) = (w as usize, h as usize);
    let mut f = vec![0u8; i420_size(w as u32, h as u32)];
    let (y, uv) = f.split_at_mut(w * h);
    for row in 0..h {
        for col in 0..w {
            y[row * w + col] = ((col + 2 * row + 4 * i) & 0xff) as u8;
        }
    }
    let (u, v) = uv.split_at_mut(w * h / 4);
    u.fill((128 + (i % 64)) as u8);
    v.fill((128u8).wrapping_sub((i % 64) as u8));
    f
}

fn encode(width: u32, height: u32, frames: usize) -> (Vec<Sample>, Vec<u8>) {
    let mut cfg = EncoderConfig::new(width, height);
    cfg.frame_rate = FPS as f32;
    cfg.bitrate = 300_000;
    cfg.keyframe_interval = Some(60);
    cfg.format = NalFormat::Avc;
    let mut enc = H264Encoder::new(cfg).unwrap();
    let ticks = 90_000 / FPS;
    let mut samples = Vec::with_capacity(frames);
    for i in 0..frames {
        let f = frame(i, width, height);
        let t = i as i64 * ticks;
        let au = enc
            .encode(&I420Planes::packed(width, height, &f).unwrap(), Timestamp::new(t, Timescale::MPEG))
            .unwrap()
            .expect("no frame skipping");
        samples.push(Sample {
            decode_time: t,
            composition_offset: 0,
            duration: ticks as u32,
            keyframe: au.keyframe,
            data: au.data,
        });
    }
    let avcc = enc.decoder_config().unwrap().avcc.clone();
    (samples, avcc)
}

/// 20 s of a 440 Hz tone as AAC in ADTS, made by ffmpeg.
fn aac_adts() -> Vec<u8> {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("stream-server-tone-{}.aac", std::process::id()));
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=20"])
        .args(["-ac", "2", "-c:a", "aac", "-b:a", "96k", "-f", "adts"])
        .arg(&path)
        .status()
        .expect("ffmpeg (installed by .ci/bootstrap.sh)");
    assert!(status.success(), "ffmpeg failed");
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    bytes
}

fn make_media() -> Media {
    let (video_samples, avcc) = encode(WIDTH, HEIGHT, FRAMES);
    let video_track = TrackConfig::new(1, Timescale::MPEG, CodecConfig::Avc { avcc, width: WIDTH, height: HEIGHT });

    let adts = aac_adts();
    let (format, aframes) = parse_adts(&adts).unwrap();
    let rate = format.sample_rate();
    let audio_track = TrackConfig::new(
        2,
        Timescale::new(rate).unwrap(),
        CodecConfig::Aac { asc: format.audio_specific_config(), sample_rate: rate, channels: format.channels() },
    );
    let video_end = FRAMES as i64 * 90_000 / FPS * i64::from(rate) / 90_000;
    let audio_samples: Vec<Sample> = aframes
        .iter()
        .enumerate()
        .map(|(i, f)| Sample {
            decode_time: i as i64 * 1024,
            composition_offset: 0,
            duration: 1024,
            keyframe: true,
            data: f.to_vec(),
        })
        .take_while(|s| s.decode_time + 1024 <= video_end)
        .collect();

    let mut segmenter = Segmenter::new(
        vec![video_track.clone(), audio_track.clone()],
        SegmenterConfig::default(),
        MemoryListener::default(),
    )
    .unwrap();
    let mut audio = audio_samples.iter().peekable();
    for v in &video_samples {
        let v_ms = v.decode_time / 90;
        while let Some(a) = audio.peek() {
            if a.decode_time * 1000 / i64::from(rate) > v_ms {
                break;
            }
            segmenter.push(2, (*a).clone()).unwrap();
            audio.next();
        }
        segmenter.push(1, v.clone()).unwrap();
    }
    for a in audio {
        segmenter.push(2, a.clone()).unwrap();
    }
    segmenter.finish().unwrap();
    let out = segmenter.into_listener();
    let init = |id: u32| out.inits.iter().find(|i| i.track_ids == [id]).unwrap().bytes.clone();
    let fragments = |id: u32| -> Vec<Fragment> {
        out.fragments
            .iter()
            .filter(|f| f.track_ids == [id])
            .map(|f| Fragment {
                seq: u64::from(f.sequence_number),
                bytes: f.bytes.clone(),
                start_us: f.tracks[0].start.rescale(Timescale::MICROS).ticks,
            })
            .collect()
    };
    let video = fragments(1);
    let audio = fragments(2);
    assert_eq!(video.len(), 10, "ten 2-second video fragments");
    assert!(audio.len() >= 10);

    // Another configuration: 160x120.
    let (_, small_avcc) = encode(160, 120, 1);
    let small = TrackConfig::new(1, Timescale::MPEG, CodecConfig::Avc { avcc: small_avcc, width: 160, height: 120 });
    let other_video_init = CmafWriter::new(vec![small]).unwrap().init_segment().unwrap();

    // Frames 181..210: they start after fragment 3 (frames 0..179), with a P-frame.
    let mut writer = CmafWriter::new(vec![video_track]).unwrap();
    let p_frames = &video_samples[181..210];
    assert!(!p_frames[0].keyframe);
    let non_keyframe = writer.fragment(4, &[(1, p_frames)]).unwrap();

    Media { video_init: init(1), video, audio_init: init(2), audio, other_video_init, non_keyframe, video_samples }
}

/// Runs ffprobe on `url` and returns its JSON (streams and format).
pub fn ffprobe(url: &str) -> Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,codec_type,width,height:format=duration,format_name",
            "-of",
            "json",
        ])
        .arg(url)
        .output()
        .expect("ffprobe (installed by .ci/bootstrap.sh)");
    assert!(out.status.success(), "ffprobe {url}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}
