//! Words for every output: counted nouns.

/// `1 package`, `2 packages`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(super::count(0, "package", "packages"), "0 packages");
        assert_eq!(super::count(1, "package", "packages"), "1 package");
        assert_eq!(super::count(2, "bundle", "bundles"), "2 bundles");
    }
}
