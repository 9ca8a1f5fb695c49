//! Build script: compiles two C++ codecs from the sources that ship inside
//! crate packages, for the native target and for `wasm32-unknown-unknown`,
//! with one code path, each only when its cargo feature is on:
//! - OpenH264 (H.264, feature `h264`), from the `openh264-sys2` package;
//! - FDK AAC's encoder (AAC-LC, feature `aac`), from the `fdk-aac-sys`
//!   package. That dependency is declared for no target at all
//!   (`cfg(any())` in Cargo.toml): cargo locks and fetches the package, but
//!   its own build script, which cannot target wasm32, never runs.
//!
//! With neither feature there is no C or C++ to compile, and the wasm
//! build links no libc.
//!
//! The sources are never copied into this repository: they are read from
//! cargo's copy of each package, found with `cargo metadata` (or named with
//! `FRAMECAST_OPENH264_SRC` / `FRAMECAST_FDK_AAC_SRC`).
//!
//! Knobs (environment variables, each re-runs this script when changed):
//! - `FRAMECAST_OPENH264_SRC`: path to the crate package or its `upstream/`.
//! - `FRAMECAST_FDK_AAC_SRC`: path to the fdk-aac-sys package or its `aac/`.
//! - `FRAMECAST_FDK_AAC_OPT`: FDK AAC's optimisation level, default `3`.
//! - `FRAMECAST_OPENH264_ASM`: `0` disables the x86 assembly on native builds
//!   (default: on when `nasm` is installed and the target is x86_64).
//! - `FRAMECAST_OPENH264_OPT`: OpenH264's optimisation level, default `3`.
//! - `FRAMECAST_OPENH264_SIMD`: `0` disables `-msimd128` in the wasm build
//!   (of both codecs).
//! - `FRAMECAST_OPENH264_LTO`: `thin` or `full` emits LLVM bitcode so that the
//!   wasm link does cross-language LTO (needs clang and rustc on one LLVM);
//!   applies to both codecs.
//! - `FRAMECAST_CXX`: the C++ compiler (default `clang++-22`, then `clang++`).
//! - `FRAMECAST_WASI_SYSROOT`: wasi-libc headers and `libc.a`, default the
//!   Debian layout (`/usr/include/wasm32-wasi`, `/usr/lib/wasm32-wasi`).
//! - `FRAMECAST_CODEC_CACHE`: where compiled codec libraries are kept between
//!   builds (default `codec-cache/` in cargo's target folder; `off` to
//!   disable). See [`LibCache`].

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One OpenH264 library: its source folder, include folders and asm folder.
struct Unit {
    name: &'static str,
    src: &'static str,
    includes: &'static [&'static str],
    asm: &'static str,
}

const UNITS: &[Unit] = &[
    Unit {
        name: "common",
        src: "codec/common/src",
        includes: &["codec/api/wels", "codec/common/inc"],
        asm: "codec/common/x86",
    },
    Unit {
        name: "processing",
        src: "codec/processing/src",
        includes: &[
            "codec/api/wels",
            "codec/common/inc",
            "codec/processing/interface",
            "codec/processing/src/common",
            "codec/processing/src/adaptivequantization",
            "codec/processing/src/backgrounddetection",
            "codec/processing/src/complexityanalysis",
            "codec/processing/src/denoise",
            "codec/processing/src/downsample",
            "codec/processing/src/imagerotate",
            "codec/processing/src/scenechangedetection",
            "codec/processing/src/scrolldetection",
            "codec/processing/src/vaacalc",
        ],
        asm: "codec/processing/src/x86",
    },
    Unit {
        name: "encoder",
        src: "codec/encoder",
        includes: &[
            "codec/api/wels",
            "codec/common/inc",
            "codec/encoder/core/inc",
            "codec/encoder/plus/inc",
            "codec/processing/interface",
        ],
        asm: "codec/encoder/core/x86",
    },
    Unit {
        name: "decoder",
        src: "codec/decoder",
        includes: &["codec/api/wels", "codec/common/inc", "codec/decoder/core/inc", "codec/decoder/plus/inc"],
        asm: "codec/decoder/core/x86",
    },
];

/// Folders holding per-architecture code that the portable build skips.
const ARCH_DIRS: &[&str] = &["x86", "arm", "arm64", "mips", "loongarch"];

