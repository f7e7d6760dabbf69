//! `processor`: wiring only until its issue lands (see README, "Status").

fn main() {
    eprintln!("processor: not built yet; see README \"Status\"");
    std::process::exit(1);
}
