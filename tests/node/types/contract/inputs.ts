// Objects an app passes to framecast, typed against the package's
// declarations (generated from the Rust types that read them). Used by
// tests/node/type_contract.test.mjs: `tsc --strict` compiles this file
// against the packed package, then the test feeds every `accepted` object
// to the real API, which must take it, and every `refused` object, which
// must be refused with an `invalid-config` or `invalid-preset`
// FramecastError. Each refused object sits on one line under an
// expect-error directive, so the declarations must refuse it too.
//
// The samples cover every form a hand-written part of the declarations
// allows (the `tsify(type = ...)` overrides over custom readers: numbers as
// strings, "auto", lengths, channels, frame rates, rotations).
import type { AudioTranscodeOptions, EncoderConfig, FramePipelineOptions, Preset } from 'framecast';

/** `new Encoder(config)`. */
export const encoderConfigs = {
  accepted: [
    { width: 64, height: 48 },
    {
      width: 64, height: 48, frameRate: 25, bitrate: 100_000, maxBitrate: 200_000, rateControl: 'bitrate', qp: null,
      keyframeInterval: 50, profile: 'baseline', level: '3.1', usage: 'screen', format: 'avc', threads: 1,
      sceneChangeKeyframes: true, frameSkip: true,
    },
    { width: 64, height: 48, rateControl: 'quality', profile: 'main', format: 'annexb', maxBitrate: null, level: null },
    { width: 64, height: 48, rateControl: 'off', qp: 30, profile: 'high', usage: 'camera', keyframeInterval: null },
  ] satisfies EncoderConfig[],
  refused: [
    // @ts-expect-error width and height are required
    { bitrate: 100_000 } satisfies EncoderConfig,
    // @ts-expect-error not a profile
    { width: 64, height: 48, profile: 'extended' } satisfies EncoderConfig,
    // @ts-expect-error a level is a string ("3.1")
    { width: 64, height: 48, level: 31 } satisfies EncoderConfig,
    // @ts-expect-error not a NAL framing
    { width: 64, height: 48, format: 'avcc' } satisfies EncoderConfig,
    // @ts-expect-error unknown field (the field is `bitrate`)
    { width: 64, height: 48, bitRate: 100_000 } satisfies EncoderConfig,
  ] as unknown[],
};

