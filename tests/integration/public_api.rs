//! The crate's public API, read from `src/` and compared with the committed
//! listing `docs/public-api.txt`, so that a change to it shows in review.
//!
//! The listing names every item a user of the library can reach (the
//! `testkit` module aside: test support, not part of the API), each at its
//! public path, with its signature: functions and methods, a struct's public
//! fields, an enum's variants, constants, traits and the traits a type
//! implements. Every item is reachable by one path only.
//!
//! After a deliberate change, rewrite the listing with
//! `CVP_UPDATE_PUBLIC_API=1 cargo test --all-features --test integration public_api`
//! and review its diff.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::{Attribute, Fields, Item, UseTree, Visibility};

/// One module of the crate, with the items it holds.
struct Module {
    /// Declared `pub` itself and every module above it: its items can be reached.
    reachable: bool,
    /// The feature the module (or one above it) is behind.
    feature: Option<String>,
    items: Vec<Item>,
}

/// Every module of the crate by path (`""` for the crate root, `run`,
/// `policy::parse`), the `testkit` module aside.
fn modules() -> BTreeMap<String, Module> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    load(
        &root.join("lib.rs"),
        &root,
        String::new(),
        (true, None),
        &mut modules,
    );
    modules
}

/// Whether a `#[cfg(…)]` holds in a test build with every feature on, Unix.
fn cfg_holds(meta: &syn::Meta) -> bool {
    match meta {
        syn::Meta::Path(path) => path.is_ident("unix"),
        syn::Meta::NameValue(pair) => pair.path.is_ident("feature"),
        syn::Meta::List(list) => {
            let inner: Vec<syn::Meta> = list
                .parse_args_with(
                    syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
                )
                .unwrap()
                .into_iter()
                .collect();
            if list.path.is_ident("not") {
                !cfg_holds(&inner[0])
            } else if list.path.is_ident("all") {
                inner.iter().all(cfg_holds)
            } else {
                inner.iter().any(cfg_holds)
            }
        }
    }
}

/// Whether an item is compiled into the library (not a test, not for
/// another system), and the feature it needs when it is behind one.
fn compiled(attrs: &[Attribute]) -> (bool, Option<String>) {
    let mut feature = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("cfg")) {
        let meta: syn::Meta = attr.parse_args().unwrap();
        if let syn::Meta::NameValue(pair) = &meta {
            if pair.path.is_ident("feature") {
                if let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(name),
                    ..
                }) = &pair.value
                {
                    feature = Some(name.value());
                }
            }
        }
        if !cfg_holds(&meta) {
            return (false, None);
        }
    }
    (true, feature)
}

fn load(
    file: &Path,
    children: &Path,
    path: String,
    (reachable, feature): (bool, Option<String>),
    modules: &mut BTreeMap<String, Module>,
) {
    let text = std::fs::read_to_string(file).unwrap();
    let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    add(
        parsed.items,
        file,
        children,
        path,
        (reachable, feature),
        modules,
    );
}

fn add(
    items: Vec<Item>,
    file: &Path,
    children: &Path,
    path: String,
    (reachable, feature): (bool, Option<String>),
    modules: &mut BTreeMap<String, Module>,
) {
    for item in &items {
        let Item::Mod(module) = item else { continue };
        let (is_compiled, own_feature) = compiled(&module.attrs);
        let name = module.ident.to_string();
        if !is_compiled || (path.is_empty() && name == "testkit") {
            continue;
        }
        let child = join(&path, &name);
        let state = (
            reachable && is_public(&module.vis),
            own_feature.or_else(|| feature.clone()),
        );
        if let Some((_, inline)) = &module.content {
            let dir = children.join(&name);
            add(inline.clone(), file, &dir, child, state, modules);
            continue;
        }
        let explicit = module.attrs.iter().find_map(|a| match &a.meta {
            syn::Meta::NameValue(pair) if pair.path.is_ident("path") => match &pair.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        });
        let (source, grandchildren) = match explicit {
            Some(relative) => {
                let source = file.parent().unwrap().join(relative);
                let dir = source.with_extension("");
                (source, dir)
            }
            None if children.join(format!("{name}.rs")).is_file() => {
                (children.join(format!("{name}.rs")), children.join(&name))
            }
            None => (children.join(&name).join("mod.rs"), children.join(&name)),
        };
        load(&source, &grandchildren, child, state, modules);
    }
    modules.insert(
        path,
        Module {
            reachable,
            feature,
            items,
        },
    );
}

