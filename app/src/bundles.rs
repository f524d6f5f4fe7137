//! Which browser bundle a page loads. A bundle holds only the islands its
//! pages render, so the dashboard does not download the operator console's
//! code: each is the frontend built with one `bundle-<name>` feature of this
//! crate (the release build makes them all, `scripts/site.sh`), and each
//! page island says which bundle has it (`#[cfg_attr(..., island)]`). The
//! header's islands are in every bundle. A debug build has one bundle with
//! every island, served for every page.
//!
//! A page that loaded a bundle without one of its islands would stay
//! server-rendered HTML: the end-to-end tests, which run against the release
//! bundles too, fail on the warning Leptos logs then.

/// The bundle for a request path: the page's own, or the shell's (the
/// header's islands only) for pages with nothing else live.
pub fn for_path(path: &str) -> &'static str {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        [""] => "dashboard",
        ["shipments", _] => "shipment",
        ["operator"] => "console",
        ["admin"] => "admin",
        ["settings"] => "settings",
        ["track", _] => "tracking",
        _ => "shell",
    }
}

/// The hash file naming `bundle`'s files, beside `default` (the whole site's,
/// `hash.txt`): `hash.dashboard.txt`.
pub fn hash_file(default: &str, bundle: &str) -> String {
    let stem = default.strip_suffix(".txt").unwrap_or(default);
    format!("{stem}.{bundle}.txt")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_loads_a_bundle_the_build_makes() {
        let features = include_str!("../Cargo.toml");
        for path in [
            "/",
            "/shipments/SW1",
            "/operator",
            "/operator/imports/3",
            "/admin",
            "/settings",
            "/track/abc",
            "/track",
            "/notifications",
            "/login",
            "/nowhere/at/all",
        ] {
            let bundle = for_path(path);
            assert!(
                features.contains(&format!("\nbundle-{bundle} = [\"bundle\"]")),
                "{path} loads {bundle}, which app/Cargo.toml does not define"
            );
        }
        assert_eq!(for_path("/"), "dashboard");
        assert_eq!(for_path("/shipments/SW1"), "shipment");
        assert_eq!(for_path("/operator/imports/3"), "shell");
        assert_eq!(for_path("/track"), "shell");
    }

    #[test]
    fn a_bundle_has_its_own_hash_file() {
        assert_eq!(hash_file("hash.txt", "dashboard"), "hash.dashboard.txt");
        assert_eq!(
            hash_file("../release/hash.txt", "shell"),
            "../release/hash.shell.txt"
        );
    }
}
