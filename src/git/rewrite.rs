//! git's `url.<base>.insteadOf` rules, as the user's configuration holds
//! them (files, `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`,
//! `-c`): git applies them itself when it fetches; they are read here too,
//! so that a run knows where a repository will really be fetched from (a
//! cached comparison is used only under the rules that made it, and an
//! offline run fetches only from a local mirror).

/// The `insteadOf` rules in force: (prefix written, base it stands for).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rewrites {
    rules: Vec<(String, String)>,
}

impl Rewrites {
    /// From `git config --get-regexp -z '^url\..*\.insteadof$'` output:
    /// records `url.BASE.insteadof` NL `PREFIX` NUL.
    pub fn parse(output: &[u8]) -> Self {
        let rules = output
            .split(|b| *b == 0)
            .filter_map(|record| {
                let text = std::str::from_utf8(record).ok()?;
                let (key, prefix) = text.split_once('\n')?;
                let base = key.strip_prefix("url.")?.strip_suffix(".insteadof")?;
                Some((prefix.to_string(), base.to_string()))
            })
            .filter(|(prefix, _)| !prefix.is_empty())
            .collect();
        Self { rules }
    }

    /// `url` as git will fetch it: the longest matching prefix replaced by
    /// its base (git's rule), else unchanged.
    pub fn apply(&self, url: &str) -> String {
        self.rules
            .iter()
            .filter(|(prefix, _)| url.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or_else(
                || url.to_string(),
                |(prefix, base)| format!("{base}{}", &url[prefix.len()..]),
            )
    }

    /// Whether any rule applies to `url`.
    #[cfg(test)]
    pub fn applies_to(&self, url: &str) -> bool {
        self.rules
            .iter()
            .any(|(prefix, _)| url.starts_with(prefix.as_str()))
    }
}

/// Whether git fetches `url` from this machine: a `file://` URL or a path.
pub fn is_local(url: &str) -> bool {
    url.starts_with("file://") || url.starts_with('/') || url.starts_with("./")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_wins_as_in_git() {
        let output = b"url.file:///m/.insteadof\nhttps://github.com/\0url.file:///special.git.insteadof\nhttps://github.com/o/r\0url.x.insteadof\n\0";
        let rewrites = Rewrites::parse(output);
        assert_eq!(
            rewrites.apply("https://github.com/o/r"),
            "file:///special.git"
        );
        assert_eq!(rewrites.apply("https://github.com/a/b"), "file:///m/a/b");
        assert_eq!(
            rewrites.apply("https://gitlab.com/a/b"),
            "https://gitlab.com/a/b"
        );
        assert!(rewrites.applies_to("https://github.com/x"));
        assert!(!rewrites.applies_to("https://gitlab.com/x"));
        assert!(is_local("file:///m/a/b") && is_local("/srv/git/a"));
        assert!(!is_local("https://github.com/a/b"));
    }
}
