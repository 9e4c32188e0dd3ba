//! What GitHub Actions tells Fulcio about a build, as a plain struct.
//!
//! [`Claims::github`] gives the defaults of a tag-triggered release workflow
//! on a GitHub-hosted runner in a public repository; every field is public,
//! so a test says what differs:
//! `Claims { trigger: "pull_request".into(), ..Claims::github("o/r", "1.0.0") }`.

use super::keys::sha256;

/// The OIDC issuer of GitHub Actions identity tokens.
pub const GITHUB_ACTIONS_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The claims of one build, shaped like a GitHub Actions workflow run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The OIDC issuer (`1.3.6.1.4.1.57264.1.8`).
    pub issuer: String,
    /// `https://github.com`.
    pub server: String,
    /// `owner/name` of the repository the crate was built from.
    pub repository: String,
    /// The immutable repository ID (`.1.15`).
    pub repository_id: String,
    /// The immutable owner ID (`.1.17`).
    pub owner_id: String,
    /// The ref the build ran on (`.1.14`), e.g. `refs/tags/v1.0.0`.
    pub git_ref: String,
    /// The commit the build ran on (`.1.13`), 40 hex digits.
    pub commit: String,
    /// The workflow file that ran (`.1.18`), e.g. `.github/workflows/release.yml`.
    pub workflow: String,
    /// The workflow's display name (legacy `.1.4`).
    pub workflow_name: String,
    /// A reusable workflow that signed, when it is not the workflow itself (`.1.9`).
    pub signer: Option<SignerWorkflow>,
    /// The event that triggered the run (`.1.20`): `push`, `release`, `pull_request`, …
    pub trigger: String,
    /// `github-hosted` or `self-hosted` (`.1.11`).
    pub runner_environment: String,
    /// `public`, `private` or `internal` (`.1.22`).
    pub visibility: String,
    /// The workflow run ID (part of `.1.21`).
    pub run_id: String,
    /// The run attempt (part of `.1.21`).
    pub run_attempt: u32,
}

/// A reusable workflow that signed on behalf of the calling workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerWorkflow {
    /// `owner/name` of the repository holding the reusable workflow.
    pub repository: String,
    /// Its path, e.g. `.github/workflows/attest.yml`.
    pub workflow: String,
    /// The ref it was called at, e.g. `refs/tags/v2.1.0`.
    pub git_ref: String,
    /// The commit of that ref (`.1.10`).
    pub commit: String,
}

/// A decimal number in `[low, high)` derived from `label`: plausible,
/// stable IDs for repositories, owners and runs.
fn derived_number(label: &str, low: u64, high: u64) -> u64 {
    let digest = sha256(label.as_bytes());
    let value = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    low + value % (high - low)
}

/// A 40-hex-digit commit ID derived from `label`.
fn derived_commit(label: &str) -> String {
    hex::encode(&sha256(label.as_bytes())[..20])
}

impl Claims {
    /// The defaults for a release of `version` built in `repository`
    /// (`owner/name`): issuer GitHub Actions, workflow
    /// `.github/workflows/release.yml` on tag `refs/tags/v{version}`,
    /// triggered by `push`, on a GitHub-hosted runner, in a public
    /// repository. IDs, commit and run are derived from the inputs, so they
    /// are stable and plausible.
    pub fn github(repository: &str, version: &str) -> Self {
        let owner = repository.split('/').next().unwrap_or(repository);
        Self {
            issuer: GITHUB_ACTIONS_ISSUER.to_string(),
            server: "https://github.com".to_string(),
            repository: repository.to_string(),
            repository_id: derived_number(
                &format!("repository {repository}"),
                100_000_000,
                999_999_999,
            )
            .to_string(),
            owner_id: derived_number(&format!("owner {owner}"), 1_000_000, 99_999_999).to_string(),
            git_ref: format!("refs/tags/v{version}"),
            commit: derived_commit(&format!("commit {repository} {version}")),
            workflow: ".github/workflows/release.yml".to_string(),
            workflow_name: "Release".to_string(),
            signer: None,
            trigger: "push".to_string(),
            runner_environment: "github-hosted".to_string(),
            visibility: "public".to_string(),
            run_id: derived_number(
                &format!("run {repository} {version}"),
                10_000_000_000,
                19_999_999_999,
            )
            .to_string(),
            run_attempt: 1,
        }
    }

