//! `[[source]]`: where provenance is fetched from.

use toml_edit::TableLike;

use super::{source_keys, Entry, Parser, SOURCE_KINDS};
use crate::policy::{Code, PolicyDiagnostic, PolicySpan, Spanned};
use crate::sources::{
    Records, SourceSpec, SourceSpecError, CRATES_IO_API, CRATES_IO_INDEX, GITHUB_API,
};

/// The values of a `crates-io` source's `records`.
const RECORDS: &[&str] = &["needed", "all"];

/// The keys of a `[[source]]` table besides `kind`, as read.
#[derive(Default)]
struct SourceKeys {
    api_url: Option<String>,
    download_url: Option<String>,
    index_url: Option<String>,
    records: Option<Records>,
    org: Option<String>,
    predicate_type: Option<String>,
    template: Option<String>,
    path: Option<std::path::PathBuf>,
}

impl Parser<'_> {
    pub(super) fn source(
        &mut self,
        table: &dyn TableLike,
        span: PolicySpan,
    ) -> Option<Spanned<SourceSpec>> {
        let entries = self.entries(table, span);
        let Some(kind_entry) = entries.iter().find(|e| e.key == "kind") else {
            self.missing_key(
                Code::MissingKey,
                "[[source]]",
                span,
                "kind",
                "say which kind of source this is: kind = \"github\", \"url\", \"dir\" or \"crates-io\"",
            );
            return None;
        };
        let kind = self.word(kind_entry, SOURCE_KINDS, |s| {
            SOURCE_KINDS.contains(&s).then(|| s.to_string())
        });
        let allowed = source_keys(kind.as_deref().unwrap_or(""));
        let table_name = match &kind {
            Some(k) => format!("[[source]] of kind \"{k}\""),
            None => "[[source]]".to_string(),
        };
        let mut keys = SourceKeys::default();
        let mut ok = kind.is_some();
        for entry in &entries {
            if !allowed.contains(&entry.key) {
                self.unknown_key(entry, &table_name, allowed);
                ok = false;
                continue;
            }
            ok &= self.source_key(entry, &mut keys);
        }
        let kind = kind?;
        let needed = match kind.as_str() {
            "url" if !table.contains_key("template") => Some("template"),
            "dir" if !table.contains_key("path") => Some("path"),
            _ => None,
        };
        if let Some(key) = needed {
            self.missing_key(
                Code::MissingKey,
                &table_name,
                span,
                key,
                &format!(
                    "see the [[source]] section of the reference: {}",
                    crate::policy::reference_pointer()
                ),
            );
            return None;
        }
        if !ok {
            return None;
        }
        Some(Spanned::new(source_spec(&kind, keys)?, span))
    }

    /// Read one key of a `[[source]]` table (`kind` aside) into `keys`;
    /// false when its value is wrong.
    fn source_key(&mut self, entry: &Entry<'_>, keys: &mut SourceKeys) -> bool {
        match entry.key {
            "api-url" => set(&mut keys.api_url, self.api_url(entry)),
            "download-url" => set(&mut keys.download_url, self.api_url(entry)),
            "index-url" => set(&mut keys.index_url, self.index_url(entry)),
            "records" => {
                let records = self.word(entry, RECORDS, |s| match s {
                    "needed" => Some(Records::Needed),
                    "all" => Some(Records::All),
                    _ => None,
                });
                set(&mut keys.records, records)
            }
            "predicate-type" => set(&mut keys.predicate_type, self.uri(entry)),
            "org" => set(&mut keys.org, self.org(entry)),
            "template" => set(&mut keys.template, self.url_template(entry)),
            "path" => set(&mut keys.path, self.dir_path(entry)),
            _ => true,
        }
    }

    /// `index-url`: a sparse index, as cargo writes its address.
    fn index_url(&mut self, entry: &Entry<'_>) -> Option<String> {
        let (text, span) = self.string(entry)?;
        match crate::sources::sparse_index::IndexUrl::parse(text) {
            Ok(url) => Some(url.to_string()),
            Err(error) => {
                self.push(
                    PolicyDiagnostic::error(Code::BadUrl, error.to_string())
                        .label(span, "not a sparse index address")
                        .help("as cargo writes it: \"sparse+https://index.crates.io/\""),
                );
                None
            }
        }
    }

    /// `org`: an organisation login.
    fn org(&mut self, entry: &Entry<'_>) -> Option<String> {
        let (text, span) = self.string(entry)?;
        let valid = crate::names::is_github_name(text);
        if !valid {
            self.bad_value(
                Code::BadSource,
                span,
                format!("`{text}` is not an organisation name"),
                "expected an organisation login such as my-org",
            );
        }
        valid.then(|| text.to_string())
    }

    /// `template`: a URL template that names an artifact.
    fn url_template(&mut self, entry: &Entry<'_>) -> Option<String> {
        let (text, span) = self.string(entry)?;
        match SourceSpec::url(text) {
            Ok(_) => Some(text.to_string()),
            Err(reason) => {
                let label = if matches!(reason, SourceSpecError::NoArtifact(_)) {
                    "names no artifact"
                } else {
                    "not fetched"
                };
                self.push(
                    PolicyDiagnostic::error(Code::BadSource, reason.to_string())
                        .label(span, label)
                        .help("e.g. \"https://mirror.example/{name}/{version}/{checksum}.sigstore.json\""),
                );
                None
            }
        }
    }

    /// `path`: a folder, relative to the policy file.
    fn dir_path(&mut self, entry: &Entry<'_>) -> Option<std::path::PathBuf> {
        let (text, span) = self.string(entry)?;
        if text.is_empty() {
            self.bad_value(
                Code::BadSource,
                span,
                "a `dir` source needs a folder",
                "empty path",
            );
            return None;
        }
        Some(self.base_dir.join(text))
    }
}

/// Put `value` in `slot`; whether there was one.
fn set<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let ok = value.is_some();
    *slot = value;
    ok
}

/// The source a table of `kind` with `keys` describes (the keys it needs
/// are there), with the defaults for the keys it leaves out.
fn source_spec(kind: &str, keys: SourceKeys) -> Option<SourceSpec> {
    Some(match kind {
        "github" => SourceSpec::GitHub {
            api_url: keys.api_url.unwrap_or_else(|| GITHUB_API.into()),
            org: keys.org,
            predicate_type: keys.predicate_type,
        },
        "url" => SourceSpec::Url {
            template: keys.template?,
        },
        "dir" => SourceSpec::Dir { path: keys.path? },
        _ => SourceSpec::CratesIo {
            api_url: keys.api_url.unwrap_or_else(|| CRATES_IO_API.into()),
            download_url: keys.download_url,
            index_url: keys.index_url.unwrap_or_else(|| CRATES_IO_INDEX.into()),
            records: keys.records.unwrap_or_default(),
        },
    })
}