fn join(module: &str, name: &str) -> String {
    if module.is_empty() {
        name.to_string()
    } else {
        format!("{module}::{name}")
    }
}

fn parent(module: &str) -> String {
    module
        .rsplit_once("::")
        .map_or(String::new(), |(p, _)| p.to_string())
}

fn is_public(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

fn is_hidden(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("doc")
            && a.meta
                .require_list()
                .is_ok_and(|l| l.tokens.to_string() == "hidden")
    })
}

/// A definition: the module it is written in and its name there.
type Definition = (String, String);

/// One name a `use` brings into a module: `(alias, path, is_glob)`.
fn use_leaves(tree: &UseTree, prefix: &mut Vec<String>, out: &mut Vec<(String, Vec<String>)>) {
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_leaves(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) => {
            let mut path = prefix.clone();
            path.push(n.ident.to_string());
            let alias = if n.ident == "self" {
                prefix.last().cloned().unwrap_or_default()
            } else {
                n.ident.to_string()
            };
            if n.ident == "self" {
                path.pop();
            }
            out.push((alias, path));
        }
        UseTree::Rename(r) => {
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            out.push((r.rename.to_string(), path));
        }
        UseTree::Glob(_) => out.push(("*".to_string(), prefix.clone())),
        UseTree::Group(g) => {
            for tree in &g.items {
                use_leaves(tree, prefix, out);
            }
        }
    }
}

fn item_name(item: &Item) -> Option<String> {
    Some(
        match item {
            Item::Const(i) => &i.ident,
            Item::Enum(i) => &i.ident,
            Item::Fn(i) => &i.sig.ident,
            Item::Mod(i) => &i.ident,
            Item::Static(i) => &i.ident,
            Item::Struct(i) => &i.ident,
            Item::Trait(i) => &i.ident,
            Item::Type(i) => &i.ident,
            Item::Union(i) => &i.ident,
            _ => return None,
        }
        .to_string(),
    )
}

fn item_vis(item: &Item) -> Option<&Visibility> {
    Some(match item {
        Item::Const(i) => &i.vis,
        Item::Enum(i) => &i.vis,
        Item::Fn(i) => &i.vis,
        Item::Mod(i) => &i.vis,
        Item::Static(i) => &i.vis,
        Item::Struct(i) => &i.vis,
        Item::Trait(i) => &i.vis,
        Item::Type(i) => &i.vis,
        Item::Union(i) => &i.vis,
        Item::Use(i) => &i.vis,
        _ => return None,
    })
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        _ => &[],
    }
}

struct Crate {
    modules: BTreeMap<String, Module>,
}

impl Crate {
    /// The definition a path names from inside `module`; `None` outside the crate.
    fn resolve(&self, module: &str, path: &[String], depth: usize) -> Option<Definition> {
        if depth > 16 || path.is_empty() {
            return None;
        }
        let (mut at, mut rest) = match path[0].as_str() {
            "crate" => (String::new(), &path[1..]),
            "self" => (module.to_string(), &path[1..]),
            "super" => (parent(module), &path[1..]),
            _ => (module.to_string(), path),
        };
        while rest.first().is_some_and(|s| s == "super") {
            at = parent(&at);
            rest = &rest[1..];
        }
        let (last, walk) = rest.split_last()?;
        for segment in walk {
            match self.lookup(&at, segment, depth + 1) {
                Some((m, n)) if self.modules.contains_key(&join(&m, &n)) => at = join(&m, &n),
                _ => return None,
            }
        }
        self.lookup(&at, last, depth + 1)
    }

