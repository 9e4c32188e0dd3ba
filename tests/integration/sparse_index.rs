//! The sparse index client against crates.io's real index file for `itoa`
//! (`../shared/fixtures/api/crates-io/sparse-index-itoa.jsonl`), served on
//! 127.0.0.1: cargo's path layout, `pubtime` per version, the checksum
//! bound to the lockfile's, `config.json` and its `dl`, and revalidation
//! with `If-None-Match` so that a warm run asks nothing.

use cargo_verify_provenance::lockfile::PackageSource;
use cargo_verify_provenance::testkit::internals::cache::Cache;
use cargo_verify_provenance::testkit::internals::crate_file::CrateRef;
use cargo_verify_provenance::testkit::internals::http::{Http, HttpConfig};
use cargo_verify_provenance::testkit::internals::sources::sparse_index::{
    IndexError, IndexUrl, Listing, SparseIndex,
};
use sigstore_types::Sha256Hash;

use crate::fixtures::api_file;
use crate::harness::TestDir;
use crate::server::{Reply, Server};

const ITOA_1_0_19: &str = "3bd1574e617a9a6c1f8f8181bd7e841e1f20e4277607ef28945765188d6284d4";
const ITOA_1_0_18: &str = "8f42a60cbdf9a97f5d2305f08a87dc4e09308d1276d28c869c684d7777685682";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn reader(server: &Server, cache: &Cache, online: bool) -> SparseIndex {
    let url = IndexUrl::parse(&format!("sparse+{}/index/", server.base)).unwrap();
    let http = online.then(|| {
        Http::new(HttpConfig {
            retries: 0,
            ..HttpConfig::default()
        })
        .unwrap()
    });
    let now = "2026-12-07T00:00:00Z".parse().unwrap();
    SparseIndex::new(url, http, Some(cache.clone()), None, now)
}

fn listing(index: &SparseIndex, version: &str, checksum: &str) -> Result<Listing, IndexError> {
    runtime().block_on(index.listing(
        "itoa",
        &version.parse().unwrap(),
        &Sha256Hash::from_hex(checksum).unwrap(),
    ))
}

#[test]
fn publish_times_come_from_the_real_index_file_and_a_warm_run_asks_nothing() {
    let test = "publish_times_come_from_the_real_index_file_and_a_warm_run_asks_nothing";
    let Some(itoa) = api_file(test, "crates-io/sparse-index-itoa.jsonl") else {
        return;
    };
    let server = Server::start();
    server.route(
        "/index/it/oa/itoa",
        vec![
            Reply::json(itoa).header("etag", "\"itoa-v1\""),
            Reply::status(304),
        ],
    );
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();

    // Cold: one request, at cargo's path, and the version's pubtime.
    let index = reader(&server, &cache, true);
    assert_eq!(
        listing(&index, "1.0.19", ITOA_1_0_19).unwrap(),
        Listing::Listed {
            published: Some("2026-11-09T01:42:29Z".parse().unwrap()),
            yanked: false
        }
    );
    // Another version of the same crate in the same run: no second request.
    assert!(matches!(
        listing(
            &index,
            "0.1.0",
            "8fe390286ad3ad1b175ad07a638c83463c86cbdb5e38075c2ef44e10c694702b"
        )
        .unwrap(),
        Listing::Listed {
            published: Some(_),
            ..
        }
    ));
    assert_eq!(server.seen().len(), 1);
    assert_eq!(server.seen()[0].path_and_query, "/index/it/oa/itoa");

    // Warm: a version the cached copy lists costs nothing, online or not.
    for online in [true, false] {
        let index = reader(&server, &cache, online);
        assert!(matches!(
            listing(&index, "1.0.18", ITOA_1_0_18).unwrap(),
            Listing::Listed {
                published: Some(_),
                ..
            }
        ));
    }
    assert_eq!(server.seen().len(), 1);

    // A version the copy does not list: revalidated with the ETag (304).
    let index = reader(&server, &cache, true);
    let newer = "1".repeat(64);
    assert_eq!(
        listing(&index, "1.0.20", &newer).unwrap(),
        Listing::NotListed
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].headers["if-none-match"], "\"itoa-v1\"");

    // The lockfile's checksum must be the index's.
    let error = listing(&index, "1.0.19", &newer).unwrap_err();
    assert!(
        matches!(&error, IndexError::ChecksumMismatch { index, .. } if index == ITOA_1_0_19),
        "{error:?}"
    );
}

#[test]
fn offline_only_the_cache_answers_and_a_crate_not_in_the_index_lists_nothing() {
    let server = Server::start();
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let offline = reader(&server, &cache, false);
    let error = listing(&offline, "1.0.19", ITOA_1_0_19).unwrap_err();
    assert!(matches!(error, IndexError::NotCached { .. }), "{error:?}");
    assert!(server.seen().is_empty());

    // 404: the index has no such crate; 5xx and other answers are errors.
    let online = reader(&server, &cache, true);
    assert_eq!(
        listing(&online, "1.0.19", ITOA_1_0_19).unwrap(),
        Listing::NotListed
    );
    server.route("/index/it/oa/itoa", vec![Reply::status(403)]);
    let error = listing(&reader(&server, &cache, true), "1.0.19", ITOA_1_0_19).unwrap_err();
    assert!(
        matches!(error, IndexError::Status { status: 403, .. }),
        "{error:?}"
    );
}

#[test]
fn config_json_names_where_crates_are_downloaded_and_is_cached() {
    let server = Server::start();
    server.route(
        "/index/config.json",
        vec![Reply::json(format!(
            r#"{{"dl": "{}/dl/{{crate}}/{{version}}/{{sha256-checksum}}", "api": "{}"}}"#,
            server.base, server.base
        ))
        .header("etag", "\"c1\"")],
    );
    let dir = TestDir::new();
    let cache = Cache::open(&dir.join("cache")).unwrap();
    let checksum = Sha256Hash::from_hex(ITOA_1_0_19).unwrap();
    for online in [true, true, false] {
        let index = reader(&server, &cache, online);
        let config = runtime().block_on(index.config()).unwrap();
        assert_eq!(config.api.as_deref(), Some(server.base.as_str()));
        let itoa = CrateRef {
            name: "itoa".into(),
            version: "1.0.19".parse().unwrap(),
            checksum,
            source: PackageSource::CratesIo,
        };
        assert_eq!(
            config.download_template().url(&itoa).unwrap().as_str(),
            format!("{}/dl/itoa/1.0.19/{ITOA_1_0_19}", server.base)
        );
    }
    // Fresh for a day: asked once.
    assert_eq!(server.requests_to("/index/config.json"), 1);
}
