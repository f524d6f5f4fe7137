# Builds the site (the server binary and the browser bundle) with plain cargo,
# the wasm-bindgen CLI and, for release, wasm-opt. Sourced by lib.sh.
#
# Why not cargo-leptos: on a fresh machine installing it took 11-28 minutes
# (swc, lightningcss, cargo-generate with a vendored OpenSSL...), longer than
# building Shipwatch itself, for the five steps below.
#
#   target/<profile>/server          the server (cargo build -p server)
#   <site root>/pkg/shipwatch.<hash>.{js,wasm,css}
#                                    the bundle: wasm-bindgen's output, the
#                                    stylesheet, precompressed (.br, .gz);
#                                    in release also wasm-opt'ed
#   <site root>/*                    the files of public/ (the stream worker,
#                                    the icon)
#   target/<profile>/hash.txt        the hashes, read by Leptos beside the
#                                    server binary to name the bundle in pages
#
# The names carry a hash of the content so the server can let browsers keep
# them for a year (server/src/routes/assets.rs).

# Compiles the browser bundle and installs it in $2 (a site root), writing the
# hash file $3. $1: debug or release.
build_bundle() {
  local profile="$1" site_root="$2" hash_file="$3"
  local cargo_profile=dev out_dir=debug stage=target/front/stage
  if [ "$profile" = release ]; then
    cargo_profile=wasm-release out_dir=wasm-release
    ensure_wasm_opt
  fi
  step "compiling the browser bundle ($profile, wasm32)"
  # target/front: the wasm build's host-side build scripts and proc macros
  # differ from the server's; a directory of its own keeps both warm.
  with_progress "the browser bundle did not compile (see above)" \
    cargo build -p frontend --lib --target wasm32-unknown-unknown --target-dir target/front \
    --profile "$cargo_profile"
  # Unchanged wasm, bundle in place: nothing to redo (wasm-opt alone takes
  # most of a minute).
  local input="target/front/wasm32-unknown-unknown/$out_dir/frontend.wasm"
  local stamp="${hash_file%.txt}.built-from" built_from
  built_from="$(find public -type f -print0 | sort -z | xargs -0 md5sum "$input" style/main.css | md5sum | cut -c1-32)"
  built_from+=" $site_root"
  if [ -f "$hash_file" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$built_from" ]; then
    return 0
  fi
  rm -rf "$stage"
  mkdir -p "$stage"
  quietly "wasm-bindgen failed on the bundle" \
    wasm-bindgen --target web --no-typescript --out-name shipwatch --out-dir "$stage" \
    "$input"
  # Leptos's hydration script asks for <name>.wasm, not wasm-bindgen's <name>_bg.wasm.
  mv "$stage/shipwatch_bg.wasm" "$stage/shipwatch.wasm"
  if [ "$profile" = release ]; then
    step "optimising the bundle for size (wasm-opt -Oz, about a minute)"
    with_progress "wasm-opt failed on the bundle" \
      wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$stage/shipwatch.wasm" -o "$stage/shipwatch.wasm"
  fi
  cp style/main.css "$stage/shipwatch.css"

  local lines="" ext hash
  for ext in js wasm css; do
    hash="$(content_hash "$stage/shipwatch.$ext")"
    mv "$stage/shipwatch.$ext" "$stage/shipwatch.$hash.$ext"
    lines+="$ext: $hash"$'\n'
  done
  # Without node (it comes with npm, which the tests need) a debug bundle is
  # compressed per request by the server instead.
  if [ "$profile" = release ]; then
    quietly "could not precompress the bundle" node scripts/precompress.mjs "$stage"
  elif command -v node >/dev/null; then
    quietly "could not precompress the bundle" node scripts/precompress.mjs --fast "$stage"
  fi

  # A clean site root: a stale file left beside the new ones (a .br copy of
  # an old worker script, say) would be served instead of them.
  rm -rf "$site_root"
  mkdir -p "$site_root" "$(dirname "$hash_file")"
  mv "$stage" "$site_root/pkg"
  cp -R public/. "$site_root/"
  printf '%s' "$lines" >"$hash_file"
  printf '%s\n' "$built_from" >"$stamp"
}

# The base64url MD5 of a file, 22 characters: the hash in a bundle file's name
# (what assets.rs recognises as content-addressed).
content_hash() {
  local hex
  hex="$(md5sum "$1" | cut -c1-32)"
  # shellcheck disable=SC2059 # the format is the digest as \x escapes
  printf "$(sed 's/../\\x&/g' <<<"$hex")" | base64 | tr '+/' '-_' | tr -d '=\n'
}

# $1: debug or release.
build_server() {
  local flags=()
  [ "$1" = release ] && flags=(--release)
  step "compiling the server ($1)"
  with_progress "the server did not compile (see above)" cargo build -p server "${flags[@]}"
}

# The debug site: target/debug/server, target/site.
build_site() {
  build_server debug
  build_bundle debug target/site target/debug/hash.txt
}

# The release site (what users should get): target/release/server and a
# bundle optimised for size and precompressed, in target/site-release.
build_release_site() {
  build_server release
  build_bundle release target/site-release target/release/hash.txt
}

# The release bundle alone, for the debug server to serve (same code, same cfg
# flags, so the same HTML to hydrate): what scripts/test checks in a browser,
# without a release build of the server.
build_release_bundle() {
  build_bundle release target/site-release target/release/hash.txt
}
