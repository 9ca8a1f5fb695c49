//! Packages raw video (encoded with framecast's H.264 encoder) and AAC audio
//! (ADTS) into CMAF with HLS, LL-HLS and DASH playlists, on disk. The player
//! tests serve its output to hls.js and dash.js in Chromium.
//!
//! ```text
//! cargo run --release --example package -- --video IN.yuv --size 640x360 [--fps 30]
//!     [--audio IN.aac] --out DIR [--live] [--part-ms 500] [--fragment-ms 2000]
//! ```
//!
//! VOD (default) writes, under DIR:
//! - `video/init.mp4`, `video/N.m4s`, `audio/init.mp4`, `audio/N.m4s`;
//! - `video.m3u8`, `audio.m3u8`, `master.m3u8` (HLS VOD, audio group);
//! - `manifest.mpd` (static, SegmentTemplate);
//! - `ondemand/video.mp4`, `ondemand/audio.mp4` (init + sidx + fragments)
//!   and `ondemand.mpd` (SegmentBase);
//! - `progressive.mp4` (moov first).
//!
//! `--live` paces the input in real time and keeps rewriting (atomically)
//! a sliding-window `video.m3u8`/`audio.m3u8` with LL-HLS parts
//! (`video/N.I.m4s`, when `--part-ms` is given), `master.m3u8`, and a dynamic
//! `manifest.mpd` with a SegmentTimeline, as a live origin would.
//!
//! One segmenter feeds everything at once (a tuple of listeners): a
//! `SinkListener` puts each init segment, part and fragment into a
//! `DirectorySink` (written to a temporary file, renamed into place), an
//! `HlsListener` and a `DashListener` per rendition keep the playlists, and
//! a `MemoryListener` keeps the fragments for the on-demand files.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use framecast::codec::aac::parse_adts;
use framecast::codec::h264::{EncoderConfig, H264Encoder, NalFormat};
use framecast::codec::CodecConfig;
use framecast::frame::{i420_size, I420Planes};
use framecast::ingest;
use framecast::mux::cmaf::sidx;
use framecast::mux::mp4::{progressive_mp4, Mp4Options};
use framecast::mux::segmenter::{Fragment, MemoryListener, Segmenter, SegmenterConfig};
use framecast::mux::sink::{DirectorySink, Naming, Output, Sink, SinkListener};
use framecast::mux::{Sample, TrackConfig};
use framecast::playlist::dash::{AdaptationSet, Addressing, LiveMpd, Mpd, MpdKind, Representation};
use framecast::playlist::hls::{
    AudioRendition, LowLatencyOptions, MediaPlaylistOptions, MultivariantPlaylist, PlaylistKind, Variant, Window,
};
use framecast::playlist::{self, ByteRange, DashListener, FrameRate, HlsListener, Resolution, Timeline};
use framecast::time::{Timescale, Timestamp};

type Error = Box<dyn std::error::Error>;

const VIDEO: u32 = 1;
const AUDIO: u32 = 2;

struct Args {
    video: PathBuf,
    width: u32,
    height: u32,
    fps: u32,
    audio: Option<PathBuf>,
    out: PathBuf,
    live: bool,
    part_ms: Option<i64>,
    fragment_ms: i64,
}

