//! Which rule and which exemption decide a package: the most specific
//! match, see `docs/policy.md` ("Which rule decides").

use super::{Exemption, Policy, Rule, Traits};

/// The rule that decides a registry package, and which of its selectors
/// matched: the most specific match, see `docs/policy.md`.
pub fn deciding_rule<'p>(
    policy: &'p Policy,
    name: &str,
    version: &semver::Version,
    traits: Traits,
) -> Option<(&'p Rule, usize)> {
    deciding_position(policy, name, version, traits)
        .map(|(rule, selector)| (&policy.rules[rule], selector))
}

/// The position of the deciding rule in `policy.rules`, and of its selector.
pub(crate) fn deciding_position(
    policy: &Policy,
    name: &str,
    version: &semver::Version,
    traits: Traits,
) -> Option<(usize, usize)> {
    policy
        .rule_index
        .candidates(name)
        .filter(|&(rule, selector)| {
            policy.rules[rule].selectors[selector].matches(name, version, traits)
        })
        .min_by_key(|&(rule, selector)| {
            (
                policy.rules[rule].selectors[selector].specificity(),
                rule,
                selector,
            )
        })
}

/// The exemption for a package, if one matches: the most specific.
pub fn matching_exemption<'p>(
    policy: &'p Policy,
    name: &str,
    version: &semver::Version,
) -> Option<&'p Exemption> {
    policy
        .exempt_index
        .candidates(name)
        .filter(|&(e, _)| {
            policy.exemptions[e]
                .selector
                .matches(name, version, Traits::default())
        })
        .min_by_key(|&(e, _)| (policy.exemptions[e].selector.specificity(), e))
        .map(|(e, _)| &policy.exemptions[e])
}
