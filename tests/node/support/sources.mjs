// Test inputs made by ffmpeg under target/e2e, shared by the Node suites.
// node --test runs test files in parallel, so each clip is written to a
// unique temporary name and renamed into place: a reader never sees half a
// file, and two writers of the same clip both end with a whole one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';

export const root = new URL('../../../', import.meta.url).pathname;
export const e2e = `${root}target/e2e`;
/** Native builds (examples, framecast-server): `make` sets FRAMECAST_NATIVE_DIR to its `ci` profile folder. */
export const nativeDir = process.env.FRAMECAST_NATIVE_DIR ?? `${root}target/release`;
/** The native build without assembly (the wasm build's reference): FRAMECAST_NATIVE_C_DIR from `make`. */
export const nativeCDir = process.env.FRAMECAST_NATIVE_C_DIR ?? `${root}target/native-c/release`;

function make(path, args) {
  if (existsSync(path)) return path;
  mkdirSync(e2e, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, tmp]);
  renameSync(tmp, path);
  return path;
}

/** `frames` frames of ffmpeg's testsrc2 at 30 fps as raw I420 (`size` is "WxH"). */
export function testsrc2(size, frames) {
  return make(`${e2e}/testsrc2_${size}_${frames}.yuv`, ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`,
    '-frames:v', String(frames), '-pix_fmt', 'yuv420p', '-f', 'rawvideo']);
}

/** `seconds` of testsrc2 at 30 fps as raw I420, and a 440 Hz stereo AAC (ADTS) track. */
export function sources(size, seconds) {
  return {
    video: testsrc2(size, 30 * seconds),
    audio: make(`${e2e}/src_${seconds}s.aac`, ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
      '-ac', '2', '-c:a', 'aac', '-b:a', '128k', '-f', 'adts']),
  };
}
