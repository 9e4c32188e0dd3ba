//! Write the `bundle` target's seeds into `fuzz/seeds/bundle/`: each minted
//! bundle alone, both as JSON lines, and both in GitHub's attestations API
//! shape.
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example gen-seeds
//! ```

use cargo_verify_provenance_fuzz::bundle_seed_requests;

fn main() -> std::io::Result<()> {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/bundle");
    std::fs::create_dir_all(&folder)?;
    let mut lines = Vec::new();
    for (instance, request) in bundle_seed_requests() {
        let minted = instance.mint(&request);
        std::fs::write(folder.join(minted.file_name()), minted.to_json())?;
        lines.push(minted.bundle.to_json().expect("a bundle serializes"));
    }
    std::fs::write(folder.join("both.jsonl"), lines.join("\n") + "\n")?;
    let attestations: Vec<String> = lines
        .iter()
        .map(|bundle| format!("{{\"bundle\":{bundle},\"repository_id\":1}}"))
        .collect();
    std::fs::write(
        folder.join("api-response.json"),
        format!("{{\"attestations\":[{}]}}\n", attestations.join(",")),
    )?;
    Ok(())
}
