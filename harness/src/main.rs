//! The `corsprobe` binary.

fn main() {
    std::process::exit(corsprobe::cli::main());
}