fn parse_args() -> Result<Args, Error> {
    let usage = "usage: package --video IN.yuv --size WxH [--fps N] [--audio IN.aac] --out DIR [--live] [--part-ms MS] [--fragment-ms MS]";
    let mut a = Args {
        video: PathBuf::new(),
        width: 0,
        height: 0,
        fps: 30,
        audio: None,
        out: PathBuf::new(),
        live: false,
        part_ms: None,
        fragment_ms: 2000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--live" {
            a.live = true;
            continue;
        }
        let v = it.next().ok_or(usage)?;
        match flag.as_str() {
            "--video" => a.video = v.into(),
            "--size" => {
                let (w, h) = v.split_once('x').ok_or(usage)?;
                (a.width, a.height) = (w.parse()?, h.parse()?);
            }
            "--fps" => a.fps = v.parse()?,
            "--audio" => a.audio = Some(v.into()),
            "--out" => a.out = v.into(),
            "--part-ms" => a.part_ms = Some(v.parse()?),
            "--fragment-ms" => a.fragment_ms = v.parse()?,
            _ => return Err(usage.into()),
        }
    }
    if a.video.as_os_str().is_empty() || a.out.as_os_str().is_empty() || a.width == 0 {
        return Err(usage.into());
    }
    Ok(a)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("package: {e}");
        std::process::exit(2);
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn run() -> Result<(), Error> {
    let args = parse_args()?;
    let raw = std::fs::read(&args.video)?;
    let frame_size = i420_size(args.width, args.height);
    let frames: Vec<&[u8]> = raw.chunks_exact(frame_size).collect();
    let gop = (args.fragment_ms * args.fps as i64 / 1000).max(1) as u32;

    // Video: encode every frame up front (VOD) or as it "arrives" (live).
    let mut enc_config = EncoderConfig::new(args.width, args.height);
    enc_config.frame_rate = args.fps as f32;
    enc_config.bitrate = 1_000_000;
    enc_config.keyframe_interval = Some(gop);
    enc_config.format = NalFormat::Avc;
    let mut encoder = H264Encoder::new(enc_config)?;
    let ticks_per_frame = 90_000 / args.fps as i64;
    let encode = |encoder: &mut H264Encoder, i: usize| -> Result<Sample, Error> {
        let ts = Timestamp::new(i as i64 * ticks_per_frame, Timescale::MPEG);
        let au =
            encoder.encode(&I420Planes::packed(args.width, args.height, frames[i])?, ts)?.ok_or("frame skipped")?;
        Ok(Sample {
            decode_time: ts.ticks,
            composition_offset: 0,
            duration: ticks_per_frame as u32,
            keyframe: au.keyframe,
            data: au.data,
        })
    };
    let first = encode(&mut encoder, 0)?;
    let avcc = encoder.decoder_config().ok_or("no SPS/PPS")?.avcc.clone();
    let mut tracks = vec![TrackConfig::new(
        VIDEO,
        Timescale::MPEG,
        CodecConfig::Avc { avcc, width: args.width, height: args.height },
    )];

    // Audio: raw AAC frames from ADTS, 1024 samples each.
    let mut audio_samples = Vec::new();
    let audio_bytes = match &args.audio {
        Some(p) => std::fs::read(p)?,
        None => Vec::new(),
    };
    if args.audio.is_some() {
        let (fmt, aframes) = parse_adts(&audio_bytes)?;
        let rate = fmt.sample_rate();
        tracks.push(TrackConfig::new(
            AUDIO,
            Timescale::new(rate).ok_or("zero sample rate")?,
            CodecConfig::Aac { asc: fmt.audio_specific_config(), sample_rate: rate, channels: fmt.channels() },
        ));
        let video_end = frames.len() as i64 * ticks_per_frame * rate as i64 / 90_000;
        for (i, f) in aframes.iter().enumerate() {
            let t = i as i64 * 1024;
            if t + 1024 > video_end {
                break;
            }
            audio_samples.push(Sample {
                decode_time: t,
                composition_offset: 0,
                duration: 1024,
                keyframe: true,
                data: f.to_vec(),
            });
        }
    }

    let seg_config = SegmenterConfig {
        fragment_duration: Timestamp::from_millis(args.fragment_ms),
        part_duration: args.part_ms.map(Timestamp::from_millis),
        ..SegmenterConfig::default()
    };
    let package = Package::new(&args, &tracks)?;
    let listeners = package.listeners(&args)?;
    let mut segmenter = Segmenter::new(tracks.clone(), seg_config, listeners)?;

    let start = Instant::now();
    let mut audio_iter = audio_samples.iter().peekable();
    let mut video_samples = Vec::with_capacity(frames.len());
    for i in 0..frames.len() {
        let sample = if i == 0 { first.clone() } else { encode(&mut encoder, i)? };
        let t_ms = i as i64 * 1000 / args.fps as i64;
        if args.live {
            // A live source delivers frame i at its presentation time.
            let due = start + Duration::from_millis(t_ms as u64);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        // Audio up to this video time first, so tracks stay interleaved.
        while let Some(a) = audio_iter.peek() {
            let a_ms = a.decode_time * 1000 / tracks[1].timescale.get() as i64;
            if a_ms > t_ms {
                break;
            }
            segmenter.push(AUDIO, (*a).clone())?;
            audio_iter.next();
        }
        video_samples.push(sample.clone());
        segmenter.push(VIDEO, sample)?;
        package.flush(segmenter.listener_mut(), false)?;
    }
    for a in audio_iter {
        segmenter.push(AUDIO, a.clone())?;
    }
    segmenter.finish()?;
    let mut listeners = segmenter.into_listener();
    package.flush(&mut listeners, true)?;

    if !args.live {
        package.write_vod_extras(&mut listeners, &tracks, &video_samples, &audio_samples)?;
    }
    eprintln!("package: wrote {}", args.out.display());
    Ok(())
}

/// One rendition: its stream name, track and codec string.
struct Rendition {
    name: &'static str,
    track: TrackConfig,
    codec: String,
}

/// What listens to the segmenter, all at once: the files (init segments,
/// parts, fragments) go to the output directory, each rendition's HLS
/// playlist and DASH timeline follow the fragments, and the init segments
/// and fragments stay in memory for the VOD extras.
type Listeners = (SinkListener<DirectorySink>, (Vec<HlsListener>, Vec<DashListener>), MemoryListener);

/// The package being written: its renditions, and how playlists are
/// published.
struct Package {
    live: bool,
    fps: u32,
    availability_start_ms: i64,
    renditions: Vec<Rendition>,
}

impl Package {
    fn new(args: &Args, tracks: &[TrackConfig]) -> Result<Self, Error> {
        std::fs::create_dir_all(&args.out)?;
        let mut renditions = Vec::new();
        for t in tracks {
            let name = if t.id == VIDEO { "video" } else { "audio" };
            renditions.push(Rendition { name, track: t.clone(), codec: t.codec.codec_string()? });
        }
        Ok(Package { live: args.live, fps: args.fps, availability_start_ms: now_ms(), renditions })
    }

    /// The segmenter's listeners: the directory, and per rendition an HLS
    /// playlist (a live window with LL-HLS parts when `--live --part-ms`)
    /// and a DASH timeline, dated from the availability start.
    fn listeners(&self, args: &Args) -> Result<Listeners, Error> {
        let mut naming = Naming::new();
        let mut hls = Vec::new();
        let mut dash = Vec::new();
        for r in &self.renditions {
            let t = &r.track;
            naming = naming.with(t.id, r.name);
            let kind = if args.live { PlaylistKind::Live(Window::Segments(6)) } else { PlaylistKind::Vod };
            let mut options = MediaPlaylistOptions { kind, ..Default::default() };
            // Parts are listed (LL-HLS) only in live playlists; VOD still
            // writes the part files, for tests that inspect CMAF chunks.
            if let (Some(part), true) = (args.part_ms, args.live) {
                // Parts follow the video's part grid; an audio part can run one
                // AAC frame (1024 samples) past it, and PART-TARGET must cover
                // every part (RFC 8216bis 4.4.3.7).
                let slack = if t.id == VIDEO {
                    0
                } else {
                    (1024 * 1000 + t.timescale.get() as i64 - 1) / t.timescale.get() as i64
                };
                let mut ll = LowLatencyOptions::new(Timestamp::from_millis(part + slack));
                ll.part_hold_back = Some(Timestamp::from_millis(part * 3));
                options.low_latency = Some(ll);
                options.target_duration = Some(((args.fragment_ms + 999) / 1000) as u32 + 1);
            }
            let start = self.availability_start_ms;
            hls.push(HlsListener::new(t.id, t.timescale, r.name, options)?.with_program_date_time(start));
            dash.push(DashListener::new(t.id, t.timescale, r.name).with_program_date_time(start));
        }
        let files = SinkListener::new(DirectorySink::new(&args.out), naming);
        Ok((files, (hls, dash), MemoryListener::default()))
    }

    /// Rewrites the playlists (live: after every input frame; VOD: once at
    /// the end) and reports any error a listener hit.
    fn flush(&self, listeners: &mut Listeners, finished: bool) -> Result<(), Error> {
        let (files, (hls, dash), _) = listeners;
        files.check()?;
        for h in hls.iter_mut() {
            h.check()?;
        }
        if !self.live && !finished {
            return Ok(());
        }
        let sink = files.sink_mut();
        for h in hls.iter_mut() {
            if finished {
                // The stream is over: live playlists end with EXT-X-ENDLIST too.
                h.playlist_mut().finish()?;
            }
            match h.playlist().render() {
                // Nothing to list yet: publish the playlist once it has content.
                Err(playlist::PlaylistError::NoSegments) => continue,
                text => sink.put(&Output::file(format!("{}.m3u8", h.stream())), text?.as_bytes())?,
            }
        }
        if dash.iter().all(|d| !d.timeline().segments.is_empty()) {
            sink.put(&Output::file("master.m3u8"), self.master(dash)?.as_bytes())?;
            sink.put(&Output::file("manifest.mpd"), self.mpd(dash, finished)?.as_bytes())?;
        }
        Ok(())
    }

    fn master(&self, dash: &[DashListener]) -> Result<String, Error> {
        let video = &self.renditions[0];
        let mut bw = dash[0].timeline().bandwidth()?;
        let mut codecs = vec![video.codec.clone()];
        let mut master = MultivariantPlaylist::default();
        if let (Some(audio), Some(timeline)) = (self.renditions.get(1), dash.get(1)) {
            bw = bw.combined(timeline.timeline().bandwidth()?);
            codecs.push(audio.codec.clone());
            let mut rendition = AudioRendition::new("aac", "English", audio.codec.clone(), "audio.m3u8");
            rendition.language = Some("en".into());
            rendition.default = true;
            rendition.channels = ingest::channels(&audio.track.codec);
            master.audio.push(rendition);
        }
        let mut variant = Variant::new("video.m3u8", bw, codecs);
        if let CodecConfig::Avc { width, height, .. } = video.track.codec {
            variant.resolution = Some(Resolution::new(width, height));
        }
        variant.frame_rate = Some(FrameRate { num: self.fps, den: 1 });
        if self.renditions.len() > 1 {
            variant.audio_group = Some("aac".into());
        }
        master.variants.push(variant);
        Ok(master.render()?)
    }

    fn mpd(&self, dash: &[DashListener], finished: bool) -> Result<String, Error> {
        let mut sets = Vec::new();
        for (i, (r, d)) in self.renditions.iter().zip(dash).enumerate() {
            let media = ingest::media_info(&r.track.codec, Some(FrameRate { num: self.fps, den: 1 }));
            let mut set = AdaptationSet::new(i as u32, vec![d.representation(r.name, r.codec.clone(), media)?]);
            if r.track.codec.kind() == framecast::codec::TrackKind::Audio {
                set.lang = Some("en".into());
            }
            sets.push(set);
        }
        let kind = if self.live && !finished {
            let mut live = LiveMpd::new(self.availability_start_ms, now_ms());
            live.minimum_update_period = Timestamp::from_millis(1000);
            live.suggested_presentation_delay = Some(Timestamp::from_millis(4000));
            MpdKind::Dynamic(live)
        } else {
            MpdKind::Static
        };
        // Clients sync their clock to ours (else dash.js asks a public time server).
        let utc_timing = vec![playlist::dash::UtcTiming::direct(now_ms())?];
        Ok(Mpd { kind, adaptation_sets: sets, utc_timing, ..Default::default() }.render()?)
    }

    /// VOD only: the on-demand (sidx) files and MPD, and a progressive MP4.
    fn write_vod_extras(
        &self,
        listeners: &mut Listeners,
        tracks: &[TrackConfig],
        video: &[Sample],
        audio: &[Sample],
    ) -> Result<(), Error> {
        let (files, (_, dash), memory) = listeners;
        let sink = files.sink_mut();
        let mut sets = Vec::new();
        for (i, (r, d)) in self.renditions.iter().zip(dash.iter()).enumerate() {
            let fragments: Vec<&Fragment> =
                memory.fragments.iter().filter(|f| f.track_ids.first() == Some(&r.track.id)).collect();
            let init =
                memory.inits.iter().find(|i| i.track_ids.first() == Some(&r.track.id)).ok_or("no init segment")?;
            // File = init + sidx + fragments; the sidx points just past itself.
            let refs: Vec<_> = fragments.iter().map(|f| f.sidx_reference()).collect();
            let first = fragments.first().ok_or("no fragments")?;
            let ept = first.tracks.first().map(|s| s.earliest_presentation_time.max(0) as u64).unwrap_or(0);
            let index = sidx(r.track.id, r.track.timescale, ept, 0, &refs)?;
            let mut file = init.bytes.clone();
            let index_range = ByteRange { offset: file.len() as u64, length: index.len() as u64 };
            file.extend_from_slice(&index);
            let mut timeline = Timeline::new(r.track.timescale);
            for f in &fragments {
                let mut seg = playlist::Segment::new(
                    f.sequence_number.into(),
                    f.start.ticks,
                    f.duration,
                    format!("ondemand/{}.mp4", r.name),
                );
                seg.byte_range = Some(ByteRange { offset: file.len() as u64, length: f.bytes.len() as u64 });
                timeline.segments.push(seg);
                file.extend_from_slice(&f.bytes);
            }
            timeline.init = Some(playlist::InitSegmentRef {
                uri: format!("ondemand/{}.mp4", r.name),
                byte_range: Some(ByteRange { offset: 0, length: init.bytes.len() as u64 }),
            });
            sink.put(&Output::file(format!("ondemand/{}.mp4", r.name)), &file)?;
            let media = ingest::media_info(&r.track.codec, Some(FrameRate { num: self.fps, den: 1 }));
            sets.push(AdaptationSet::new(
                i as u32,
                vec![Representation {
                    id: r.name.into(),
                    bandwidth: d.timeline().bandwidth()?.peak,
                    codecs: r.codec.clone(),
                    media,
                    timeline,
                    addressing: Addressing::SegmentBase { index_range },
                    presentation_time_offset: 0,
                }],
            ));
        }
        let mpd = Mpd { kind: MpdKind::Static, adaptation_sets: sets, ..Default::default() }.render()?;
        sink.put(&Output::file("ondemand.mpd"), mpd.as_bytes())?;

        let mut inputs: Vec<(&TrackConfig, &[Sample])> = vec![(&tracks[0], video)];
        if tracks.len() > 1 {
            inputs.push((&tracks[1], audio));
        }
        sink.put(&Output::file("progressive.mp4"), &progressive_mp4(&inputs, &Mp4Options::default())?)?;
        Ok(())
    }
}
