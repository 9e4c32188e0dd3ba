//! The demo under `examples/demo/`: a real lockfile (crate names, versions
//! and checksums from crates.io), bundles minted for most of its packages in
//! their real upstream repositories, and the trusted root they verify
//! against. A few packages deliberately have no bundle, one was built in
//! another repository and one on a self-hosted runner, so that the demo's
//! two policies show every outcome.
//!
//! Regenerate with `cargo run --features testkit --example gen-demo`; the
//! output is byte-identical every time.

use std::io;
use std::path::{Path, PathBuf};

use super::files::{cargo_lock, write_file, LockedPackage};
use super::{Claims, Instance, MintRequest, MintedBundle};

/// The seed of the demo's instance.
pub const DEMO_SEED: u64 = 0x6465_6d6f;
/// The name of the demo's root package.
pub const DEMO_ROOT_PACKAGE: &str = "demo-app";

/// What the demo says about one package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoCase {
    /// Built by its upstream repository's release workflow from a tag.
    Attested,
    /// No bundle published.
    NoBundle,
    /// Built and attested in another repository (`owner/name`).
    BuiltIn(&'static str),
    /// Built by its upstream repository, on a self-hosted runner.
    SelfHosted,
}

/// One package of the demo lockfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoPackage {
    pub name: &'static str,
    pub version: &'static str,
    /// The crates.io checksum (SHA-256 of the `.crate` file).
    pub checksum: &'static str,
    /// The upstream repository, `owner/name`.
    pub repository: &'static str,
    pub case: DemoCase,
}

impl DemoPackage {
    /// The claims of this package's build, when it has a bundle.
    pub fn claims(&self) -> Option<Claims> {
        let upstream = Claims::github(self.repository, self.version);
        match self.case {
            DemoCase::Attested => Some(upstream),
            DemoCase::NoBundle => None,
            DemoCase::BuiltIn(repository) => Some(upstream.in_repository(repository)),
            DemoCase::SelfHosted => Some(upstream.self_hosted()),
        }
    }
}

