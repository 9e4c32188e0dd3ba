//! A local folder of bundles: `NAME-VERSION.sigstore.json`,
//! `NAME-VERSION.jsonl` or `sha256:CHECKSUM.jsonl` (the name
//! `gh attestation download` gives). Always read afresh, never cached, and
//! usable offline.

use std::path::Path;

use super::{split_bundles, FailureCause, PackageQuery, Reply, SourceFailure};
use crate::cache::{Answer, BundleDocument, IgnoredBundle};
use crate::names::{is_package_name, is_plain_version};

/// Larger files are refused (the same limit as a response).
const MAX_FILE_BYTES: u64 = crate::limits::MAX_DOCUMENT_BYTES as u64;

/// The file names looked for, in order.
pub(super) fn file_names(query: &PackageQuery) -> Vec<String> {
    let mut names = Vec::new();
    let version = query.version.to_string();
    if is_package_name(&query.name) && is_plain_version(&version) {
        names.push(format!("{}-{version}.sigstore.json", query.name));
        names.push(format!("{}-{version}.jsonl", query.name));
    }
    names.push(format!("sha256:{}.jsonl", query.checksum.to_hex()));
    names
}

pub(super) fn ask(dir: &Path, label: &str, query: &PackageQuery) -> Result<Reply, SourceFailure> {
    // Only looked at when a file is not found: one call less per package.
    let not_a_folder = || {
        SourceFailure::stopping(
            FailureCause::Setup,
            format!("{label}: {} is not a folder", dir.display()),
        )
    };
    let mut documents: Vec<BundleDocument> = Vec::new();
    let mut ignored: Vec<IgnoredBundle> = Vec::new();
    let mut any = false;
    for name in file_names(query) {
        let path = dir.join(&name);
        // Only a regular file: a FIFO or device planted in the folder (or
        // a link to one) must not block or flood the run.
        let bytes = match crate::bounded_read::read_regular_at_most(&path, MAX_FILE_BYTES) {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(_)) => {
                return Err(SourceFailure::new(
                    FailureCause::OverBudget(crate::limits::OverBudget::Bytes),
                    format!(
                        "{label}: {} is over the {MAX_FILE_BYTES}-byte limit",
                        path.display()
                    ),
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(_) if !dir.is_dir() => return Err(not_a_folder()),
            Err(e) => return Err(unreadable(label, &path, &e)),
        };
        any = true;
        let location = path.display().to_string();
        match split_bundles(&bytes, label, &location, &query.checksum)
            .map_err(|e| SourceFailure::answer(label, e))?
        {
            Answer::Bundles {
                documents: found,
                ignored: set_aside,
            } => {
                documents.extend(found);
                ignored.extend(set_aside);
            }
            _ => unreachable!("split_bundles only returns bundles"),
        }
    }
    if !any && !dir.is_dir() {
        return Err(not_a_folder());
    }
    Ok(Reply::Answer(if any {
        Answer::Bundles { documents, ignored }
    } else {
        Answer::NoAttestation
    }))
}

/// A file of the folder that could not be read.
fn unreadable(label: &str, path: &Path, error: &std::io::Error) -> SourceFailure {
    SourceFailure::new(
        FailureCause::Unreadable(error.kind()),
        format!("{label}: cannot read {}: {error}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::PackageSource;
    use sigstore_types::Sha256Hash;

    fn query() -> PackageQuery {
        PackageQuery {
            name: "serde".into(),
            version: "1.0.219".parse().unwrap(),
            source: PackageSource::CratesIo,
            checksum: Sha256Hash::new([7; 32]),
            repository_hint: None,
            needs: Default::default(),
        }
    }

    #[test]
    fn a_missing_folder_or_a_file_stops_the_source() {
        let temp = tempfile::tempdir().unwrap();
        let file = temp.path().join("bundles");
        std::fs::write(&file, "not a folder").unwrap();
        for path in [temp.path().join("absent"), file] {
            let failure = match ask(&path, "dir:bundles", &query()) {
                Err(failure) => failure,
                Ok(reply) => panic!("{} answered {reply:?}", path.display()),
            };
            assert!(failure.stop_source, "{}", failure.message);
            assert_eq!(*failure.cause, FailureCause::Setup);
            assert!(
                failure.message.contains("is not a folder"),
                "{}",
                failure.message
            );
        }
    }

    /// The error of a query in `dir`, or a panic naming the answer.
    fn failure(dir: &Path, query: &PackageQuery) -> SourceFailure {
        match ask(dir, "dir:bundles", query) {
            Err(failure) => failure,
            Ok(reply) => panic!("answered {reply:?}"),
        }
    }

    #[test]
    fn a_name_that_is_not_plain_is_looked_up_by_digest_only() {
        let mut hostile = query();
        hostile.name = "../../etc/serde".into();
        assert_eq!(
            file_names(&hostile),
            [format!("sha256:{}.jsonl", hostile.checksum.to_hex())]
        );
        assert_eq!(
            file_names(&query()),
            [
                "serde-1.0.219.sigstore.json".to_string(),
                "serde-1.0.219.jsonl".to_string(),
                format!("sha256:{}.jsonl", query().checksum.to_hex()),
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_file_that_cannot_be_opened_is_an_error_naming_it() {
        // A link to itself: not "not found", and the folder is one.
        let temp = tempfile::tempdir().unwrap();
        let name = temp.path().join("serde-1.0.219.sigstore.json");
        std::os::unix::fs::symlink(&name, &name).unwrap();
        let failure = failure(temp.path(), &query());
        assert!(!failure.stop_source, "{}", failure.message);
        assert!(
            matches!(*failure.cause, FailureCause::Unreadable(_)),
            "{failure:?}"
        );
        assert!(
            failure
                .message
                .starts_with(&format!("dir:bundles: cannot read {}: ", name.display())),
            "{}",
            failure.message
        );
    }

    #[test]
    fn an_empty_file_is_an_error_naming_it() {
        let temp = tempfile::tempdir().unwrap();
        let name = temp.path().join("serde-1.0.219.jsonl");
        std::fs::write(&name, b"").unwrap();
        let failure = failure(temp.path(), &query());
        assert!(
            matches!(
                &*failure.cause,
                FailureCause::Answer(crate::sources::AnswerError::Empty { location })
                    if location == &name.display().to_string()
            ),
            "{failure:?}"
        );
        assert!(
            failure.message.contains(&name.display().to_string()),
            "{}",
            failure.message
        );
    }

    #[test]
    fn the_size_limit_is_inclusive() {
        let temp = tempfile::tempdir().unwrap();
        let name = temp.path().join("serde-1.0.219.jsonl");
        let limit = usize::try_from(MAX_FILE_BYTES).unwrap();
        std::fs::write(&name, vec![b' '; limit]).unwrap();
        let at_limit = ask(temp.path(), "dir:bundles", &query());
        assert!(
            !matches!(&at_limit, Err(f) if f.message.contains("-byte limit")),
            "{at_limit:?}"
        );
        std::fs::write(&name, vec![b' '; limit + 1]).unwrap();
        let over = failure(temp.path(), &query());
        assert_eq!(
            *over.cause,
            FailureCause::OverBudget(crate::limits::OverBudget::Bytes)
        );
        assert_eq!(
            over.message,
            format!(
                "dir:bundles: {} is over the {MAX_FILE_BYTES}-byte limit",
                name.display()
            )
        );
    }

    #[test]
    fn an_existing_folder_without_the_files_has_no_attestation() {
        let temp = tempfile::tempdir().unwrap();
        assert!(matches!(
            ask(temp.path(), "dir:bundles", &query()),
            Ok(Reply::Answer(Answer::NoAttestation))
        ));
    }
}