    /// The same build, in another repository (with that repository's IDs).
    pub fn in_repository(self, repository: &str) -> Self {
        let fresh = Self::github(repository, "");
        Self {
            repository: fresh.repository,
            repository_id: fresh.repository_id,
            owner_id: fresh.owner_id,
            ..self
        }
    }

    /// The same build, run by another workflow file.
    pub fn with_workflow(self, workflow: &str) -> Self {
        Self {
            workflow: workflow.to_string(),
            ..self
        }
    }

    /// The same build, signed by a reusable workflow
    /// `repository/workflow@git_ref` called from this one.
    pub fn with_reusable_workflow(self, repository: &str, workflow: &str, git_ref: &str) -> Self {
        Self {
            signer: Some(SignerWorkflow {
                repository: repository.to_string(),
                workflow: workflow.to_string(),
                git_ref: git_ref.to_string(),
                commit: derived_commit(&format!("commit {repository} {workflow} {git_ref}")),
            }),
            ..self
        }
    }

    /// The same build, triggered by another event.
    pub fn with_trigger(self, trigger: &str) -> Self {
        Self {
            trigger: trigger.to_string(),
            ..self
        }
    }

    /// The same build, from a branch instead of a tag.
    pub fn on_branch(self, branch: &str) -> Self {
        Self {
            git_ref: format!("refs/heads/{branch}"),
            ..self
        }
    }

    /// The same build, on a self-hosted runner.
    pub fn self_hosted(self) -> Self {
        Self {
            runner_environment: "self-hosted".to_string(),
            ..self
        }
    }

    /// The same build, in a private repository.
    pub fn private(self) -> Self {
        Self {
            visibility: "private".to_string(),
            ..self
        }
    }

    /// The repository owner's login.
    pub fn owner(&self) -> &str {
        self.repository
            .split('/')
            .next()
            .unwrap_or(&self.repository)
    }

    /// `https://github.com/owner/name` (`.1.12`).
    pub fn repository_uri(&self) -> String {
        format!("{}/{}", self.server, self.repository)
    }

    /// `https://github.com/owner` (`.1.16`).
    pub fn owner_uri(&self) -> String {
        format!("{}/{}", self.server, self.owner())
    }

    /// The workflow that ran, with its ref (`.1.18`).
    pub fn build_config_uri(&self) -> String {
        format!(
            "{}/{}/{}@{}",
            self.server, self.repository, self.workflow, self.git_ref
        )
    }

    /// The workflow that signed, with its ref (`.1.9`): the reusable
    /// workflow when there is one, else the workflow that ran.
    pub fn build_signer_uri(&self) -> String {
        match &self.signer {
            Some(signer) => format!(
                "{}/{}/{}@{}",
                self.server, signer.repository, signer.workflow, signer.git_ref
            ),
            None => self.build_config_uri(),
        }
    }

    /// The commit of the signing workflow (`.1.10`).
    pub fn build_signer_digest(&self) -> &str {
        self.signer
            .as_ref()
            .map_or(&self.commit, |signer| &signer.commit)
    }

    /// Where the run's logs are (`.1.21`).
    pub fn run_invocation_uri(&self) -> String {
        format!(
            "{}/{}/actions/runs/{}/attempts/{}",
            self.server, self.repository, self.run_id, self.run_attempt
        )
    }

    /// The OIDC token's `sub` claim (`.1.24`), in GitHub's default form:
    /// `repo:OWNER/NAME:pull_request` for pull requests, else
    /// `repo:OWNER/NAME:ref:REF`.
    pub fn token_subject(&self) -> String {
        if self.trigger == "pull_request" {
            format!("repo:{}:pull_request", self.repository)
        } else {
            format!("repo:{}:ref:{}", self.repository, self.git_ref)
        }
    }

