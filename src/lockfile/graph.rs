//! The dependency graph of an inventory: which package depends on which,
//! how (normal, build or dev dependency) and on which platforms; which
//! packages the build being checked includes (its scope); and, for each
//! package, the shortest path from a workspace member to it.
//!
//! Every walk here is a breadth-first search over the edges, so building
//! the scope and the paths takes time linear in the packages and edges.

use std::collections::{HashMap, VecDeque};
use std::fmt;

use serde::{Deserialize, Serialize};

/// How a package depends on another, as its manifest declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DepKind {
    Normal,
    Build,
    Dev,
}

/// One declaration of a dependency: its kind, and the platform it is
/// limited to (`cfg(unix)`, a target triple), if any.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DepUse {
    pub kind: DepKind,
    pub platform: Option<String>,
}

/// A dependency: the package depended on, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The position of the dependency in the inventory.
    pub to: usize,
    /// Every declaration of it; empty when the graph came from a bare
    /// lockfile, which does not say.
    pub uses: Vec<DepUse>,
    /// Part of the build being checked (see [`Scope`]).
    pub in_scope: bool,
}

impl Edge {
    /// Whether the edge is more than a dev-dependency: a normal or build
    /// dependency, or one whose kind is unknown (counted, to fail closed).
    pub fn beyond_dev(&self) -> bool {
        self.uses.is_empty() || self.uses.iter().any(|u| u.kind != DepKind::Dev)
    }
}

/// Where the graph came from, and so what it knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GraphOrigin {
    /// `cargo metadata`: dependency kinds, platforms, workspace members and
    /// build-time code are known.
    Metadata,
    /// A bare lockfile's `dependencies` lists: no kinds, no platforms, and
    /// the workspace roots are the source-less packages nothing depends on.
    #[default]
    Lockfile,
}

/// Which part of the dependency graph a run checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// Only what is built for these targets; empty: every platform.
    pub targets: Vec<String>,
    /// Leave out packages that only dev-dependencies bring in.
    pub exclude_dev: bool,
}

impl Scope {
    /// Whether the scope is the whole lockfile.
    pub fn is_everything(&self) -> bool {
        self.targets.is_empty() && !self.exclude_dev
    }
}

/// Why a package is outside the build being checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OutOfScope {
    /// Reached from the workspace only through dev-dependencies.
    DevOnly,
    /// Built for none of the targets checked.
    OtherPlatforms { targets: Vec<String> },
    /// Built for no platform: an optional dependency that no feature the
    /// workspace turns on (every feature of every member) brings in.
    NotBuilt,
}

impl fmt::Display for OutOfScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DevOnly => {
                f.write_str("dev-only: reached from the workspace only through dev-dependencies")
            }
            Self::OtherPlatforms { targets } => {
                write!(f, "not built for {}", targets.join(", "))
            }
            Self::NotBuilt => f.write_str("not built: no feature of the workspace turns it on"),
        }
    }
}

/// No package (a parent link that leads nowhere).
const NONE: u32 = u32::MAX;

/// The graph over the packages of an inventory, in inventory order.
/// Serialized as where it came from.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Graph {
    pub origin: GraphOrigin,
    /// Per package, what it depends on.
    #[serde(skip)]
    pub dependencies: Vec<Vec<Edge>>,
    /// Per package, the previous package on a shortest path from a
    /// workspace member over the edges in scope.
    #[serde(skip)]
    parents: Vec<u32>,
    /// The same over every edge, for packages outside the scope; empty
    /// when the scope is everything.
    #[serde(skip)]
    all_parents: Vec<u32>,
}

/// The edges cargo builds for the targets checked: per edge (from, to),
/// whether it is built without dev-dependencies.
pub(crate) type ActiveEdges = HashMap<(usize, usize), bool>;

/// What [`Graph::scope`] decided for each package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scoped {
    /// Per package: `None` when it is in scope.
    pub out_of_scope: Vec<Option<OutOfScope>>,
    /// Per package: a workspace member depends on it directly, in scope.
    pub direct: Vec<bool>,
    /// Per package in scope: reached from the workspace only through
    /// dev-dependencies (never when the graph does not know the kinds).
    pub dev_only: Vec<bool>,
}

