# Builds the site (the server binary and the browser bundle) with plain cargo,
# the wasm-bindgen CLI and, for release, wasm-opt. Sourced by lib.sh.
#
# Why not cargo-leptos: on a fresh machine installing it took 11-28 minutes
# (swc, lightningcss, cargo-generate with a vendored OpenSSL...), longer than
# building Shipwatch itself, for the five steps below.
#
#   target/<profile>/server          the server (cargo build -p server)
#   <site root>/pkg/shipwatch.<hash>.{js,wasm,css}
#                                    the bundles (one per page kind in
#                                    release, see bundle_names): wasm-bindgen's
#                                    output, the stylesheet, precompressed
#                                    (.br, .gz); in release also wasm-opt'ed
#   <site root>/*                    the files of public/ (the stream worker,
#                                    the icon)
#   target/<profile>/hash.<bundle>.txt  the hashes, read by Leptos beside the
#                                    server binary to name a page's bundle
#                                    (hash.txt: the shell's)
#
# The names carry a hash of the content so the server can let browsers keep
# them for a year (server/src/routes/assets.rs).

# The browser bundles (app/src/bundles.rs): in release one per
# `bundle-<name>` feature of app/, each with only its pages' islands; in
# debug one with every island, named for every bundle.
bundle_names() {
  sed -n 's/^bundle-\([a-z]*\) = .*/\1/p' app/Cargo.toml
}

# Compiles the browser bundles and installs them in $2 (a site root), writing
# the hash files $3 (the shell's) and, beside it, hash.<bundle>.txt for each
# bundle. $1: debug or release.
#
# Pipelined: while cargo compiles one release bundle (one LLVM unit, so one
# core), the previous one goes through wasm-bindgen and wasm-opt on the other
# core. A bundle whose wasm did not change is not finished again: its
# finished files are kept under target/front/finished, by the compiled
# wasm's checksum (wasm-opt alone takes most of a minute per bundle).
build_bundle() {
  local profile="$1" site_root="$2" hash_file="$3"
  local cargo_profile=dev out_dir=debug stage=target/front/stage
  local compiled=target/front/bundles/$1 finished=target/front/finished/$1
  local names builds
  names="$(bundle_names)"
  builds="all"
  if [ "$profile" = release ]; then
    cargo_profile=wasm-release out_dir=wasm-release builds="$names"
    ensure_wasm_opt
  fi
  mkdir -p "$compiled" "$finished"
  local build features finishing=""
  for build in $builds; do
    features=()
    [ "$build" = all ] || features=(--features "app/bundle-$build")
    step "compiling the browser bundle ($profile, wasm32${features:+, $build})"
    # target/front: the wasm build's host-side build scripts and proc macros
    # differ from the server's; a directory of its own keeps both warm.
    with_progress "the browser bundle did not compile (see above)" \
      cargo build -p frontend --lib --target wasm32-unknown-unknown --target-dir target/front \
      --profile "$cargo_profile" "${features[@]}"
    cp "target/front/wasm32-unknown-unknown/$out_dir/frontend.wasm" "$compiled/$build.wasm"
    # One bundle finishing at a time, beside the next one's compilation.
    [ -z "$finishing" ] || wait "$finishing" || fail "finishing a browser bundle failed (see above)"
    finish_bundle "$profile" "$compiled/$build.wasm" "$finished/$build" &
    finishing=$!
  done
  wait "$finishing" || fail "finishing a browser bundle failed (see above)"

  # Unchanged bundles, already in place: nothing to redo.
  local stamp="${hash_file%.txt}.built-from" built_from
  built_from="$(find public -type f -print0 | sort -z | xargs -0 md5sum \
    $(for build in $builds; do printf '%s ' "$finished/$build/source.md5"; done) style/main.css | md5sum | cut -c1-32)"
  built_from+=" $site_root"
  if [ -f "$hash_file" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$built_from" ]; then
    return 0
  fi
  rm -rf "$stage"
  mkdir -p "$stage/pkg"
  cp style/main.css "$stage/pkg/shipwatch.css"
  local css_hash
  css_hash="$(content_hash "$stage/pkg/shipwatch.css")"
  mv "$stage/pkg/shipwatch.css" "$stage/pkg/shipwatch.$css_hash.css"
  local ext hash lines
  for build in $builds; do
    lines=""
    for ext in js wasm; do
      hash="$(content_hash "$finished/$build/shipwatch.$ext")"
      cp "$finished/$build/shipwatch.$ext" "$stage/pkg/shipwatch.$hash.$ext"
      lines+="$ext: $hash"$'\n'
    done
    lines+="css: $css_hash"$'\n'
    printf '%s' "$lines" >"$stage/$build.hash"
  done
  # Without node (it comes with npm, which the tests need) a debug bundle is
  # compressed per request by the server instead.
  if [ "$profile" = release ]; then
    quietly "could not precompress the bundle" node scripts/precompress.mjs "$stage/pkg"
  elif command -v node >/dev/null; then
    quietly "could not precompress the bundle" node scripts/precompress.mjs --fast "$stage/pkg"
  fi

  # A clean site root: a stale file left beside the new ones (a .br copy of
  # an old worker script, say) would be served instead of them.
  rm -rf "$site_root"
  mkdir -p "$site_root" "$(dirname "$hash_file")"
  mv "$stage/pkg" "$site_root/pkg"
  cp -R public/. "$site_root/"
  local name from
  for name in $names; do
    from="$stage/$name.hash"
    [ "$profile" = release ] || from="$stage/all.hash"
    cp "$from" "${hash_file%.txt}.$name.txt"
  done
  cp "${hash_file%.txt}.shell.txt" "$hash_file"
  printf '%s\n' "$built_from" >"$stamp"
}

# Turns a compiled bundle ($2) into what browsers load, in the directory $3:
# shipwatch.js and shipwatch.wasm (wasm-bindgen's output; for release ($1)
# also optimised for size by wasm-opt), and source.md5, the checksum of the
# wasm they were made from, written last. Nothing to do when that checksum
# is already the compiled wasm's.
finish_bundle() {
  local profile="$1" wasm="$2" out="$3" source
  source="$(md5sum <"$wasm" | cut -c1-32)"
  [ "$(cat "$out/source.md5" 2>/dev/null)" = "$source" ] && return 0
  rm -rf "$out"
  mkdir -p "$out"
  quietly "wasm-bindgen failed on the bundle" \
    wasm-bindgen --target web --no-typescript --out-name shipwatch --out-dir "$out" "$wasm"
  # Leptos's hydration script asks for <name>.wasm, not wasm-bindgen's <name>_bg.wasm.
  mv "$out/shipwatch_bg.wasm" "$out/shipwatch.wasm"
  if [ "$profile" = release ]; then
    step "optimising $(basename "$out") for size (wasm-opt -Oz; beside the next compilation)"
    with_progress "wasm-opt failed on the bundle" \
      wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$out/shipwatch.wasm" -o "$out/shipwatch.wasm"
  fi
  printf '%s\n' "$source" >"$out/source.md5"
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
