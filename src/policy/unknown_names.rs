//! `policy check` with a lockfile at hand: the rules and exemptions that
//! name no package of it, found before any run, with the closest name the
//! lockfile holds when one is close enough to be a typo (`sedre` →
//! `serde`).

use std::collections::BTreeSet;

use super::{Code, Policy, PolicyDiagnostic, RuleKind, Selector};

impl Policy {
    /// A warning for each rule selector and exemption that matches no name
    /// of `names` (the lockfile's packages), in file order: a rule as
    /// `policy-unused-rule`, an exemption as `policy-unused-exemption`.
    pub(crate) fn names_missing_from(&self, names: &BTreeSet<&str>) -> Vec<PolicyDiagnostic> {
        let rules = self.rules.iter().flat_map(|rule| {
            let table = match rule.kind {
                RuleKind::Package => "[[package]]",
                RuleKind::Owner => "[[owner]] packages",
            };
            rule.selectors
                .iter()
                .map(move |s| (Code::UnusedRule, table, s))
        });
        let exemptions = self
            .exemptions
            .iter()
            .map(|e| (Code::UnusedExemption, "[[exempt]]", &e.selector));
        let mut warnings: Vec<PolicyDiagnostic> = rules
            .chain(exemptions)
            .filter(|(_, _, selector)| !names.iter().any(|n| selector.name.value.is_match(n)))
            .map(|(code, table, selector)| missing(code, table, selector, names))
            .collect();
        warnings.sort_by_key(|w| w.span().map_or(0, |s| s.offset));
        match &self.text {
            Some(text) => warnings
                .into_iter()
                .map(|w| w.with_source(text.clone()))
                .collect(),
            None => warnings,
        }
    }
}

fn missing(
    code: Code,
    table: &str,
    selector: &Selector,
    names: &BTreeSet<&str>,
) -> PolicyDiagnostic {
    let name = selector.name.value.as_str();
    let warning = PolicyDiagnostic::warning(
        code,
        format!("{table} `{name}` names no package of the lockfile"),
    );
    let suggestion = selector
        .name
        .value
        .is_literal()
        .then(|| closest_name(name, names))
        .flatten();
    match suggestion {
        Some(close) => warning
            .label(selector.name.span, format!("did you mean `{close}`?"))
            .help(format!(
                "if you meant `{close}`, write that; if the dependency is gone, remove the entry"
            )),
        None => warning
            .label(selector.name.span, "matches nothing in Cargo.lock")
            .help("remove the entry if the dependency is gone, or check its spelling"),
    }
}

/// The name of `names` closest to `name`, if close enough to be a typo;
/// `-` and `_` count as the same, as cargo treats them.
fn closest_name<'a>(name: &str, names: &BTreeSet<&'a str>) -> Option<&'a str> {
    let normal = |text: &str| text.to_ascii_lowercase().replace('-', "_");
    let wanted = normal(name);
    names
        .iter()
        .map(|candidate| {
            (
                strsim::jaro_winkler(&wanted, &normal(candidate)),
                *candidate,
            )
        })
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_naming_no_package_is_found_with_the_closest_name() {
        let policy = Policy::parse(
            "[[package]]\nname = \"sedre\"\n\n[[package]]\nname = \"tokio*\"\n\n[[package]]\nname = \"serde_json\"\n\n[[owner]]\nowner = \"https://github.com/o\"\npackages = [\"mio\", \"zzz\"]\n\n[[exempt]]\nname = \"libcc\"\nreason = \"r\"\n",
            "provenance.toml",
            std::path::Path::new("/p"),
            "2026-06-01T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
        let names = BTreeSet::from(["serde", "serde_json", "mio", "libc"]);
        let found: Vec<(String, String)> = policy
            .names_missing_from(&names)
            .iter()
            .map(|w| (w.code.as_str().to_string(), w.message.clone()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "policy-unused-rule".into(),
                    "[[package]] `sedre` names no package of the lockfile".into()
                ),
                (
                    "policy-unused-rule".into(),
                    "[[package]] `tokio*` names no package of the lockfile".into()
                ),
                (
                    "policy-unused-rule".into(),
                    "[[owner]] packages `zzz` names no package of the lockfile".into()
                ),
                (
                    "policy-unused-exemption".into(),
                    "[[exempt]] `libcc` names no package of the lockfile".into()
                ),
            ]
        );
        assert_eq!(closest_name("sedre", &names), Some("serde"));
        assert_eq!(closest_name("libcc", &names), Some("libc"));
        assert_eq!(closest_name("zzz", &names), None);
    }
}