impl Graph {
    /// A graph with no shortest paths computed yet.
    pub(crate) fn new(origin: GraphOrigin, dependencies: Vec<Vec<Edge>>) -> Self {
        Self {
            origin,
            dependencies,
            parents: Vec::new(),
            all_parents: Vec::new(),
        }
    }

    /// Decide the scope, mark the edges in it, and find the shortest path
    /// from a workspace member (`roots`) to every package.
    ///
    /// Steps, in order:
    /// 1. an edge is in scope when `active` (what cargo builds, `None` for
    ///    every edge) keeps it, and, with `exclude_dev`, it is built without
    ///    dev-dependencies;
    /// 2. a breadth-first search from the roots over those edges reaches the
    ///    packages in scope, and records the shortest paths;
    /// 3. a package it does not reach is `dev-only` when the same search
    ///    with dev-dependencies reaches it, else outside the targets (not
    ///    built at all when no target is given); a
    ///    package no edge of any kind reaches stays in scope (nothing says
    ///    it is not built), as does everything when the scope is everything;
    /// 4. a package is direct when an edge in scope leads to it from a root.
    pub(crate) fn scope(
        &mut self,
        roots: &[usize],
        scope: &Scope,
        active: Option<&ActiveEdges>,
    ) -> Scoped {
        let count = self.dependencies.len();
        for (from, edges) in self.dependencies.iter_mut().enumerate() {
            for edge in edges {
                let (kept, beyond_dev) = match active {
                    Some(active) => match active.get(&(from, edge.to)) {
                        Some(&beyond_dev) => (true, beyond_dev),
                        None => (false, false),
                    },
                    None => (true, edge.beyond_dev()),
                };
                edge.in_scope = kept && (!scope.exclude_dev || beyond_dev);
            }
        }
        let (reached, parents) = self.search(roots, |_, edge| edge.in_scope);
        let mut out_of_scope = vec![None; count];
        if !scope.is_everything() {
            let with_dev = active.map_or_else(
                || self.search(roots, |_, _| true).0,
                |active| {
                    self.search(roots, |from, edge| active.contains_key(&(from, edge.to)))
                        .0
                },
            );
            let (anywhere, all_parents) = self.search(roots, |_, _| true);
            for index in 0..count {
                if reached[index] || !anywhere[index] {
                    continue;
                }
                out_of_scope[index] = Some(if scope.exclude_dev && with_dev[index] {
                    OutOfScope::DevOnly
                } else if scope.targets.is_empty() {
                    OutOfScope::NotBuilt
                } else {
                    OutOfScope::OtherPlatforms {
                        targets: scope.targets.clone(),
                    }
                });
            }
            self.all_parents = all_parents;
        } else {
            self.all_parents = Vec::new();
        }
        // Packages kept in scope without being reached keep their edges.
        for (from, edges) in self.dependencies.iter_mut().enumerate() {
            if out_of_scope[from].is_some() {
                for edge in edges {
                    edge.in_scope = false;
                }
            }
        }
        let mut direct = vec![false; count];
        let mut is_root = vec![false; count];
        for &root in roots {
            is_root[root] = true;
        }
        for &root in roots {
            for edge in &self.dependencies[root] {
                if edge.in_scope && !is_root[edge.to] {
                    direct[edge.to] = true;
                }
            }
        }
        let dev_only = self.dev_only(roots, &reached);
        self.parents = parents;
        Scoped {
            out_of_scope,
            direct,
            dev_only,
        }
    }

    /// Which of the packages `reached` in scope only dev-dependencies bring
    /// in: those a search over the edges in scope beyond dev-dependencies
    /// does not reach. An edge of unknown kind counts as beyond dev.
    fn dev_only(&self, roots: &[usize], reached: &[bool]) -> Vec<bool> {
        let (beyond_dev, _) = self.search(roots, |_, edge| edge.in_scope && edge.beyond_dev());
        reached
            .iter()
            .zip(beyond_dev)
            .map(|(&reached, beyond_dev)| reached && !beyond_dev)
            .collect()
    }

