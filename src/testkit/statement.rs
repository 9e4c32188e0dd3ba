//! The in-toto v1 statement with a SLSA v1 provenance predicate, shaped like
//! the one GitHub's `actions/attest-build-provenance` writes.

use serde::Serialize;

use super::claims::Claims;

/// The in-toto statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The SLSA v1 provenance predicate type.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// The build type GitHub Actions workflows record.
pub const GITHUB_WORKFLOW_BUILD_TYPE: &str = "https://actions.github.io/buildtypes/workflow/v1";

/// The package URL a crate's provenance names as its subject.
pub fn cargo_purl(name: &str, version: &str) -> String {
    format!("pkg:cargo/{name}@{version}")
}

#[derive(Serialize)]
struct Statement<'a> {
    #[serde(rename = "_type")]
    statement_type: &'a str,
    subject: [Subject; 1],
    #[serde(rename = "predicateType")]
    predicate_type: &'a str,
    predicate: Predicate,
}

#[derive(Serialize)]
struct Subject {
    name: String,
    digest: Sha256Digest,
}

#[derive(Serialize)]
struct Sha256Digest {
    sha256: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Predicate {
    build_definition: BuildDefinition,
    run_details: RunDetails,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BuildDefinition {
    build_type: &'static str,
    external_parameters: ExternalParameters,
    internal_parameters: InternalParameters,
    resolved_dependencies: [ResolvedDependency; 1],
}

#[derive(Serialize)]
struct ExternalParameters {
    workflow: Workflow,
}

#[derive(Serialize)]
struct Workflow {
    #[serde(rename = "ref")]
    git_ref: String,
    repository: String,
    path: String,
}

#[derive(Serialize)]
struct InternalParameters {
    github: GitHubParameters,
}

#[derive(Serialize)]
struct GitHubParameters {
    event_name: String,
    repository_id: String,
    repository_owner_id: String,
    runner_environment: String,
}

#[derive(Serialize)]
struct ResolvedDependency {
    uri: String,
    digest: GitCommit,
}

#[derive(Serialize)]
struct GitCommit {
    #[serde(rename = "gitCommit")]
    git_commit: String,
}

#[derive(Serialize)]
struct RunDetails {
    builder: Builder,
    metadata: Metadata,
}

#[derive(Serialize)]
struct Builder {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    invocation_id: String,
}

/// The statement's JSON bytes (compact, as the DSSE payload carries them)
/// for a crate whose `.crate` file has SHA-256 `subject_sha256`.
pub(crate) fn provenance_statement(
    name: &str,
    version: &str,
    subject_sha256: &[u8; 32],
    claims: &Claims,
) -> Vec<u8> {
    let statement = Statement {
        statement_type: STATEMENT_TYPE,
        subject: [Subject {
            name: cargo_purl(name, version),
            digest: Sha256Digest {
                sha256: hex::encode(subject_sha256),
            },
        }],
        predicate_type: SLSA_PROVENANCE_V1,
        predicate: Predicate {
            build_definition: BuildDefinition {
                build_type: GITHUB_WORKFLOW_BUILD_TYPE,
                external_parameters: ExternalParameters {
                    workflow: Workflow {
                        git_ref: claims.git_ref.clone(),
                        repository: claims.repository_uri(),
                        path: claims.workflow.clone(),
                    },
                },
                internal_parameters: InternalParameters {
                    github: GitHubParameters {
                        event_name: claims.trigger.clone(),
                        repository_id: claims.repository_id.clone(),
                        repository_owner_id: claims.owner_id.clone(),
                        runner_environment: claims.runner_environment.clone(),
                    },
                },
                resolved_dependencies: [ResolvedDependency {
                    uri: format!("git+{}@{}", claims.repository_uri(), claims.git_ref),
                    digest: GitCommit {
                        git_commit: claims.commit.clone(),
                    },
                }],
            },
            run_details: RunDetails {
                builder: Builder {
                    id: claims.build_signer_uri(),
                },
                metadata: Metadata {
                    invocation_id: claims.run_invocation_uri(),
                },
            },
        },
    };
    serde_json::to_vec(&statement).expect("a statement serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_is_an_in_toto_v1_slsa_provenance() {
        let claims = Claims::github("serde-rs/serde", "1.0.219");
        let bytes = provenance_statement("serde", "1.0.219", &[0xab; 32], &claims);
        let parsed: sigstore_types::Statement = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(parsed.type_, STATEMENT_TYPE);
        assert_eq!(parsed.predicate_type, SLSA_PROVENANCE_V1);
        assert_eq!(parsed.subject.len(), 1);
        assert_eq!(parsed.subject[0].name, "pkg:cargo/serde@1.0.219");
        assert!(parsed.matches_sha256(&sigstore_types::Sha256Hash::new([0xab; 32])));
        let predicate = &parsed.predicate;
        assert_eq!(
            predicate["buildDefinition"]["externalParameters"]["workflow"]["repository"],
            "https://github.com/serde-rs/serde"
        );
        assert_eq!(
            predicate["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"],
            claims.commit.as_str()
        );
        assert_eq!(
            predicate["runDetails"]["metadata"]["invocationId"],
            claims.run_invocation_uri().as_str()
        );
    }
}