/// The FDK AAC library folders (under the package's `aac/`) that the
/// encoder links: the AAC core, its SBR and MPEG Surround (SAC) encoders
/// (reached from `aacenc_lib.cpp` even for AAC-LC), the transport writer,
/// PCM utilities and the fixed-point toolbox. The decoders are not built.
const FDK_LIBS: &[&str] = &["libAACenc", "libSBRenc", "libSACenc", "libMpegTPEnc", "libPCMutils", "libFDK", "libSYS"];

/// Header folders beyond `FDK_LIBS`' own: the transport writer includes
/// `tp_data.h` from the transport reader.
const FDK_EXTRA_INCLUDES: &[&str] = &["libMpegTPDec/include"];

fn main() {
    for var in [
        "FRAMECAST_OPENH264_SRC",
        "FRAMECAST_OPENH264_ASM",
        "FRAMECAST_OPENH264_OPT",
        "FRAMECAST_OPENH264_SIMD",
        "FRAMECAST_OPENH264_LTO",
        "FRAMECAST_FDK_AAC_SRC",
        "FRAMECAST_FDK_AAC_OPT",
        "FRAMECAST_CXX",
        "FRAMECAST_WASI_SYSROOT",
        "FRAMECAST_CODEC_CACHE",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/sys/openh264");
    println!("cargo:rerun-if-changed=src/sys/fdk_aac");

    // The codec libraries this build links: cargo features `h264` and `aac`.
    let h264 = env::var_os("CARGO_FEATURE_H264").is_some();
    let aac = env::var_os("CARGO_FEATURE_AAC").is_some();
    if !h264 && !aac {
        // No C or C++ at all: nothing to compile, and no libc to link.
        return;
    }

    let mut packages = Packages::default();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let flavour =
        if arch == "wasm32" { Flavour::Wasm(WasmSetup::detect()) } else { Flavour::Native { asm: native_asm(&arch) } };
    let cache = LibCache::new(&out, &flavour);

    if h264 {
        let upstream = packages.locate(&OPENH264_SOURCE);
        let opt = env::var("FRAMECAST_OPENH264_OPT").unwrap_or_else(|_| "3".into());
        let mut libs: Vec<String> = UNITS.iter().map(|u| format!("openh264_{}", u.name)).collect();
        if matches!(flavour, Flavour::Wasm(_)) {
            libs.push("framecast_openh264_shim".into());
        }
        let h264_inputs = [upstream.join("codec"), manifest_dir().join("src/sys/openh264")];
        cache.get_or_build("openh264", &libs, &h264_inputs, &opt, || build_openh264(&flavour, &upstream, &out, &opt));
        let asm_state = match &flavour {
            Flavour::Native { asm: Some(_) } => "asm",
            Flavour::Native { asm: None } => "c",
            Flavour::Wasm(s) if s.simd => "wasm-simd128",
            Flavour::Wasm(_) => "wasm",
        };
        // Exposed to the crate so that benchmarks and tests can say what they ran.
        println!("cargo:rustc-env=FRAMECAST_OPENH264_BUILD={asm_state} -O{opt}{}", lto_suffix());
        println!("cargo:rustc-env=FRAMECAST_OPENH264_VERSION={}", upstream_version(&upstream));
    }

    if aac {
        let fdk = packages.locate(&FDK_AAC_SOURCE);
        let fdk_opt = env::var("FRAMECAST_FDK_AAC_OPT").unwrap_or_else(|_| "3".into());
        let fdk_inputs = [fdk.clone(), manifest_dir().join("src/sys/fdk_aac")];
        cache.get_or_build("fdk_aac", &["framecast_fdk_aac".into()], &fdk_inputs, &fdk_opt, || {
            build_fdk_aac(&flavour, &fdk, &fdk_opt)
        });
        let fdk_state = match &flavour {
            Flavour::Native { .. } => "native",
            Flavour::Wasm(s) if s.simd => "wasm-simd128",
            Flavour::Wasm(_) => "wasm",
        };
        println!("cargo:rustc-env=FRAMECAST_FDK_AAC_BUILD={fdk_state} -O{fdk_opt}{}", lto_suffix());
        println!("cargo:rustc-env=FRAMECAST_FDK_AAC_VERSION={}", fdk_version(&fdk));
    }

    if let Flavour::Wasm(setup) = &flavour {
        setup.link_libc(&out);
    }
}

/// OpenH264's four libraries, plus (wasm) the shims that stand in for
/// threads and the C++ runtime.
fn build_openh264(flavour: &Flavour, upstream: &Path, out: &Path, opt: &str) {
    let shim_include = manifest_dir().join("src/sys/openh264/include");
    for unit in UNITS {
        let mut build = flavour.cc_build(opt, Some(&shim_include));
        if let Flavour::Wasm(setup) = flavour {
            if setup.simd {
                let redirect = manifest_dir().join("src/sys/openh264/simd/redirect.h");
                build.flag("-include").flag(redirect.display().to_string());
            }
        }
        for inc in unit.includes {
            build.include(upstream.join(inc));
        }
        let files = cpp_files(&upstream.join(unit.src));
        assert!(!files.is_empty(), "no OpenH264 sources under {}", upstream.join(unit.src).display());
        build.files(&files);
        if let Flavour::Native { asm: Some(nasm) } = flavour {
            build.define("X86_ASM", None).define("HAVE_AVX2", None);
            for obj in nasm.assemble(upstream, unit, out) {
                build.object(obj);
            }
        }
        build.compile(&format!("openh264_{}", unit.name));
    }

    if let Flavour::Wasm(setup) = flavour {
        let mut shim = flavour.cc_build(opt, Some(&shim_include));
        shim.file("src/sys/openh264/shim.c").file("src/sys/openh264/shim_cxx.cpp");
        if setup.simd {
            // SIMD128 kernels that replace upstream C ones (see simd/redirect.h).
            shim.file("src/sys/openh264/simd/kernels.cpp");
        }
        shim.compile("framecast_openh264_shim");
    }
}

/// FDK AAC's encoder as one static library (its libraries call each other
/// in both directions, so one archive avoids link-order trouble).
///
/// On wasm32 FDK finds no architecture it knows (`FDK_archdef.h`) and would
/// fall back to 32-bit coefficient tables that no mainstream build uses;
/// `fdk_aac/archdef.h` gives it the characterisation that x86, ARMv7 and
/// AArch64 share (32x16 multiplies, 16-bit tables). Natively on x86 the
/// float-based math helpers are left out, so that both builds compute the
/// same bits.
fn build_fdk_aac(flavour: &Flavour, aac: &Path, opt: &str) {
    // FDK needs no stand-in headers: wasi-libc has all it includes.
    let mut build = flavour.cc_build(opt, None);
    // Reproducible objects: no __DATE__/__TIME__ in the library info.
    build.define("SUPPRESS_BUILD_DATE_INFO", None);
    match flavour {
        Flavour::Wasm(_) => {
            let archdef = manifest_dir().join("src/sys/fdk_aac/archdef.h");
            build.flag("-include").flag(archdef.display().to_string());
            // The `#warning` of FDK_archdef.h's unknown-architecture branch.
            build.flag("-Wno-#warnings");
        }
        Flavour::Native { .. } => {
            // Pre-define the include guard of FDK's x86 helpers that compute
            // sqrt and reciprocals in float: the portable fixed-point
            // versions take their place, so native and wasm32 streams are
            // byte-identical (tests/aac_encode.rs and tests/web_aac.rs check
            // the same digest) at no measurable cost. The other x86 helpers
            // (clz, multiplies) are bit-exact with the portable C and stay.
            build.define("FIXPOINT_MATH_X86_H", None);
        }
    }
    for lib in FDK_LIBS {
        build.include(aac.join(lib).join("include"));
    }
    for inc in FDK_EXTRA_INCLUDES {
        build.include(aac.join(inc));
    }
    for lib in FDK_LIBS {
        let src = aac.join(lib).join("src");
        let files = cpp_files(&src);
        assert!(!files.is_empty(), "no FDK AAC sources under {}", src.display());
        build.files(&files);
    }
    build.compile("framecast_fdk_aac");
}

/// Compiled codec libraries, kept between builds.
///
/// Each feature set, profile, worktree and `wasm-pack` invocation is a new
/// cargo build of this package, and without a cache each one compiled
/// OpenH264 and FDK AAC again (minutes on two cores). A library set is
/// stored under a key that hashes everything that goes into it: the target,
/// the compiler and its version, every flag, the relevant environment
/// variables, this script, and the bytes of every file under the source and
/// shim folders. A changed input is a new key, never a stale library.
struct LibCache {
    dir: Option<PathBuf>,
    /// The inputs shared by every library: target, flavour, compiler.
    base: String,
}

impl LibCache {
    fn new(out: &Path, flavour: &Flavour) -> Self {
        let dir = match env::var("FRAMECAST_CODEC_CACHE") {
            Ok(v) if v == "off" => None,
            Ok(v) if !v.is_empty() => Some(PathBuf::from(v)),
            // The target folder is the nearest ancestor of OUT_DIR that
            // cargo marked with CACHEDIR.TAG.
            _ => out.ancestors().find(|d| d.join("CACHEDIR.TAG").is_file()).map(|d| d.join("codec-cache")),
        };
        let mut base = String::new();
        for var in ["TARGET", "CARGO_CFG_TARGET_FEATURE"] {
            base.push_str(&format!("{var}={:?}\n", env::var(var).ok()));
        }
        // cc-rs reads these; any of them can change the objects.
        let mut vars: Vec<(String, String)> = env::vars().filter(|(k, _)| cc_reads(k)).collect();
        vars.sort();
        for (k, v) in vars {
            base.push_str(&format!("{k}={v}\n"));
        }
        base.push_str(&flavour.describe());
        base.push_str(&std::fs::read_to_string(manifest_dir().join("build.rs")).unwrap_or_default());
        LibCache { dir, base }
    }

    /// Links the libraries `libs` (static, `lib{name}.a`) from the cache, or
    /// runs `build` (which compiles them into OUT_DIR and prints cargo's
    /// link lines) and stores them.
    fn get_or_build(&self, what: &str, libs: &[String], inputs: &[PathBuf], opt: &str, build: impl FnOnce()) {
        let Some(dir) = &self.dir else { return build() };
        let mut hash = Fnv::new();
        hash.write(self.base.as_bytes());
        hash.write(what.as_bytes());
        hash.write(opt.as_bytes());
        for input in inputs {
            let mut files = Vec::new();
            walk(input, &mut |p| files.push(p.to_path_buf()));
            files.sort();
            for f in files {
                hash.write(f.strip_prefix(input).unwrap_or(&f).to_string_lossy().as_bytes());
                hash.write(&std::fs::read(&f).unwrap_or_default());
            }
        }
        let key = dir.join(format!("{what}-{:016x}", hash.finish()));
        let present = libs.iter().all(|l| key.join(format!("lib{l}.a")).is_file());
        if present {
            println!("cargo:rustc-link-search=native={}", key.display());
            for l in libs {
                println!("cargo:rustc-link-lib=static={l}");
            }
            if matches!(env::var("CARGO_CFG_TARGET_ARCH").as_deref(), Ok(a) if a != "wasm32") {
                // What cc-rs adds for C++ on this target.
                println!("cargo:rustc-link-lib=stdc++");
            }
            return;
        }
        build();
        // Store atomically: a temporary folder renamed into place, so a
        // concurrent build sees all of the set or none of it.
        let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
        let tmp = dir.join(format!(".tmp-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let stored = std::fs::create_dir_all(&tmp).is_ok()
            && libs.iter().all(|l| std::fs::copy(out.join(format!("lib{l}.a")), tmp.join(format!("lib{l}.a"))).is_ok())
            && std::fs::rename(&tmp, &key).is_ok();
        if !stored {
            let _ = std::fs::remove_dir_all(&tmp);
        }
    }
}

/// Whether cc-rs (or this script) reads the environment variable `name`
/// when compiling: `CC`, `CXX`, `AR`, `CFLAGS`, `CXXFLAGS`, `ARFLAGS`,
/// `CRATE_CC_NO_DEFAULTS`, with their `HOST_`/`TARGET_` prefixes and
/// `_<target>` suffixes, and this script's `FRAMECAST_*` knobs.
fn cc_reads(name: &str) -> bool {
    if name.starts_with("FRAMECAST_") {
        return name != "FRAMECAST_CODEC_CACHE";
    }
    let bare = name.strip_prefix("HOST_").or_else(|| name.strip_prefix("TARGET_")).unwrap_or(name);
    ["CC", "CXX", "AR", "CFLAGS", "CXXFLAGS", "ARFLAGS", "CRATE_CC_NO_DEFAULTS"]
        .iter()
        .any(|base| bare == *base || bare.strip_prefix(base).is_some_and(|rest| rest.starts_with('_')))
}

/// 64-bit FNV-1a: a stable hash for cache keys (std's hasher may change
/// between Rust releases).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        // Length first, so that ("ab", "c") and ("a", "bc") differ.
        for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

enum Flavour {
    Native { asm: Option<Nasm> },
    Wasm(WasmSetup),
}

impl Flavour {
    /// Everything about the toolchain that goes into the objects, for
    /// [`LibCache`] keys.
    fn describe(&self) -> String {
        let version = |exe: &Path| {
            Command::new(exe).arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        };
        match self {
            Flavour::Native { asm } => {
                let cxx = find_cxx();
                let cxx_version = cxx.as_deref().map(version);
                let nasm = asm.as_ref().map(|n| (n.exe.clone(), version(&n.exe).ok()));
                format!("native cxx={cxx:?} {cxx_version:?} nasm={nasm:?}\n")
            }
            Flavour::Wasm(s) => format!(
                "wasm cxx={:?} {:?} ar={:?} flags={:?}\n",
                s.cxx,
                version(&s.cxx).ok(),
                s.ar,
                s.flags(Some(Path::new("shim")))
            ),
        }
    }

    /// A `cc::Build` with the flags common to every C++ unit; on wasm32,
    /// `shim_include` (headers that stand in for missing system ones) comes
    /// first on the system include path.
    fn cc_build(&self, opt: &str, shim_include: Option<&Path>) -> cc::Build {
        let mut b = cc::Build::new();
        b.cpp(true).warnings(false).debug(false);
        b.flag_if_supported("-fno-strict-aliasing");
        match self {
            Flavour::Native { .. } => {
                if let Some(cxx) = find_cxx() {
                    b.compiler(cxx);
                }
                b.opt_level_str(opt);
                b.flag_if_supported("-fno-common");
            }
            Flavour::Wasm(setup) => {
                b.compiler(setup.cxx.clone()).archiver(&setup.ar).no_default_flags(true);
                b.cpp_link_stdlib(None);
                b.flag(format!("-O{opt}"));
                for f in setup.flags(shim_include) {
                    b.flag(f);
                }
            }
        }
        b
    }
}

/// Everything the wasm32 build needs from the machine: clang, llvm-ar, the
/// wasi-libc headers and library, and libc++ headers.
struct WasmSetup {
    cxx: PathBuf,
    ar: PathBuf,
    wasi_include: PathBuf,
    wasi_lib: PathBuf,
    resource_dir: PathBuf,
    simd: bool,
    lto: Option<String>,
}

impl WasmSetup {
    fn detect() -> Self {
        let cxx = find_cxx().unwrap_or_else(|| {
            panic!("the wasm32 build of OpenH264 and FDK AAC needs clang++ (install clang-22; run .ci/bootstrap.sh)")
        });
        let ver =
            cxx.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix("clang++")).unwrap_or("").to_string();
        let ar = which(&format!("llvm-ar{ver}"))
            .or_else(|| which("llvm-ar"))
            .unwrap_or_else(|| panic!("the wasm32 build needs llvm-ar{ver} (install llvm-22)"));
        let sysroot = env::var("FRAMECAST_WASI_SYSROOT").ok().map(PathBuf::from);
        let (wasi_include, wasi_lib) = match sysroot {
            Some(root) => (root.join("include"), root.join("lib")),
            None => (PathBuf::from("/usr/include/wasm32-wasi"), PathBuf::from("/usr/lib/wasm32-wasi")),
        };
        for p in [&wasi_include.join("stdlib.h"), &wasi_include.join("c++/v1/cstdlib"), &wasi_lib.join("libc.a")] {
            assert!(
                p.exists(),
                "missing {} (install wasi-libc and libc++-19-dev-wasm32; run .ci/bootstrap.sh)",
                p.display()
            );
        }
        let resource_dir = Command::new(&cxx)
            .arg("-print-resource-dir")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| PathBuf::from(s.trim()))
            .expect("clang -print-resource-dir");
        let simd = env::var("FRAMECAST_OPENH264_SIMD").map(|v| v != "0").unwrap_or(true);
        let lto = env::var("FRAMECAST_OPENH264_LTO").ok().filter(|v| v == "thin" || v == "full");
        WasmSetup { cxx, ar, wasi_include, wasi_lib, resource_dir, simd, lto }
    }

    fn flags(&self, shim: Option<&Path>) -> Vec<String> {
        let mut f = vec!["--target=wasm32-wasip1".to_string(), "-nostdinc".into(), "-nostdinc++".into()];
        f.extend(shim.map(|s| format!("-isystem{}", s.display())));
        f.extend([
            format!("-isystem{}", self.wasi_include.join("c++/v1").display()),
            format!("-isystem{}", self.resource_dir.join("include").display()),
            format!("-isystem{}", self.wasi_include.display()),
            "-fno-exceptions".into(),
            "-fno-rtti".into(),
            "-ffunction-sections".into(),
            "-fdata-sections".into(),
            "-D_WASI_EMULATED_SIGNAL".into(),
        ]);
        if self.simd {
            f.push("-msimd128".into());
        }
        if let Some(lto) = &self.lto {
            f.push(format!("-flto={lto}"));
        }
        f
    }

    /// Links wasi-libc's `libc.a` (string, math, stdio formatting). Its few
    /// system calls (`clock_time_get`, `fd_write`, ...) are defined in Rust in
    /// `src/sys/wasm.rs`, so the module imports nothing from WASI.
    fn link_libc(&self, out: &Path) {
        let dst = out.join("libframecast_wasi_c.a");
        std::fs::copy(self.wasi_lib.join("libc.a"), &dst).expect("copy wasi libc.a");
        println!("cargo:rustc-link-search=native={}", out.display());
        println!("cargo:rustc-link-lib=static=framecast_wasi_c");
    }
}

/// The upstream x86 assembly, assembled with nasm.
struct Nasm {
    exe: PathBuf,
}

impl Nasm {
    fn assemble(&self, upstream: &Path, unit: &Unit, out: &Path) -> Vec<PathBuf> {
        let dir = upstream.join(unit.asm);
        let include = upstream.join("codec/common/x86");
        let obj_dir = out.join("asm").join(unit.name);
        std::fs::create_dir_all(&obj_dir).expect("create asm object dir");
        let mut objs = Vec::new();
        for src in files_with_ext(&dir, "asm") {
            if src.file_name().is_some_and(|n| n == "asm_inc.asm") {
                continue;
            }
            let stem = src.file_stem().and_then(|s| s.to_str()).expect("asm file name");
            let obj = obj_dir.join(format!("{stem}.o"));
            let status = Command::new(&self.exe)
                .args(["-f", "elf64", "-DUNIX64", "-DHAVE_AVX2"])
                .arg(format!("-I{}/", include.display()))
                .arg("-o")
                .arg(&obj)
                .arg(&src)
                .status()
                .expect("run nasm");
            assert!(status.success(), "nasm failed on {}", src.display());
            objs.push(obj);
        }
        objs
    }
}

/// The assembly is used on x86_64 Linux when nasm is installed and
/// `FRAMECAST_OPENH264_ASM` is not `0`.
fn native_asm(arch: &str) -> Option<Nasm> {
    let wanted = env::var("FRAMECAST_OPENH264_ASM").map(|v| v != "0").unwrap_or(true);
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if !wanted || arch != "x86_64" || os != "linux" {
        return None;
    }
    match which("nasm") {
        Some(exe) => Some(Nasm { exe }),
        None => {
            println!("cargo:warning=nasm not found: building OpenH264 without assembly (slower)");
            None
        }
    }
}

fn lto_suffix() -> String {
    match env::var("FRAMECAST_OPENH264_LTO") {
        Ok(v) if (v == "thin" || v == "full") && env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") => {
            format!(" lto={v}")
        }
        _ => String::new(),
    }
}

