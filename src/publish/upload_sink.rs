//! [`UploadSink`]: the [`Sink`] that uploads. Init segments and fragments
//! put into it go into an [`UploadQueue`] (the ingest protocol's order,
//! retries and bounded queue); a driver then sends what the queue asks
//! for. Parts are taken and dropped: uploads carry whole fragments.

use super::upload::{UploadEvent, UploadQueue};
use crate::ingest::routes::CONTENT_TYPE_VIDEO_MP4;
use crate::ingest::TrackName;
use crate::mux::sink::{OpenBuffer, Output, OutputKind, Sink, SinkError};

/// Init segments and fragments into an [`UploadQueue`]. An output's
/// stream is its ingest track name (`video`); its start and duration
/// become the fragment's times in µs.
#[derive(Debug)]
pub struct UploadSink {
    queue: UploadQueue,
    content_types: Vec<(String, &'static str)>,
    now_ms: f64,
    open: OpenBuffer,
    events: Vec<UploadEvent>,
}

impl UploadSink {
    /// Queues into `queue`.
    pub fn new(queue: UploadQueue) -> Self {
        UploadSink { queue, content_types: Vec::new(), now_ms: 0.0, open: OpenBuffer::default(), events: Vec::new() }
    }

    /// The `Content-Type` of `stream`'s uploads; default `video/mp4`.
    pub fn with_content_type(mut self, stream: impl Into<String>, content_type: &'static str) -> Self {
        self.content_types.push((stream.into(), content_type));
        self
    }

    /// The time (the queue's clock, ms) that fragments put from now on
    /// were made at: their upload latency counts from it.
    pub fn set_now(&mut self, now_ms: f64) {
        self.now_ms = now_ms;
    }

    /// The queue.
    pub fn queue(&self) -> &UploadQueue {
        &self.queue
    }

    /// The queue, mutably: to take requests and report answers.
    pub fn queue_mut(&mut self) -> &mut UploadQueue {
        &mut self.queue
    }

    /// What queueing caused since the last call: [`UploadEvent::Dropped`]
    /// when the bounded queue made room.
    pub fn take_events(&mut self) -> Vec<UploadEvent> {
        std::mem::take(&mut self.events)
    }
}

impl Sink for UploadSink {
    fn begin(&mut self, output: &Output) -> Result<(), SinkError> {
        if output.kind == OutputKind::File {
            let reason = "uploads take init segments and fragments".to_string();
            return Err(SinkError::Unsupported { name: output.name.clone(), reason });
        }
        self.open.begin(output)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        self.open.write(bytes)
    }

    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<(), SinkError> {
        self.open.write_at(offset, bytes)
    }

    fn end(&mut self) -> Result<(), SinkError> {
        let (output, bytes) = self.open.end()?;
        let unsupported = |reason: String| SinkError::Unsupported { name: output.name.clone(), reason };
        let track = TrackName::new(&output.stream).map_err(|e| unsupported(e.to_string()))?;
        let content_type = self
            .content_types
            .iter()
            .find(|(stream, _)| *stream == output.stream)
            .map_or(CONTENT_TYPE_VIDEO_MP4, |(_, ct)| *ct);
        match output.kind {
            OutputKind::Init => self.queue.set_init(track, bytes, content_type),
            OutputKind::Fragment => {
                let sequence =
                    output.sequence.ok_or_else(|| unsupported("a fragment needs a sequence number".into()))?;
                let (start_us, duration_us) =
                    output.span_micros().ok_or_else(|| unsupported("a fragment needs a start".into()))?;
                let dropped =
                    self.queue.push_fragment(track, sequence.into(), start_us, duration_us, bytes, self.now_ms);
                self.events.extend(dropped);
            }
            OutputKind::Part | OutputKind::File => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::routes::CONTENT_TYPE_AUDIO_MP4;
    use crate::ingest::StreamName;
    use crate::publish::UploadConfig;
    use crate::time::{Timescale, Timestamp};

    fn fragment(stream: &str, sequence: u32, start_ticks: i64) -> Output {
        Output {
            name: format!("{stream}/{sequence}.m4s"),
            kind: OutputKind::Fragment,
            stream: stream.into(),
            track_ids: vec![1],
            sequence: Some(sequence),
            part: None,
            start: Some(Timestamp::new(start_ticks, Timescale::MPEG)),
            duration: 90_000,
            keyframe: true,
        }
    }

    #[test]
    fn init_segments_and_fragments_are_queued_with_their_times() {
        let mut config = UploadConfig::new(StreamName::new("cam").unwrap());
        config.max_queue_duration = Timestamp::from_millis(2000);
        let mut sink = UploadSink::new(UploadQueue::new(config)).with_content_type("audio", CONTENT_TYPE_AUDIO_MP4);
        let mut init = fragment("audio", 0, 0);
        init.kind = OutputKind::Init;
        sink.put(&init, b"init").unwrap();
        sink.set_now(5.0);
        sink.begin(&fragment("audio", 1, 180_000)).unwrap();
        sink.write(b"moof????").unwrap();
        sink.write_at(4, b"mdat").unwrap();
        sink.end().unwrap();
        let mut part = fragment("audio", 2, 270_000);
        part.kind = OutputKind::Part;
        sink.put(&part, b"part").unwrap();
        assert!(sink.take_events().is_empty());
        assert_eq!(sink.queue().queued_fragments(), 1, "parts are not uploaded");

        let req = sink.queue_mut().next_request(10.0).unwrap();
        assert_eq!(
            (req.path.as_str(), req.content_type),
            ("/streams/cam/audio/init.mp4", Some(CONTENT_TYPE_AUDIO_MP4))
        );
        assert_eq!(&req.body[..], b"init");
        let q = sink.queue();
        assert_eq!(q.queued_duration_us(), 1_000_000);
        assert_eq!(q.queued_bytes(), 8);
        // The bounded queue drops the oldest unsent fragment.
        for seq in 2..=3 {
            sink.put(&fragment("audio", seq, i64::from(seq) * 90_000), b"frag").unwrap();
        }
        let events = sink.take_events();
        assert!(matches!(&events[..], [UploadEvent::Dropped { sequences, .. }] if sequences == &[1]), "{events:?}");
        assert!(matches!(sink.put(&Output::file("x.mp4"), b""), Err(SinkError::Unsupported { .. })));
        assert!(matches!(sink.put(&fragment("bad name", 4, 0), b""), Err(SinkError::Unsupported { .. })));
        assert!(sink.queue_mut().next_request(10.0).is_none(), "the init segment is in flight");
    }
}