    /// The definition `name` stands for in `module`: an item written there,
    /// a child module, or a name a `use` brings in.
    fn lookup(&self, module: &str, name: &str, depth: usize) -> Option<Definition> {
        let items = &self.modules.get(module)?.items;
        if items
            .iter()
            .any(|item| !matches!(item, Item::Use(_)) && item_name(item).as_deref() == Some(name))
        {
            return Some((module.to_string(), name.to_string()));
        }
        let mut globs = Vec::new();
        for item in items {
            let Item::Use(used) = item else { continue };
            let mut leaves = Vec::new();
            use_leaves(&used.tree, &mut Vec::new(), &mut leaves);
            for (alias, path) in leaves {
                if alias == name {
                    return self.resolve(module, &path, depth);
                }
                if alias == "*" {
                    globs.push(path);
                }
            }
        }
        globs.into_iter().find_map(|path| {
            let (m, n) = self.resolve(module, &path, depth)?;
            self.lookup(&join(&m, &n), name, depth + 1)
        })
    }

    fn item(&self, (module, name): &Definition) -> Option<&Item> {
        self.modules[module]
            .items
            .iter()
            .find(|item| !matches!(item, Item::Use(_)) && item_name(item).as_deref() == Some(name))
    }

    /// Every public definition with the public paths it is reachable by,
    /// and the feature each path needs.
    fn public(&self) -> BTreeMap<Definition, Vec<(String, Option<String>)>> {
        let mut public: BTreeMap<Definition, Vec<(String, Option<String>)>> = BTreeMap::new();
        for (path, module) in self.modules.iter().filter(|(_, m)| m.reachable) {
            for item in &module.items {
                if !item_vis(item).is_some_and(is_public) || is_hidden(item_attrs(item)) {
                    continue;
                }
                let (is_compiled, own_feature) = compiled(item_attrs(item));
                let feature = own_feature.or_else(|| module.feature.clone());
                if !is_compiled {
                    continue;
                }
                if let Item::Use(used) = item {
                    let mut leaves = Vec::new();
                    use_leaves(&used.tree, &mut Vec::new(), &mut leaves);
                    for (alias, target) in leaves {
                        assert_ne!(alias, "*", "{path}: a glob re-export hides what is public");
                        let definition = self
                            .resolve(path, &target, 0)
                            .unwrap_or_else(|| ("<extern>".into(), target.join("::")));
                        public
                            .entry(definition)
                            .or_default()
                            .push((join(path, &alias), feature.clone()));
                    }
                } else if let Some(name) = item_name(item) {
                    if matches!(item, Item::Mod(_)) && path.is_empty() && name == "testkit" {
                        continue;
                    }
                    public
                        .entry((path.clone(), name.clone()))
                        .or_default()
                        .push((join(path, &name), feature));
                }
            }
        }
        public
    }

    /// Every `impl` block of the crate, with the module it is written in.
    fn impls(&self) -> impl Iterator<Item = (&String, &syn::ItemImpl)> {
        self.modules.iter().flat_map(|(path, module)| {
            module.items.iter().filter_map(move |item| match item {
                Item::Impl(block) if compiled(&block.attrs).0 => Some((path, block)),
                _ => None,
            })
        })
    }
}

/// Rust text on one line, as prettyplease writes it.
fn one_line(item: Item) -> String {
    let text = prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: vec![item],
    });
    let mut line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for (from, to) in [
        ("( ", "("),
        (", )", ")"),
        (" )", ")"),
        ("< ", "<"),
        (", >", ">"),
    ] {
        line = line.replace(from, to);
    }
    line
}

