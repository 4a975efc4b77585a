//! Rebuilds the host when a migration is added or changed: `sqlx::migrate!` embeds the
//! migration folders at compile time, and stable Rust cannot tell it to watch them.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