    /// A breadth-first search from `roots` over the edges `follow` accepts:
    /// which packages it reaches, and the parent of each on a shortest path.
    fn search(
        &self,
        roots: &[usize],
        follow: impl Fn(usize, &Edge) -> bool,
    ) -> (Vec<bool>, Vec<u32>) {
        let count = self.dependencies.len();
        let mut reached = vec![false; count];
        let mut parents = vec![NONE; count];
        let mut queue = VecDeque::with_capacity(count);
        for &root in roots {
            if !reached[root] {
                reached[root] = true;
                queue.push_back(root);
            }
        }
        while let Some(from) = queue.pop_front() {
            for edge in &self.dependencies[from] {
                if !reached[edge.to] && follow(from, edge) {
                    reached[edge.to] = true;
                    parents[edge.to] = from as u32;
                    queue.push_back(edge.to);
                }
            }
        }
        (reached, parents)
    }

    /// The shortest path from a workspace member to `index`, both included:
    /// over the edges in scope, else (for a package outside the scope) over
    /// every edge. Just `[index]` for a member, empty when nothing leads to it.
    pub(crate) fn path_to(&self, index: usize, is_root: impl Fn(usize) -> bool) -> Vec<usize> {
        if is_root(index) {
            return vec![index];
        }
        for parents in [&self.parents, &self.all_parents] {
            if parents.get(index).is_some_and(|&p| p != NONE) {
                let mut path = vec![index];
                let mut at = index;
                while parents[at] != NONE && path.len() <= parents.len() {
                    at = parents[at] as usize;
                    path.push(at);
                }
                path.reverse();
                return path;
            }
        }
        Vec::new()
    }

    /// Up to `limit` paths from a workspace member to `index` (shortest
    /// first), and how many there are in all (saturating). A path starts at
    /// the member nearest the package: no other member lies on it. It
    /// follows the edges in scope, or every edge for a package outside the
    /// scope.
    ///
    /// Counting takes one pass over the packages that lead to `index`;
    /// listing stops after `limit` paths.
    pub(crate) fn paths_to(
        &self,
        index: usize,
        limit: usize,
        is_root: impl Fn(usize) -> bool,
    ) -> (Vec<Vec<usize>>, u64) {
        if is_root(index) {
            return (vec![vec![index]], 1);
        }
        let in_scope = self.parents.get(index).is_some_and(|&p| p != NONE);
        let dependents = self.dependents(|edge| !in_scope || edge.in_scope);
        let counts = count_paths(index, &dependents, &is_root);
        let total = counts[&index];
        let mut paths: Vec<Vec<usize>> = Vec::new();
        let shortest = self.path_to(index, &is_root);
        if !shortest.is_empty() {
            paths.push(shortest);
        }
        list_paths(index, limit, &dependents, &counts, &is_root, &mut paths);
        paths.sort_by_key(Vec::len);
        (paths, total)
    }

    /// For each package, the packages that depend on it through an edge
    /// `follow` accepts.
    fn dependents(&self, follow: impl Fn(&Edge) -> bool) -> Vec<Vec<usize>> {
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); self.dependencies.len()];
        for (from, edges) in self.dependencies.iter().enumerate() {
            for edge in edges.iter().filter(|e| follow(e)) {
                dependents[edge.to].push(from);
            }
        }
        dependents
    }
}

/// A package being counted whose count is not known yet.
const OPEN: u64 = u64::MAX;