    /// The certificate identity (the SAN URI): the signing workflow with its ref,
    /// as `--certificate-identity` expects it.
    pub fn identity(&self) -> String {
        self.build_signer_uri()
    }

    /// The Fulcio extensions GitHub Actions certificates carry, in the order
    /// Fulcio writes them: the deprecated `.1.1`–`.1.6` (raw strings), then
    /// `.1.8`–`.1.22` and `.1.24` (DER UTF8String values; `.1.23`, the
    /// deployment environment, only comes with an environment).
    pub(crate) fn fulcio_extensions(&self) -> Vec<(u32, FulcioValue)> {
        use FulcioValue::{Der, Raw};
        vec![
            (1, Raw(self.issuer.clone())),
            (2, Raw(self.trigger.clone())),
            (3, Raw(self.commit.clone())),
            (4, Raw(self.workflow_name.clone())),
            (5, Raw(self.repository.clone())),
            (6, Raw(self.git_ref.clone())),
            (8, Der(self.issuer.clone())),
            (9, Der(self.build_signer_uri())),
            (10, Der(self.build_signer_digest().to_string())),
            (11, Der(self.runner_environment.clone())),
            (12, Der(self.repository_uri())),
            (13, Der(self.commit.clone())),
            (14, Der(self.git_ref.clone())),
            (15, Der(self.repository_id.clone())),
            (16, Der(self.owner_uri())),
            (17, Der(self.owner_id.clone())),
            (18, Der(self.build_config_uri())),
            (19, Der(self.commit.clone())),
            (20, Der(self.trigger.clone())),
            (21, Der(self.run_invocation_uri())),
            (22, Der(self.visibility.clone())),
            (24, Der(self.token_subject())),
        ]
    }
}

/// How Fulcio encodes an extension value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FulcioValue {
    /// The deprecated `.1.1`–`.1.6`: the string's bytes as the extension value.
    Raw(String),
    /// `.1.8` onwards: a DER UTF8String.
    Der(String),
}

impl FulcioValue {
    /// `value` as Fulcio encodes extension `.1.number`.
    pub(crate) fn encoded(number: u32, value: &str) -> Self {
        if number <= 6 {
            Self::Raw(value.to_string())
        } else {
            Self::Der(value.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_a_tagged_release_on_github_hosted_runners() {
        let claims = Claims::github("serde-rs/serde", "1.0.219");
        assert_eq!(
            claims.identity(),
            "https://github.com/serde-rs/serde/.github/workflows/release.yml@refs/tags/v1.0.219"
        );
        assert_eq!(claims.owner_uri(), "https://github.com/serde-rs");
        assert_eq!(claims.commit.len(), 40);
        assert_eq!(claims.repository_id.len(), 9);
        assert!(claims
            .run_invocation_uri()
            .starts_with("https://github.com/serde-rs/serde/actions/runs/"));
        assert_eq!(claims, Claims::github("serde-rs/serde", "1.0.219"));
    }

    #[test]
    fn reusable_workflow_signs_while_the_caller_is_the_build_config() {
        let claims = Claims::github("o/r", "1.0.0").with_reusable_workflow(
            "slsa-framework/slsa-github-generator",
            ".github/workflows/builder.yml",
            "refs/tags/v2.1.0",
        );
        assert_eq!(
            claims.identity(),
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder.yml@refs/tags/v2.1.0"
        );
        assert_eq!(
            claims.build_config_uri(),
            "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.0.0"
        );
        assert_ne!(claims.build_signer_digest(), claims.commit);
    }

    #[test]
    fn another_repository_has_other_ids() {
        let original = Claims::github("serde-rs/serde", "1.0.0");
        let moved = original.clone().in_repository("evil/serde");
        assert_eq!(moved.repository, "evil/serde");
        assert_ne!(moved.repository_id, original.repository_id);
        assert_ne!(moved.owner_id, original.owner_id);
        assert_eq!(moved.git_ref, original.git_ref);
    }
}
