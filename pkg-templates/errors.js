// framecast errors: the one error class of every entry point
// (`framecast`, `framecast/publisher`, `framecast/transcode`) and the list
// of its stable codes. See errors.d.ts and the README's "Errors" table.
//
// Each wasm build carries its own copy of wasm-bindgen glue, and errors made
// in wasm are plain `Error`s; so membership is a brand, not a prototype:
// every framecast error carries `Symbol.for('framecast.error')`, and
// `FramecastError[Symbol.hasInstance]` checks for it. `instanceof
// FramecastError` therefore holds across module copies and realms.
//
// Plain ES2022, no imports: assemble.mjs also ships it as CommonJS for the
// Node build (its `export` keywords removed, `module.exports` appended).

/** The brand on every framecast error (non-enumerable, value `true`). */
export const BRAND = Symbol.for('framecast.error');

/** Every code a FramecastError may carry (src/error.rs `ErrorCode::ALL`). */
export const ERROR_CODES = Object.freeze([
  // codes:begin
  'invalid-config',
  'invalid-preset',
  'invalid-watermark',
  'invalid-frame',
  'invalid-state',
  'unsupported-input',
  'unsupported-runtime',
  'capture-failed',
  'decode-error',
  'encode-error',
  'mux-error',
  'playlist-error',
  'upload-failed',
  'worker-error',
  'stop-timeout',
  'aborted',
  'internal',
  // codes:end
]);

/** An error from framecast: a stable `code`, and `field`, `errors`, `cause` where they apply. */
export class FramecastError extends Error {
  constructor(message, { code = 'internal', field, errors, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'FramecastError';
    this.code = code;
    if (field !== undefined) this.field = field;
    if (errors !== undefined) this.errors = errors;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True for every framecast error, whichever copy of this module (or wasm) made it. */
  static [Symbol.hasInstance](value) {
    return (typeof value === 'object' || typeof value === 'function') && value !== null && value[BRAND] === true;
  }
}

// wasm-bindgen's own message when a method is called while another call
// on the same object is still running (from a callback it made).
const REENTRANT = 'recursive use of an object detected';

function reentrant(e, what) {
  if (!(e instanceof FramecastError) && typeof e?.message === 'string' && e.message.startsWith(REENTRANT)) {
    return new FramecastError(`${what}: called while another call on the same object is running`, { code: 'invalid-state', cause: e });
  }
  return e;
}

/**
 * Makes methods and getters of wasm-bindgen classes throw `invalid-state`
 * once the object was freed (wasm-bindgen itself throws "null pointer
 * passed to rust"), and calls made while another call on the same object
 * runs (from a callback) throw `invalid-state` too; a second `free()` does
 * nothing.
 */
export function guardFreed(...classes) {
  for (const cls of classes) {
    const proto = cls.prototype;
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || key === '__destroy_into_raw') continue;
      const desc = Object.getOwnPropertyDescriptor(proto, key);
      const check = (self, what) => {
        if (self.__wbg_ptr === 0) {
          throw new FramecastError(`${cls.name}.${what}: the object was freed (free() was called)`, { code: 'invalid-state' });
        }
      };
      if (key === 'free') {
        const free = desc.value;
        desc.value = function () {
          if (this.__wbg_ptr !== 0) free.call(this);
        };
      } else if (typeof desc.value === 'function') {
        const method = desc.value;
        desc.value = function (...args) {
          check(this, `${key}()`);
          try {
            return method.apply(this, args);
          } catch (e) {
            throw reentrant(e, `${cls.name}.${key}()`);
          }
        };
      } else {
        for (const accessor of ['get', 'set']) {
          const fn = desc[accessor];
          if (!fn) continue;
          desc[accessor] = function (...args) {
            check(this, key);
            return fn.apply(this, args);
          };
        }
      }
      Object.defineProperty(proto, key, desc);
    }
    if (typeof Symbol.dispose === 'symbol' && proto[Symbol.dispose]) proto[Symbol.dispose] = proto.free;
  }
}