/** `parsePreset(preset)`: the JSON a user writes, numbers as numbers or strings. */
export const presets = {
  accepted: [
    { name: 'numbers', container: 'fmp4', video: { bitRate: 2400, maxWidth: 1280, maxHeight: 720, frameRate: 30 } },
    {
      name: 'Elastic Transcoder strings', container: 'hls', description: 'as Elastic Transcoder wrote them',
      video: {
        codec: 'H.264', codecOptions: { profile: 'baseline', level: '3.1', maxReferenceFrames: '3', maxBitRate: '3000', bufferSize: '30000' },
        keyframesMaxDist: '90', fixedGop: 'true', bitRate: '2400', frameRate: '29.97', maxWidth: '1280', maxHeight: '720',
        sizingPolicy: 'ShrinkToFit', paddingPolicy: 'NoPad', displayAspectRatio: 'auto',
      },
      audio: { codec: 'AAC', sampleRate: '44100', bitRate: '160', channels: '2', codecOptions: { profile: 'AAC-LC' } },
      thumbnails: { format: 'png', interval: '60', maxWidth: '192', maxHeight: '108', sizingPolicy: 'Fit', paddingPolicy: 'Pad' },
    },
    {
      id: 'progressive-1', name: 'mp4, auto', container: 'mp4',
      video: {
        codecOptions: { profile: 'high', level: 4, maxReferenceFrames: 3, maxBitRate: 5000, bufferSize: 50000 },
        keyframesMaxDist: 60, fixedGop: false, bitRate: 'auto', frameRate: 'auto', maxFrameRate: '30000/1001',
        maxWidth: 'auto', maxHeight: 'auto', sizingPolicy: 'Fill', paddingPolicy: 'Pad', displayAspectRatio: '16:9',
      },
      audio: { codec: 'AAC', sampleRate: 'auto', bitRate: 128, channels: 'auto', codecOptions: { profile: 'auto' } },
    },
    {
      name: 'rates and levels', container: 'cmaf',
      video: { codecOptions: { level: 3.1 }, fixedGop: true, bitRate: 1000, frameRate: 23.976, maxWidth: 640, maxHeight: 360, sizingPolicy: 'Stretch', displayAspectRatio: '4:3' },
      audio: { codec: 'opus', sampleRate: 48000, bitRate: '64', channels: 1 },
    },
    { name: 'frame rate fraction', container: 'dash', video: { codecOptions: { level: '4' }, bitRate: 800, frameRate: '30000/1001', sizingPolicy: 'Keep', displayAspectRatio: '1:1' } },
    { name: 'max frame rate', container: 'fmp4', video: { bitRate: 800, frameRate: 'auto', maxFrameRate: 30, sizingPolicy: 'ShrinkToFill', displayAspectRatio: '3:2' } },
    { name: 'max frame rate string', container: 'fmp4', video: { bitRate: 800, maxFrameRate: '29.97' } },
    {
      name: 'watermarks', container: 'fmp4', video: { bitRate: 1200, maxWidth: 1280, maxHeight: 720 },
      watermarks: [
        { id: 'pixels', maxWidth: 120, maxHeight: '120', horizontalOffset: '10px', verticalOffset: 10, opacity: 50.5, sizingPolicy: 'Fit', target: 'Frame' },
        { id: 'percent', maxWidth: '10%', maxHeight: '12.5%', horizontalAlign: 'Right', horizontalOffset: '5%', verticalAlign: 'Bottom', verticalOffset: '0px', opacity: '37.5', sizingPolicy: 'Stretch' },
        { id: 'centred', horizontalAlign: 'Center', verticalAlign: 'Center', sizingPolicy: 'ShrinkToFit', target: 'Content', opacity: 100 },
      ],
    },
    { name: 'ogg', container: 'ogg', audio: { codec: 'opus', bitRate: 48, channels: '1' } },
    { name: 'oga', container: 'oga', audio: { codec: 'opus', bitRate: 96, channels: 2 } },
    { name: 'flac', container: 'flac', audio: { codec: 'flac', sampleRate: 96000, codecOptions: { bitDepth: '24' } } },
    { name: 'wav', container: 'wav', audio: { codec: 'pcm', sampleRate: '48000', codecOptions: { bitDepth: 16 } } },
    { name: 'mp3', container: 'mp3', audio: { codec: 'mp3', sampleRate: 44100, bitRate: 192, channels: 'auto' } },
    { name: 'he-aac', container: 'fmp4', audio: { codec: 'AAC', bitRate: 48, codecOptions: { profile: 'HE-AAC' } } },
    { name: 'he-aac v2', container: 'fmp4', audio: { codec: 'AAC', bitRate: 32, channels: 2, codecOptions: { profile: 'HE-AACv2' } } },
    { name: 'thumbnails', container: 'fmp4', video: { bitRate: 1000 }, thumbnails: { format: 'jpg', interval: 10, maxWidth: 'auto', maxHeight: 'auto', sizingPolicy: 'ShrinkToFill' } },
  ] satisfies Preset[],
  refused: [
    // @ts-expect-error not a container
    { name: 'x', container: 'avi' } satisfies Preset,
    // @ts-expect-error `name` is required
    { container: 'fmp4', video: { bitRate: 1000 } } satisfies Preset,
    // @ts-expect-error not an audio codec
    { name: 'x', container: 'ogg', audio: { codec: 'vorbis' } } satisfies Preset,
    // @ts-expect-error one or two channels, or "auto"
    { name: 'x', container: 'ogg', audio: { codec: 'opus', bitRate: 64, channels: 3 } } satisfies Preset,
    // @ts-expect-error fixedGop is a boolean or "true" / "false"
    { name: 'x', container: 'mp4', video: { bitRate: 1000, fixedGop: 'yes' } } satisfies Preset,
    // @ts-expect-error a bit rate is a number or a string holding one
    { name: 'x', container: 'mp4', video: { bitRate: true } } satisfies Preset,
    // @ts-expect-error not a length
    { name: 'x', container: 'mp4', video: { bitRate: 1000 }, watermarks: [{ id: 'w', maxWidth: '5em' }] } satisfies Preset,
    // @ts-expect-error not a sizing policy
    { name: 'x', container: 'mp4', video: { bitRate: 1000, sizingPolicy: 'Crop' } } satisfies Preset,
    // @ts-expect-error not a display aspect ratio
    { name: 'x', container: 'mp4', video: { bitRate: 1000, displayAspectRatio: '21:9' } } satisfies Preset,
    // @ts-expect-error not an AAC profile
    { name: 'x', container: 'mp4', audio: { codec: 'AAC', bitRate: 64, codecOptions: { profile: 'AAC-LD' } } } satisfies Preset,
    // @ts-expect-error not an image format
    { name: 'x', container: 'mp4', video: { bitRate: 1000 }, thumbnails: { format: 'gif', interval: 10 } } satisfies Preset,
    // @ts-expect-error unknown field (Elastic Transcoder's `Video:Watermarks` is the top-level `watermarks`)
    { name: 'x', container: 'mp4', video: { bitRate: 1000, watermarks: [] } } satisfies Preset,
  ] as unknown[],
};