/// The demo's packages, in lockfile order.
pub const DEMO_PACKAGES: &[DemoPackage] = &[
    DemoPackage {
        name: "anstream",
        version: "1.0.0",
        checksum: "824a212faf96e9acacdbd09febd34438f8f711fb84e09a8916013cd7815ca28d",
        repository: "rust-cli/anstyle",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "anstyle",
        version: "1.0.14",
        checksum: "940b3a0ca603d1eade50a4846a2afffd5ef57a9feac2c0e2ec2e14f9ead76000",
        repository: "rust-cli/anstyle",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "aws-lc-rs",
        version: "1.19.0",
        checksum: "048006790404103c488e6c5616b3e7e702a71292aadda08e8f7698a9e0d2eb53",
        repository: "aws/aws-lc-rs",
        case: DemoCase::SelfHosted,
    },
    DemoPackage {
        name: "base64",
        version: "0.22.1",
        checksum: "72b3254f16251a8381aa12e40e3c4d2f0199f8c6508fbecb9d91f575e0fbb8c6",
        repository: "marshallpierce/rust-base64",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "bitflags",
        version: "2.13.2",
        checksum: "3ded4057c258ba199e2d26386d3af3780957ecaee6c4ef4041c6b4b8b97c0b06",
        repository: "bitflags/bitflags",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "cc",
        version: "1.11.3",
        checksum: "02f0e023adb368345ce0ca6cdfc0f24a06554468d0e8503e14a0841de79bfa69",
        repository: "rust-lang/cc-rs",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "clap",
        version: "4.6.9",
        checksum: "844c5c0b65be192cb68d570cca1b21a6444431d24e39c084dc0336177015337c",
        repository: "clap-rs/clap",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "clap_builder",
        version: "4.6.7",
        checksum: "ec0797fb7aeb1406c84efac526901f7ec3ead2124f946b494e72879d4b54704d",
        repository: "clap-rs/clap",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "clap_derive",
        version: "4.6.9",
        checksum: "b4c174f11f949b9ca8c60580925e282b9cbd5454750e506f08648b2038080cd7",
        repository: "clap-rs/clap",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "clap_lex",
        version: "1.1.2",
        checksum: "e0921b3876b3a1df8a1c9f912e7f94342458022c2e84288015893d83c4d62a79",
        repository: "clap-rs/clap",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "der",
        version: "0.7.10",
        checksum: "e7c1832837b905bbfb5101e07cc24c8deddf52f93225eee6ead5f4d63d53ddcb",
        repository: "RustCrypto/formats",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "hashbrown",
        version: "0.17.2",
        checksum: "735eaa21a6a5ffb2e84362faaeb90c05ba8e19797ca30428478cb6ea3a4921bc",
        repository: "rust-lang/hashbrown",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "hex",
        version: "0.4.3",
        checksum: "7f24254aa9a54b5c858eaee2f5bccdb46aaf0e486a595ed5fd8f86ba55232a70",
        repository: "KokaKiwi/rust-hex",
        case: DemoCase::NoBundle,
    },
    DemoPackage {
        name: "indexmap",
        version: "2.14.2",
        checksum: "cc4e190f5d26ca7051642629da2c52fc03bde85a03197c99408dcd291734c855",
        repository: "indexmap-rs/indexmap",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "itoa",
        version: "1.0.19",
        checksum: "3bd1574e617a9a6c1f8f8181bd7e841e1f20e4277607ef28945765188d6284d4",
        repository: "dtolnay/itoa",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "jiff",
        version: "0.2.46",
        checksum: "175dc66334db3b9ab9985bf8b61cfed50dc16d20964bb47f9e479adcae984a7f",
        repository: "BurntSushi/jiff",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "libc",
        version: "0.2.191",
        checksum: "65cd87c9a6d60536580b316ad985726104730a5151c99845f2490428ef91240a",
        repository: "rust-lang/libc",
        case: DemoCase::NoBundle,
    },
    DemoPackage {
        name: "log",
        version: "0.4.35",
        checksum: "5d15f86d12da44cd8d4ec3c73984537eb7f4cadcb9776a575a0a8a05ca11005c",
        repository: "rust-lang/log",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "memchr",
        version: "2.8.3",
        checksum: "cf8baf1c55e62ffcace7a9f06f4bd9cd3f0c4beb022d3b367256b91b87513d98",
        repository: "BurntSushi/memchr",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "miette",
        version: "7.6.0",
        checksum: "5f98efec8807c63c752b5bd61f862c165c115b0a35685bdcfd9238c7aeb592b7",
        repository: "zkat/miette",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "miette-derive",
        version: "7.6.0",
        checksum: "db5b29714e950dbb20d5e6f74f9dcec4edbcc1067bb7f8ed198c097b8c1a818b",
        repository: "zkat/miette",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "once_cell",
        version: "1.21.4",
        checksum: "9f7c3e4beb33f85d45ae3e3a1792185706c8e16d043238c593331cc7cd313b50",
        repository: "matklad/once_cell",
        case: DemoCase::NoBundle,
    },
    DemoPackage {
        name: "proc-macro2",
        version: "1.0.107",
        checksum: "985e7ec9bb745e6ce6535b544d84d6cd6f7ad8bd711c398938ae983b91a766d9",
        repository: "dtolnay/proc-macro2",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "quote",
        version: "1.0.47",
        checksum: "1fbf4db142a473a8d80c26bbf18454ed458bf8d26c8219c331daecfdbd079001",
        repository: "dtolnay/quote",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "ring",
        version: "0.17.14",
        checksum: "a4689e6c2294d81e88dc6261c768b63bc4fcdb852be6d1352498b114f61383b7",
        repository: "briansmith/ring",
        case: DemoCase::NoBundle,
    },
    DemoPackage {
        name: "semver",
        version: "1.0.28",
        checksum: "8a7852d02fc848982e0c167ef163aaff9cd91dc640ba85e263cb1ce46fae51cd",
        repository: "dtolnay/semver",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "serde",
        version: "1.0.229",
        checksum: "4148590afebada386688f18773da617792bf2ef03ffc1e4cbd2b1d45b023e0ba",
        repository: "serde-rs/serde",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "serde_core",
        version: "1.0.229",
        checksum: "67dca2c9c51e58a4791a4b1ed58308b39c64224d349a935ab5039aa360942a48",
        repository: "serde-rs/serde",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "serde_derive",
        version: "1.0.229",
        checksum: "e7a5d71263a5a7d47b41f6b3f06ba276f10cc18b0931f1799f710578e2309348",
        repository: "serde-rs/serde",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "serde_json",
        version: "1.0.154",
        checksum: "e7e9cc8b1b85264074fbcc02a88680c4096b1e47df8f739dceb03bf482f04bd6",
        repository: "serde-rs/json",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "sha2",
        version: "0.10.9",
        checksum: "a7507d819769d01a365ab707794a4084392c824f54a7a6a7862f8c3d0892b283",
        repository: "RustCrypto/hashes",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "sigstore-verify",
        version: "0.15.1",
        checksum: "465f37d73c80fc6a2fa519d1337befab2026fce47f490181f72842aa56d401e1",
        repository: "sigstore/sigstore-rust",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "smallvec",
        version: "1.16.6",
        checksum: "3244542535d5de959d90ec55d1b5ff0fd2bb7b1310223907d5f11932847f7b59",
        repository: "servo/rust-smallvec",
        case: DemoCase::BuiltIn("smallvec-ci/rust-smallvec"),
    },
    DemoPackage {
        name: "syn",
        version: "2.0.119",
        checksum: "872831b642d1a07999a962a351ed35b955ea2cfc8f3862091e2a240a84f17297",
        repository: "dtolnay/syn",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "tempfile",
        version: "3.27.0",
        checksum: "32497e9a4c7b38532efcdebeef879707aa9f794296a4f0244f6f69e9bc8574bd",
        repository: "Stebalien/tempfile",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "thiserror",
        version: "2.0.21",
        checksum: "09e52cb86a36cede5cb101bf8908837b3e4c6e5e59fe7fd85c23fb56200d189e",
        repository: "dtolnay/thiserror",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "thiserror-impl",
        version: "2.0.21",
        checksum: "fe5197923287db20a58125f0bc85c062f7f2c892de97b18c356f9efb14b28524",
        repository: "dtolnay/thiserror",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "toml",
        version: "0.8.23",
        checksum: "dc1beb996b9d83529a9e75c17a1686767d148d70663143c7854d8b4a09ced362",
        repository: "toml-rs/toml",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "toml_datetime",
        version: "0.6.11",
        checksum: "22cddaf88f4fbc13c51aebbf5f8eceb5c7c5a9da2ac40a13519eb5b0a0e8f11c",
        repository: "toml-rs/toml",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "toml_edit",
        version: "0.22.27",
        checksum: "41fe8c660ae4257887cf66394862d21dbca4a6ddd26f04a3560410406a2f819a",
        repository: "toml-rs/toml",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "tracing",
        version: "0.1.44",
        checksum: "63e71662fa4b2a2c3a26f570f037eb95bb1f85397f3cd8076caed2f026a6d100",
        repository: "tokio-rs/tracing",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "tracing-core",
        version: "0.1.36",
        checksum: "db97caf9d906fbde555dd62fa95ddba9eecfd14cb388e4f491a66d74cd5fb79a",
        repository: "tokio-rs/tracing",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "unicode-ident",
        version: "1.0.27",
        checksum: "a2c754d6c33795a1c324727428e5a7dedb5b06195f9890bdbcba760d3e246563",
        repository: "dtolnay/unicode-ident",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "winnow",
        version: "0.7.15",
        checksum: "df79d97927682d2fd8adb29682d1140b343be4ac0f08fd68b7765d9c059d3945",
        repository: "winnow-rs/winnow",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "x509-cert",
        version: "0.2.5",
        checksum: "1301e935010a701ae5f8655edc0ad17c44bad3ac5ce8c39185f75453b720ae94",
        repository: "RustCrypto/formats",
        case: DemoCase::Attested,
    },
    DemoPackage {
        name: "zerocopy",
        version: "0.8.64",
        checksum: "ed43f3060383c64b000f3c630550aebdfa9d3b76d48de32390483dd2cc7e0865",
        repository: "google/zerocopy",
        case: DemoCase::Attested,
    },
];

