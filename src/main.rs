fn main() {
    std::process::exit(cargo_verify_provenance::main());
}
