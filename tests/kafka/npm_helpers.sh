# Shared by the npm client tests: require_npm_package installs a package once into a folder the tests share
# (under a lock: ctest -j may start two installs at once). Source it after serve_helpers.sh.

# require_npm_package NPM_DIR PACKAGE: skips (exit 77) when node or npm is missing, or when the package is
# neither there nor installable (no network).
require_npm_package() {
  local dir=$1 package=$2 lock
  command -v node > /dev/null || skip "node is not installed"
  mkdir -p "$dir"
  exec {lock}> "$dir/.install-lock"
  flock "$lock"
  if [[ ! -d "$dir/node_modules/$package" ]]; then
    command -v npm > /dev/null || skip "npm is not installed"
    timeout 180 npm install --prefix "$dir" --no-audit --no-fund "$package" > "$work/npm.log" 2>&1 ||
      skip "npm install $package failed: $(tail -3 "$work/npm.log")"
  fi
  exec {lock}>&-
}