/** `new FramePipeline(options)`. */
export const framePipelineOptions = {
  accepted: [
    { width: 64, height: 48, preset: '1351620000001-000010' },
    { width: 64, height: 48, preset: '1351620000001-000010', format: 'rgba', rotation: 0, filter: 'lanczos3', matrix: 'bt601', range: 'limited' },
    { width: 64, height: 48, preset: '1351620000001-000010', format: 'bgra', rotation: 90, filter: 'bilinear', matrix: 'bt709', range: 'full' },
    { width: 64, height: 48, preset: '1351620000001-000010', format: 'i420', rotation: 180, filter: null, matrix: null, range: null },
    { width: 64, height: 48, preset: { name: 'p', container: 'fmp4', video: { bitRate: 500, maxWidth: 320, maxHeight: 180 } }, format: 'nv12', rotation: 270 },
    { width: 64, height: 48, preset: '{"name":"json","container":"mp4","video":{"bitRate":"500"}}', format: null, watermarks: {} },
  ] satisfies FramePipelineOptions[],
  refused: [
    // @ts-expect-error a preset is required
    { width: 64, height: 48 } satisfies FramePipelineOptions,
    // @ts-expect-error rotations are quarter turns
    { width: 64, height: 48, preset: '1351620000001-000010', rotation: 45 } satisfies FramePipelineOptions,
    // @ts-expect-error not an input format
    { width: 64, height: 48, preset: '1351620000001-000010', format: 'yuv420p' } satisfies FramePipelineOptions,
    // @ts-expect-error not a filter
    { width: 64, height: 48, preset: '1351620000001-000010', filter: 'nearest' } satisfies FramePipelineOptions,
    // @ts-expect-error not a matrix
    { width: 64, height: 48, preset: '1351620000001-000010', matrix: 'bt2020' } satisfies FramePipelineOptions,
    // @ts-expect-error unknown field
    { width: 64, height: 48, preset: '1351620000001-000010', outputWidth: 32 } satisfies FramePipelineOptions,
  ] as unknown[],
};

/** `new AudioTranscoder(preset, options)` (and `transcodeAudio`'s options besides the callbacks). */
export const audioTranscodeOptions = {
  accepted: [
    {},
    { fragmentDuration: 1000, gainDb: -3, limiter: true, extension: 'mp3', mimeType: 'audio/mpeg', maxBadPackets: 10 },
    { fragmentDuration: null, gainDb: null, limiter: null, extension: null, mimeType: null, maxBadPackets: null },
  ] satisfies AudioTranscodeOptions[],
  refused: [
    // @ts-expect-error unknown field (the field is `gainDb`)
    { gain: 3 } satisfies AudioTranscodeOptions,
    // @ts-expect-error limiter is a boolean
    { limiter: 'yes' } satisfies AudioTranscodeOptions,
    // @ts-expect-error the fragment duration is a number of milliseconds
    { fragmentDuration: '2s' } satisfies AudioTranscodeOptions,
  ] as unknown[],
};