/// The generated demo files: `Cargo.lock`, `trusted_root.json` and
/// `bundles/NAME-VERSION.sigstore.json`, as (relative path, contents).
/// The policies beside them are written by hand.
pub fn demo_files() -> Vec<(PathBuf, String)> {
    let instance = Instance::new(DEMO_SEED);
    let packages: Vec<LockedPackage> = DEMO_PACKAGES
        .iter()
        .map(|p| LockedPackage {
            name: p.name.to_string(),
            version: p.version.to_string(),
            checksum: hex::decode(p.checksum)
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .expect("the demo table holds 64-hex-digit checksums"),
        })
        .collect();
    let requests: Vec<MintRequest> = DEMO_PACKAGES
        .iter()
        .zip(&packages)
        .filter_map(|(package, locked)| {
            package.claims().map(|claims| {
                MintRequest::new(package.name, package.version, locked.checksum, claims)
            })
        })
        .collect();
    let mut files = vec![
        (
            PathBuf::from("Cargo.lock"),
            cargo_lock(DEMO_ROOT_PACKAGE, &packages),
        ),
        (
            PathBuf::from("trusted_root.json"),
            instance.trusted_root_json(),
        ),
    ];
    files.extend(
        instance
            .mint_batch(&requests)
            .iter()
            .map(|minted: &MintedBundle| {
                (
                    Path::new("bundles").join(minted.file_name()),
                    minted.to_json(),
                )
            }),
    );
    files
}

/// Write the generated demo files into `dir`, replacing the bundles there.
/// Returns the relative paths written.
pub fn write_demo(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let bundles = dir.join("bundles");
    if bundles.is_dir() {
        for entry in std::fs::read_dir(&bundles)? {
            let path = entry?.path();
            if path.to_string_lossy().ends_with(".sigstore.json") {
                std::fs::remove_file(path)?;
            }
        }
    }
    let files = demo_files();
    for (relative, contents) in &files {
        write_file(&dir.join(relative), contents)?;
    }
    Ok(files.into_iter().map(|(relative, _)| relative).collect())
}
