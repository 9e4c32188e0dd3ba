//! `[[source]]`: where provenance is fetched from.

use toml_edit::TableLike;

use super::{source_keys, Parser, SOURCE_KINDS};
use crate::policy::{Code, PolicyDiagnostic, PolicySpan, Spanned};
use crate::sources::{Records, SourceSpec, CRATES_IO_API, CRATES_IO_INDEX, GITHUB_API};

/// The values of a `crates-io` source's `records`.
const RECORDS: &[&str] = &["needed", "all"];

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
        let mut api_url = None;
        let mut download_url = None;
        let mut index_url = None;
        let mut records = None;
        let mut org = None;
        let mut predicate_type = None;
        let mut template = None;
        let mut path = None;
        let mut ok = kind.is_some();
        for entry in &entries {
            if !allowed.contains(&entry.key) {
                self.unknown_key(entry, &table_name, allowed);
                ok = false;
                continue;
            }
            match entry.key {
                "api-url" => {
                    api_url = self.api_url(entry);
                    ok &= api_url.is_some();
                }
                "download-url" => {
                    download_url = self.api_url(entry);
                    ok &= download_url.is_some();
                }
                "index-url" => {
                    index_url = self.string(entry).and_then(|(text, span)| {
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
                    });
                    ok &= index_url.is_some();
                }
                "records" => {
                    records = self.word(entry, RECORDS, |s| match s {
                        "needed" => Some(Records::Needed),
                        "all" => Some(Records::All),
                        _ => None,
                    });
                    ok &= records.is_some();
                }
                "predicate-type" => {
                    predicate_type = self.uri(entry);
                    ok &= predicate_type.is_some();
                }
                "org" => {
                    org = self.string(entry).and_then(|(text, span)| {
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
                    });
                    ok &= org.is_some();
                }
                "template" => {
                    template = self.string(entry).and_then(|(text, span)| {
                        match SourceSpec::url(text) {
                            Ok(_) => Some(text.to_string()),
                            Err(reason) => {
                                let label = if reason.contains("names no artifact") {
                                    "names no artifact"
                                } else {
                                    "not fetched"
                                };
                                self.push(
                                    PolicyDiagnostic::error(Code::BadSource, reason)
                                        .label(span, label)
                                        .help("e.g. \"https://mirror.example/{name}/{version}/{checksum}.sigstore.json\""),
                                );
                                None
                            }
                        }
                    });
                    ok &= template.is_some();
                }
                "path" => {
                    path = self.string(entry).and_then(|(text, span)| {
                        if text.is_empty() {
                            self.bad_value(
                                Code::BadSource,
                                span,
                                "a `dir` source needs a folder".into(),
                                "empty path",
                            );
                            None
                        } else {
                            Some(self.base_dir.join(text))
                        }
                    });
                    ok &= path.is_some();
                }
                _ => {}
            }
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
        let spec = match kind.as_str() {
            "github" => SourceSpec::GitHub {
                api_url: api_url.unwrap_or_else(|| GITHUB_API.into()),
                org,
                predicate_type,
            },
            "url" => SourceSpec::Url {
                template: template?,
            },
            "dir" => SourceSpec::Dir { path: path? },
            _ => SourceSpec::CratesIo {
                api_url: api_url.unwrap_or_else(|| CRATES_IO_API.into()),
                download_url,
                index_url: index_url.unwrap_or_else(|| CRATES_IO_INDEX.into()),
                records: records.unwrap_or_default(),
            },
        };
        Some(Spanned::new(spec, span))
    }
}