/// The C++ compiler: `FRAMECAST_CXX`, else clang++-22, else clang++.
fn find_cxx() -> Option<PathBuf> {
    if let Ok(cxx) = env::var("FRAMECAST_CXX") {
        return Some(PathBuf::from(cxx));
    }
    which("clang++-22").or_else(|| which("clang++"))
}

fn which(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// A crate package that ships C/C++ sources for this script to compile.
struct SourcePackage {
    /// The package name in `cargo metadata`.
    package: &'static str,
    /// Environment variable that names the sources instead.
    env_var: &'static str,
    /// The sources' folder inside the package.
    subdir: &'static str,
    /// A folder that must exist inside `subdir`.
    marker: &'static str,
}

const OPENH264_SOURCE: SourcePackage =
    SourcePackage { package: "openh264-sys2", env_var: "FRAMECAST_OPENH264_SRC", subdir: "upstream", marker: "codec" };

const FDK_AAC_SOURCE: SourcePackage =
    SourcePackage { package: "fdk-aac-sys", env_var: "FRAMECAST_FDK_AAC_SRC", subdir: "aac", marker: "libAACenc" };

/// `cargo metadata`, run at most once per build.
#[derive(Default)]
struct Packages {
    meta: Option<serde_json::Value>,
}

impl Packages {
    /// The source folder of `src`: from its environment variable (the
    /// package folder or the source folder itself), else from cargo's copy
    /// of the package.
    fn locate(&mut self, src: &SourcePackage) -> PathBuf {
        if let Ok(p) = env::var(src.env_var) {
            let p = PathBuf::from(p);
            let dir = if p.join(src.subdir).is_dir() { p.join(src.subdir) } else { p };
            assert!(dir.join(src.marker).is_dir(), "{} has no {}/ folder: {}", src.env_var, src.marker, dir.display());
            return dir;
        }
        let meta = self.meta.get_or_insert_with(cargo_metadata);
        let pkg = meta["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == src.package)
            .unwrap_or_else(|| panic!("{} is a dependency, so cargo metadata lists it", src.package));
        let manifest_path = pkg["manifest_path"].as_str().expect("manifest_path");
        let dir = Path::new(manifest_path).parent().expect("crate dir").join(src.subdir);
        assert!(
            dir.join(src.marker).is_dir(),
            "{} package has no {}/{}: {}",
            src.package,
            src.subdir,
            src.marker,
            dir.display()
        );
        dir
    }
}

/// The workspace's packages for every platform: fdk-aac-sys applies to no
/// target, so a `--filter-platform` listing would leave it out.
fn cargo_metadata() -> serde_json::Value {
    // --offline first (no network from a build script when everything is
    // already downloaded); without it when cargo still lacks a package that
    // only other targets or dev-dependencies need.
    let output = ["--offline", "--locked"]
        .iter()
        .map(|flag| run_cargo_metadata(flag))
        .find(|o| o.status.success())
        .unwrap_or_else(|| run_cargo_metadata("--quiet"));
    assert!(output.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("cargo metadata JSON")
}

fn run_cargo_metadata(flag: &str) -> std::process::Output {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = manifest_dir().join("Cargo.toml");
    Command::new(cargo)
        .args(["metadata", "--format-version", "1", flag, "--manifest-path"])
        .arg(&manifest)
        .output()
        .expect("run cargo metadata")
}

/// `fdk-aac-sys <version>` from the `[package]` table of the package's
/// manifest, or `unknown` for sources outside a package.
fn fdk_version(aac: &Path) -> String {
    let text = aac.parent().and_then(|p| std::fs::read_to_string(p.join("Cargo.toml")).ok()).unwrap_or_default();
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && line.starts_with("version") {
            if let Some(v) = line.split('"').nth(1) {
                return format!("fdk-aac-sys {v}");
            }
        }
    }
    "unknown".into()
}

fn upstream_version(upstream: &Path) -> String {
    std::fs::read_to_string(upstream.join("VERSION"))
        .ok()
        .and_then(|s| s.lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_string()))
        .unwrap_or_else(|| "unknown".into())
}

/// All `.cpp` files under `dir`, skipping per-architecture folders and the
/// Windows DLL entry point, sorted so that builds are reproducible.
fn cpp_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(dir, &mut |p| {
        let rel = p.strip_prefix(dir).unwrap_or(p);
        let skip_dir = rel
            .parent()
            .into_iter()
            .flat_map(|d| d.components())
            .any(|c| ARCH_DIRS.iter().any(|a| c.as_os_str() == *a));
        let is_cpp = p.extension().is_some_and(|e| e == "cpp");
        let dll = p.file_name().is_some_and(|n| n == "DllEntry.cpp");
        if is_cpp && !skip_dir && !dll {
            out.push(p.to_path_buf());
        }
    });
    out.sort();
    out
}

fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(dir, &mut |p| {
        if p.extension().is_some_and(|e| e == ext) {
            out.push(p.to_path_buf());
        }
    });
    out.sort();
    out
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, f);
        } else {
            f(&p);
        }
    }
}
