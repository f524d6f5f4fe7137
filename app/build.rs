//! `sqlx::migrate!` embeds the migrations when `app` compiles; cargo does not
//! know it read them. Without this, editing or adding a migration left an
//! older set in the binary until some source file of `app` changed too.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