/// The number of paths from a member to each package that leads to
/// `index` (saturating), counted depth first from `index` toward the
/// members. A dependency cycle (possible only through dev-dependencies) is
/// cut where it closes.
fn count_paths(
    index: usize,
    dependents: &[Vec<usize>],
    is_root: impl Fn(usize) -> bool,
) -> HashMap<usize, u64> {
    let mut counts: HashMap<usize, u64> = HashMap::new();
    let mut stack: Vec<(usize, usize)> = vec![(index, 0)];
    counts.insert(index, OPEN);
    while let Some(&mut (node, ref mut next)) = stack.last_mut() {
        if is_root(node) && node != index {
            counts.insert(node, 1);
            stack.pop();
            continue;
        }
        if let Some(&dependent) = dependents[node].get(*next) {
            *next += 1;
            if let std::collections::hash_map::Entry::Vacant(entry) = counts.entry(dependent) {
                entry.insert(OPEN);
                stack.push((dependent, 0));
            }
            continue;
        }
        let total = dependents[node]
            .iter()
            .map(|d| match counts[d] {
                OPEN => 0,
                n => n,
            })
            .fold(0u64, u64::saturating_add);
        counts.insert(node, if is_root(node) { 1 } else { total });
        stack.pop();
    }
    counts
}

