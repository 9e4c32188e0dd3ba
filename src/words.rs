//! Words for every output: counted nouns, durations.

/// `1 package`, `2 packages`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A duration in words, to its two largest units: `7 days`, `1 day 2
/// hours`, `3 hours 20 minutes`, `45 seconds`.
pub fn duration(duration: std::time::Duration) -> String {
    let seconds = duration.as_secs();
    let units = [
        (seconds / 86_400, "day", "days"),
        (seconds % 86_400 / 3600, "hour", "hours"),
        (seconds % 3600 / 60, "minute", "minutes"),
        (seconds % 60, "second", "seconds"),
    ];
    let Some(first) = units.iter().position(|(n, ..)| *n > 0) else {
        return count(0, "second", "seconds");
    };
    units[first..]
        .iter()
        .take(2)
        .filter(|(n, ..)| *n > 0)
        .map(|(n, one, many)| count(*n as usize, one, many))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(super::count(0, "package", "packages"), "0 packages");
        assert_eq!(super::count(1, "package", "packages"), "1 package");
        assert_eq!(super::count(2, "bundle", "bundles"), "2 bundles");
    }

    #[test]
    fn durations_are_said_in_their_two_largest_units() {
        use std::time::Duration;
        for (seconds, text) in [
            (0, "0 seconds"),
            (45, "45 seconds"),
            (3600 * 3 + 20 * 60 + 5, "3 hours 20 minutes"),
            (7 * 86_400, "7 days"),
            (86_400 + 2 * 3600 + 59, "1 day 2 hours"),
            (86_400 + 59, "1 day"),
        ] {
            assert_eq!(super::duration(Duration::from_secs(seconds)), text);
        }
    }
}