fn type_text(ty: &syn::Type) -> String {
    let line = one_line(syn::parse_quote!(type T = #ty;));
    line["type T = ".len()..line.len() - 1].to_string()
}

fn fn_text(sig: &syn::Signature) -> String {
    let mut sig = sig.clone();
    for input in sig.inputs.iter_mut() {
        if let syn::FnArg::Typed(pattern) = input {
            pattern.attrs.clear();
        }
    }
    let line = one_line(syn::parse_quote!(#sig {}));
    line.trim_end_matches(" {}").to_string()
}

/// The attributes of a type that belong to its API: `#[non_exhaustive]`
/// and what it derives.
fn type_attrs(attrs: &[Attribute]) -> String {
    let mut out = String::new();
    for attr in attrs {
        if attr.path().is_ident("non_exhaustive") {
            out.push_str(" #[non_exhaustive]");
        }
        if attr.path().is_ident("derive") {
            let list = attr.meta.require_list().unwrap();
            let names: Vec<String> = list
                .tokens
                .to_string()
                .split(',')
                .map(|s| s.split_whitespace().collect::<String>())
                .filter(|s| !s.is_empty())
                .collect();
            out.push_str(&format!(" derive({})", names.join(", ")));
        }
    }
    out
}

fn generics_text(generics: &syn::Generics) -> String {
    if generics.params.is_empty() {
        return String::new();
    }
    let line = one_line(syn::parse_quote!(struct S #generics;));
    line["struct S".len()..line.len() - 1].to_string()
}

fn fields_lines(path: &str, fields: &Fields, public_only: bool, lines: &mut Vec<String>) {
    for (index, field) in fields.iter().enumerate() {
        if public_only && !is_public(&field.vis) {
            continue;
        }
        let name = field
            .ident
            .as_ref()
            .map_or_else(|| index.to_string(), ToString::to_string);
        lines.push(format!("{path}::{name}: {}", type_text(&field.ty)));
    }
}

/// The lines of one public item at `path`.
fn item_lines(item: &Item, path: &str, lines: &mut Vec<String>) {
    match item {
        Item::Fn(f) => lines.push(format!("{path}: {}", fn_text(&f.sig))),
        Item::Const(c) => lines.push(format!("{path}: const {}", type_text(&c.ty))),
        Item::Static(s) => lines.push(format!("{path}: static {}", type_text(&s.ty))),
        Item::Type(t) => lines.push(format!(
            "{path}: type{} = {}",
            generics_text(&t.generics),
            type_text(&t.ty)
        )),
        Item::Mod(_) => lines.push(format!("{path}: mod")),
        Item::Struct(s) => {
            let hidden = s.fields.iter().any(|f| !is_public(&f.vis));
            lines.push(format!(
                "{path}: struct{}{}{}",
                generics_text(&s.generics),
                type_attrs(&s.attrs),
                if hidden { " (private fields)" } else { "" }
            ));
            fields_lines(path, &s.fields, true, lines);
        }
        Item::Enum(e) => {
            lines.push(format!(
                "{path}: enum{}{}",
                generics_text(&e.generics),
                type_attrs(&e.attrs)
            ));
            for variant in &e.variants {
                let at = format!("{path}::{}", variant.ident);
                let non_exhaustive = variant
                    .attrs
                    .iter()
                    .any(|a| a.path().is_ident("non_exhaustive"));
                lines.push(format!(
                    "{at}: variant{}",
                    if non_exhaustive {
                        " #[non_exhaustive]"
                    } else {
                        ""
                    }
                ));
                fields_lines(&at, &variant.fields, false, lines);
            }
        }
        Item::Trait(t) => {
            lines.push(format!("{path}: trait{}", generics_text(&t.generics)));
            for inner in &t.items {
                if let syn::TraitItem::Fn(f) = inner {
                    lines.push(format!("{path}::{}: {}", f.sig.ident, fn_text(&f.sig)));
                }
            }
        }
        other => lines.push(format!("{path}: {}", one_line(other.clone()))),
    }
}

/// The listing: one line per public item, field, variant, method and
/// trait implementation, sorted; and the definitions reachable by more
/// than one path.
fn listing() -> (Vec<String>, Vec<String>) {
    let krate = Crate { modules: modules() };
    let public = krate.public();
    let mut lines = Vec::new();
    let mut repeated = Vec::new();
    let mut type_paths: BTreeMap<Definition, String> = BTreeMap::new();
    for (definition, paths) in &public {
        if paths.len() > 1 {
            let names: Vec<&str> = paths.iter().map(|(p, _)| p.as_str()).collect();
            repeated.push(format!("{}: {}", definition.1, names.join(", ")));
        }
        let (path, feature) = &paths[0];
        let mut own = Vec::new();
        match krate
            .modules
            .contains_key(&definition.0)
            .then(|| krate.item(definition))
        {
            Some(Some(item)) => item_lines(item, path, &mut own),
            _ => own.push(format!("{path}: pub use {}", definition.1)),
        }
        if let Some(feature) = feature {
            for line in &mut own {
                line.push_str(&format!(" (feature {feature})"));
            }
        }
        lines.extend(own);
        type_paths.insert(definition.clone(), path.clone());
    }
    for (module, block) in krate.impls() {
        let syn::Type::Path(self_ty) = &*block.self_ty else {
            continue;
        };
        let segments: Vec<String> = self_ty
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let Some(path) = krate
            .resolve(module, &segments, 0)
            .and_then(|d| type_paths.get(&d))
        else {
            continue;
        };
        if let Some((_, trait_path, _)) = &block.trait_ {
            let mut header = block.clone();
            header.items.clear();
            header.attrs.clear();
            let text = one_line(Item::Impl(header));
            let _ = trait_path;
            lines.push(format!("{path}: {}", text.trim_end_matches(" {}")));
            continue;
        }
        for inner in &block.items {
            match inner {
                syn::ImplItem::Fn(f) if is_public(&f.vis) && !is_hidden(&f.attrs) => {
                    lines.push(format!("{path}::{}: {}", f.sig.ident, fn_text(&f.sig)));
                }
                syn::ImplItem::Const(c) if is_public(&c.vis) => {
                    lines.push(format!("{path}::{}: const {}", c.ident, type_text(&c.ty)));
                }
                _ => {}
            }
        }
    }
    lines.sort();
    lines.dedup();
    (lines, repeated)
}

fn listing_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/public-api.txt")
}

const HEADER: &str = "\
# The public API of the cargo_verify_provenance library, one line per item,
# field, variant, method and trait implementation, as read from src/ by
# tests/integration/public_api.rs (the testkit module, test support, aside).
# After a deliberate change: CVP_UPDATE_PUBLIC_API=1 cargo test --all-features --test integration public_api
";

#[test]
fn the_public_api_is_the_committed_listing() {
    let (lines, _) = listing();
    let text = format!("{HEADER}\n{}\n", lines.join("\n"));
    if std::env::var_os("CVP_UPDATE_PUBLIC_API").is_some() {
        std::fs::write(listing_file(), &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(listing_file()).unwrap_or_default();
    let committed: BTreeSet<&str> = committed
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    let actual: BTreeSet<&str> = lines.iter().map(String::as_str).collect();
    let added: Vec<&&str> = actual.difference(&committed).collect();
    let removed: Vec<&&str> = committed.difference(&actual).collect();
    assert!(
        added.is_empty() && removed.is_empty(),
        "the public API differs from docs/public-api.txt (rewrite it with CVP_UPDATE_PUBLIC_API=1 after a deliberate change)\nnew:\n  {}\ngone:\n  {}",
        added.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("\n  "),
        removed.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("\n  "),
    );
}

#[test]
fn every_public_item_is_reachable_by_one_path() {
    let (lines, repeated) = listing();
    // The reader must see the API it is about.
    for expected in [
        "run::collect: ",
        "run::RunConfig: struct",
        "report::Report: struct",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "{expected} not in the listing"
        );
    }
    assert!(
        repeated.is_empty(),
        "reachable by more than one path:\n  {}",
        repeated.join("\n  ")
    );
}