/// Add to `paths` the paths from a member to `index` (each once) until
/// there are `limit`: depth first toward the members, only through
/// packages some path starts from (`counts`).
fn list_paths(
    index: usize,
    limit: usize,
    dependents: &[Vec<usize>],
    counts: &HashMap<usize, u64>,
    is_root: impl Fn(usize) -> bool,
    paths: &mut Vec<Vec<usize>>,
) {
    let mut walk: Vec<(usize, usize)> = vec![(index, 0)];
    let mut on_path = vec![false; dependents.len()];
    on_path[index] = true;
    while paths.len() < limit {
        let Some(&(node, next)) = walk.last() else {
            break;
        };
        if is_root(node) && walk.len() > 1 {
            let path: Vec<usize> = walk.iter().rev().map(|(n, _)| *n).collect();
            if !paths.contains(&path) {
                paths.push(path);
            }
            on_path[node] = false;
            walk.pop();
            continue;
        }
        match dependents[node].get(next).copied() {
            Some(dependent) => {
                if let Some(top) = walk.last_mut() {
                    top.1 += 1;
                }
                let leads = counts.get(&dependent).is_some_and(|&n| n != 0 && n != OPEN);
                if leads && !on_path[dependent] {
                    on_path[dependent] = true;
                    walk.push((dependent, 0));
                }
            }
            None => {
                on_path[node] = false;
                walk.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(to: usize, kind: DepKind, platform: Option<&str>) -> Edge {
        Edge {
            to,
            uses: vec![DepUse {
                kind,
                platform: platform.map(str::to_string),
            }],
            in_scope: false,
        }
    }

    /// 0 app (member) → 1 serde, 2 tokio; tokio → 3 windows-sys on
    /// windows, 4 libc on unix; app dev → 5 proptest → 6 rand → 4 libc.
    fn sample() -> Graph {
        use DepKind::*;
        Graph::new(
            GraphOrigin::Metadata,
            vec![
                vec![
                    edge(1, Normal, None),
                    edge(2, Normal, None),
                    edge(5, Dev, None),
                ],
                vec![],
                vec![
                    edge(3, Normal, Some("cfg(windows)")),
                    edge(4, Normal, Some("cfg(unix)")),
                ],
                vec![],
                vec![],
                vec![edge(6, Normal, None)],
                vec![edge(4, Normal, None)],
            ],
        )
    }

    #[test]
    fn everything_is_in_scope_by_default_and_paths_are_shortest() {
        let mut graph = sample();
        let scoped = graph.scope(&[0], &Scope::default(), None);
        assert!(scoped.out_of_scope.iter().all(Option::is_none));
        assert_eq!(
            scoped.direct,
            [false, true, true, false, false, true, false]
        );
        let root = |i| i == 0;
        assert_eq!(graph.path_to(4, root), [0, 2, 4]);
        assert_eq!(graph.path_to(6, root), [0, 5, 6]);
        assert_eq!(graph.path_to(0, root), [0]);
        let (paths, total) = graph.paths_to(4, 10, root);
        assert_eq!(total, 2);
        assert_eq!(paths, [vec![0, 2, 4], vec![0, 5, 6, 4]]);
    }

    #[test]
    fn dev_only_and_other_platforms_are_out_of_scope_with_their_reason() {
        let mut graph = sample();
        // The view of one unix target: windows-sys is not built there.
        let active: ActiveEdges = [
            ((0, 1), true),
            ((0, 2), true),
            ((0, 5), false),
            ((2, 4), true),
            ((5, 6), true),
            ((6, 4), true),
        ]
        .into_iter()
        .collect();
        let scope = Scope {
            targets: vec!["x86_64-unknown-linux-gnu".into()],
            exclude_dev: true,
        };
        let scoped = graph.scope(&[0], &scope, Some(&active));
        let reasons: Vec<Option<&str>> = scoped
            .out_of_scope
            .iter()
            .map(|o| {
                o.as_ref().map(|o| match o {
                    OutOfScope::DevOnly => "dev",
                    OutOfScope::OtherPlatforms { .. } => "platform",
                    OutOfScope::NotBuilt => "not built",
                })
            })
            .collect();
        assert_eq!(
            reasons,
            [
                None,
                None,
                None,
                Some("platform"),
                None,
                Some("dev"),
                Some("dev")
            ]
        );
        assert!(
            !scoped.direct[5],
            "a dev-only package is not a direct dependency in scope"
        );
        assert!(scoped.dev_only.iter().all(|d| !d), "{:?}", scoped.dev_only);
        // With dev-dependencies in scope, the same packages are dev-only.
        let everything = sample().scope(&[0], &Scope::default(), None);
        let dev_only: Vec<usize> = (0..everything.dev_only.len())
            .filter(|&i| everything.dev_only[i])
            .collect();
        assert_eq!(dev_only, [5, 6]);
        let root = |i| i == 0;
        // libc is reached through tokio in scope, not through proptest.
        assert_eq!(graph.path_to(4, root), [0, 2, 4]);
        let (paths, total) = graph.paths_to(4, 10, root);
        assert_eq!((paths, total), (vec![vec![0, 2, 4]], 1));
        // Out of scope: the path over every edge explains why it is locked.
        assert_eq!(graph.path_to(3, root), [0, 2, 3]);
        assert_eq!(graph.path_to(6, root), [0, 5, 6]);
    }

    #[test]
    fn paths_are_counted_without_listing_them_all() {
        // A ladder: 0 → {1, 2} → 3 → {4, 5} → 6 → … : 2^k paths to the end.
        let rungs = 30;
        let mut dependencies = Vec::new();
        for rung in 0..rungs {
            let base = rung * 3;
            dependencies.push(vec![
                edge(base + 1, DepKind::Normal, None),
                edge(base + 2, DepKind::Normal, None),
            ]);
            dependencies.push(vec![edge(base + 3, DepKind::Normal, None)]);
            dependencies.push(vec![edge(base + 3, DepKind::Normal, None)]);
        }
        dependencies.push(vec![]);
        let end = dependencies.len() - 1;
        let mut graph = Graph::new(GraphOrigin::Lockfile, dependencies);
        graph.scope(&[0], &Scope::default(), None);
        let (paths, total) = graph.paths_to(end, 5, |i| i == 0);
        assert_eq!(total, 1 << rungs);
        assert_eq!(paths.len(), 5);
        assert!(paths.iter().all(|p| p.len() == 2 * rungs + 1 && p[0] == 0));
    }

    #[test]
    fn a_dev_cycle_through_a_member_ends_at_the_nearest_member() {
        // 0 (member) → 1 (member) → 2; 2 → 0 through a dev cycle is cut.
        let mut graph = Graph::new(
            GraphOrigin::Metadata,
            vec![
                vec![edge(1, DepKind::Normal, None)],
                vec![edge(2, DepKind::Dev, None)],
                vec![edge(1, DepKind::Normal, None)],
            ],
        );
        let roots = [0, 1];
        graph.scope(&roots, &Scope::default(), None);
        let root = |i| roots.contains(&i);
        assert_eq!(graph.path_to(2, root), [1, 2]);
        let (paths, total) = graph.paths_to(2, 10, root);
        assert_eq!((paths, total), (vec![vec![1, 2]], 1));
    }
}
