fn main() {
    // The migrations are embedded at compile time: rebuild when any of them changes.
    println!("cargo:rerun-if-changed=../migrations_sqlite");
}
