#!/usr/bin/env bash
# Make the pinned Pulumi engine available, also on a machine that reaches only package registries
# (issue 4; docs/engine.md says what works, what is refused and what it costs).
#
#   bash scripts/engine.sh              progress on stderr ("[engine] ..."), export lines on stdout
#   eval "$(bash scripts/engine.sh)"    the same, and put the engine on PATH of this shell
#   bash scripts/engine.sh --vendor-dir the directory of the vendored upstream sources it builds from (also
#                                       what the act harness takes the pinned actions from), and nothing else
#
# Order: (a) a `pulumi` of the pinned version already on PATH; (b) the official installer, if its
# host answers; (c) a build from Go modules (CLI, plus whatever other real piece the module proxy
# serves), cached by version; the github and random provider plugins are built from their upstream
# Terraform providers + Pulumi's terraform bridge by our wiring in providers/ (providers/README.md),
# cached by a hash of those sources, and installed with `pulumi plugin install`. Idempotent: a second
# run only checks the cache.
#
# Versions come from constraints.txt (pulumi==X, pulumi-github==X, pulumi-random==X,
# pulumiverse-vercel==X). Environment knobs:
#   ENGINE_PULUMI_VERSION overrides the pulumi pin (the CLI must match the `pulumi` Python SDK)
#   ENGINE_CACHE          cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/release-topology/engine)
#   ENGINE_RETRY_REFUSED  1: ask the module proxy again for pieces it refused on an earlier run
#   ENGINE_NO_OFFICIAL    1: do not try the official installer
#   ENGINE_JOBS           parallel compile jobs (go build -p), default: number of cores
#   ENGINE_VENDOR_DIR     folder of the vendored upstream sources (default ../shared/vendor beside the checkout,
#                         or beside the repository a clone came from)
#   PULUMI_HOME           where plugins are installed (Pulumi's own default: ~/.pulumi)
# Writes $ENGINE_CACHE/v<version>/status: one line per piece, "<piece> ok|refused|missing ...", and
# "schema-<provider> ok <path of the generated schema.json>" (tests/providers reads it).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
START=$SECONDS
log() { printf '[engine] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- versions
pin() {  # pin NAME DEFAULT
  local v=""
  if [ -f "$ROOT/constraints.txt" ]; then
    v=$(sed -n "s/^$1==\([^[:space:]#;]*\).*/\1/p" "$ROOT/constraints.txt" | head -n1)
  fi
  printf '%s' "${v:-$2}"
}
[ -f "$ROOT/constraints.txt" ] || log "no constraints.txt: using built-in default versions"
VER=${ENGINE_PULUMI_VERSION:-$(pin pulumi 3.259.0)}
GITHUB_VER=$(pin pulumi-github 6.15.0)
RANDOM_VER=$(pin pulumi-random 4.21.4)
VERCEL_VER=$(pin pulumiverse-vercel 5.21.1)
# The last sdk/v3 release that still ships the Python policy analyzer script (see docs/engine.md).
ANALYZER_SDK_VER=3.220.0

CACHE=${ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/release-topology/engine}
# Upstream sources the registries refuse (the language host, the Vercel provider): ../shared/vendor/README.md.
# A fresh clone elsewhere (CI) finds it beside the repository it was cloned from.
vendor_dir() {
  if [ -n "${ENGINE_VENDOR_DIR:-}" ]; then printf '%s' "$ENGINE_VENDOR_DIR"; return; fi
  local origin candidate
  origin=$(git -C "$ROOT" config --get remote.origin.url 2>/dev/null || true)
  origin=${origin#file://}
  for candidate in "$ROOT/../shared/vendor" ${origin:+"$origin/../shared/vendor"}; do
    if [ -d "$candidate" ]; then printf '%s' "$candidate"; return; fi
  done
  printf '%s' "$ROOT/../shared/vendor"
}
if [ "${1:-}" = "--vendor-dir" ]; then vendor_dir; echo; exit 0; fi
VENDOR=$(vendor_dir)
VDIR=$CACHE/v$VER
BIN=$VDIR/bin
REFUSED=$VDIR/refused
STATUS=$VDIR/status
PLUGINS=${PULUMI_HOME:-$HOME/.pulumi}/plugins
mkdir -p "$BIN" "$REFUSED" "$VDIR/src"

emit() {  # emit BINDIR [offline]
  printf 'export PATH="%s:$PATH"\n' "$1"
  printf 'export PULUMI_SKIP_UPDATE_CHECK=true\n'
  if [ "${2:-}" = offline ]; then
    printf 'export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true\n'
  fi
  log "done in $((SECONDS - START))s; put the engine on PATH with: export PATH=\"$1:\$PATH\""
}

# ---------------------------------------------------------------- (a) already on PATH
if command -v pulumi >/dev/null 2>&1; then
  onpath=$(command -v pulumi)
  case $onpath in
    "$CACHE"/*) ;;  # ours: fall through to the cache checks below
    *)
      if [ "$(pulumi version 2>/dev/null || true)" = "v$VER" ]; then
        log "pulumi v$VER already on PATH at $onpath: using it"
        emit "$(dirname "$onpath")"
        exit 0
      fi
      log "pulumi on PATH at $onpath is $(pulumi version 2>/dev/null || echo '?'), not v$VER: ignoring it"
      ;;
  esac
fi

# Serialise concurrent runs (a developer and a test run on one machine).
exec 9>"$CACHE/.lock"
flock 9

# ---------------------------------------------------------------- (b) official installer
OFFICIAL=$VDIR/official
if [ -x "$OFFICIAL/bin/pulumi" ] && [ "$("$OFFICIAL/bin/pulumi" version 2>/dev/null)" = "v$VER" ]; then
  log "official pulumi v$VER already installed in $OFFICIAL/bin"
  emit "$OFFICIAL/bin"
  exit 0
fi
if [ ! -x "$BIN/pulumi" ] && [ "${ENGINE_NO_OFFICIAL:-}" != 1 ]; then
  if curl -fsS -m 5 -o /dev/null https://get.pulumi.com/ 2>/dev/null; then
    log "official installer reachable: installing pulumi v$VER into $OFFICIAL"
    curl -fsSL -m 120 https://get.pulumi.com | sh -s -- --version "$VER" --install-root "$OFFICIAL" --no-edit-path >&2
    "$OFFICIAL/bin/pulumi" plugin install resource github "$GITHUB_VER" >&2
    "$OFFICIAL/bin/pulumi" plugin install resource random "$RANDOM_VER" >&2
    "$OFFICIAL/bin/pulumi" plugin install resource vercel "$VERCEL_VER" --server github://api.github.com/pulumiverse >&2
    emit "$OFFICIAL/bin"
    exit 0
  fi
  log "official installer unreachable (5 s check): building from Go modules"
fi

# ---------------------------------------------------------------- (c) build from Go modules
: >"$STATUS.new"
status() { printf '%s\n' "$*" >>"$STATUS.new"; }

need_go() {
  command -v go >/dev/null 2>&1 || die "the Go toolchain is needed to build the engine (Go >= 1.25)"
  command -v python3 >/dev/null 2>&1 || die "python3 is needed (to read go's JSON output)"
  export GOTOOLCHAIN=local   # never fetch another toolchain
}

jfield() {  # jfield FIELD < json  (prints "" if absent)
  python3 -c 'import json,sys
d=json.load(sys.stdin); v=d
for k in sys.argv[1].split("."):
    v=v.get(k,"") if isinstance(v,dict) else ""
print(v)' "$1"
}

fetch() {  # fetch MOD@VER -> JSON of `go mod download -json` on stdout; non-zero if refused
  local out rc=0 err
  err=$(mktemp)
  out=$(go mod download -json "$1" 2>"$err") || rc=$?
  if [ $rc != 0 ] && ! printf '%s' "$out" | grep -q '"Error"'; then
    # not a refusal of the module proxy (no JSON): wrap go's own message
    out=$(python3 -c 'import json,sys; print(json.dumps({"Error": sys.stdin.read().strip()}))' <"$err")
  fi
  rm -f "$err"
  printf '%s\n' "$out"
  return $rc
}

refuse() {  # refuse NAME "command" "output": remember a refusal and show it
  printf '$ %s\n%s\n' "$2" "$3" >"$REFUSED/$1"
  log "REFUSED $1: $2"
  log "  -> $(printf '%s' "$3" | tr '\n' ' ' | cut -c1-400)"
}

refused_before() {  # refused_before NAME: true if a past run recorded a refusal we should not retry
  [ -f "$REFUSED/$1" ] && [ "${ENGINE_RETRY_REFUSED:-}" != 1 ]
}

nonlocal_replaces() {  # nonlocal_replaces GOMOD_FILE: the replace lines whose target is a module version
  go mod edit -json "$1" | python3 -c 'import json,sys
for r in json.load(sys.stdin).get("Replace") or []:
    o,n=r["Old"],r["New"]
    if n.get("Version"):
        print("replace %s%s => %s %s" % (o["Path"], " "+o["Version"] if o.get("Version") else "", n["Path"], n["Version"]))'
}

tidy() {  # tidy DIR: resolve and download the wrapper's modules (go's download list goes to a log file)
  local t0=$SECONDS
  if ! (cd "$1" && go mod tidy) >"$1/tidy.log" 2>&1; then
    tail -n 20 "$1/tidy.log" >&2
    die "go mod tidy failed in $1 (log: $1/tidy.log)"
  fi
  log "modules for $(basename "$1") resolved and downloaded in $((SECONDS - t0))s ($(grep -c '^go: downloading' "$1/tidy.log" || true) downloaded)"
}

build() {  # build DIR OUT PKG LDFLAGS: go build with the release flags, atomically into OUT
  local t0=$SECONDS
  (cd "$1" && nice -n 10 go build -p "${ENGINE_JOBS:-$(nproc)}" -trimpath -buildvcs=false \
     -tags osusergo,grpcnotrace -ldflags "-s -w $4" -o "$2.tmp" "$3") || return 1
  mv -f "$2.tmp" "$2" || return 1
  log "built $(basename "$2") in $((SECONDS - t0))s"
}

VERSION_X="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$VER"
PKG=github.com/pulumi/pulumi/pkg/v3
SDK=github.com/pulumi/pulumi/sdk/v3

# -- the CLI
if [ -x "$BIN/pulumi" ] && [ "$("$BIN/pulumi" version 2>/dev/null)" = "v$VER" ]; then
  log "pulumi v$VER: cached in $BIN"
else
  need_go
  log "pulumi v$VER: fetching $PKG@v$VER and its dependencies"
  if ! pj=$(fetch "$PKG@v$VER"); then
    refuse pulumi "go mod download -json $PKG@v$VER" "$(printf '%s' "$pj" | jfield Error)"
    status "pulumi refused (see $REFUSED/pulumi)"
    mv -f "$STATUS.new" "$STATUS"
    die "the pulumi CLI v$VER cannot be built here; pin a pulumi version whose $PKG zip the module proxy serves (docs/engine.md)"
  fi
  PKG_GOMOD=$(printf '%s' "$pj" | jfield GoMod)
  GOLINE=$(go mod edit -json "$PKG_GOMOD" | jfield Go)
  W=$VDIR/src/cli
  mkdir -p "$W"
  {
    printf 'module example.invalid/pulumi-cli-build\n\ngo %s\n\n' "$GOLINE"
    printf 'require (\n\t%s v%s\n\t%s v%s\n)\n\n' "$PKG" "$VER" "$SDK" "$VER"
    nonlocal_replaces "$PKG_GOMOD"
  } >"$W/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd/pulumi"\n' "$PKG" >"$W/tools.go"
  tidy "$W"
  log "pulumi v$VER: compiling (several minutes on 2 cores)"
  build "$W" "$BIN/pulumi" "$PKG/cmd/pulumi" "$VERSION_X"
fi
[ "$("$BIN/pulumi" version)" = "v$VER" ] || die "$BIN/pulumi does not report v$VER"
status "pulumi ok $BIN/pulumi"

pulumi_() { PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true "$BIN/pulumi" "$@"; }
plugin_installed() { [ -d "$PLUGINS/$1-$2-v$3" ] && [ ! -e "$PLUGINS/$1-$2-v$3.partial" ]; }
plugin_install() {  # plugin_install KIND NAME VERSION FILE
  if plugin_installed "$1" "$2" "$3"; then
    log "plugin $1 $2 $3: already installed in $PLUGINS"
  else
    pulumi_ plugin install "$1" "$2" "$3" --file "$4" >&2
  fi
}

# -- the Python language host (pulumi-language-python + pulumi-language-python-exec)
# The module proxy refuses its module at every version; its source at the CLI's tag is vendored
# (../shared/vendor/README.md). Built against pkg/v3 and sdk/v3 of the CLI's version, in place of the
# monorepo's local replaces, and put beside `pulumi`, where the CLI looks for language hosts first.
LANG_OK=0
LANG_TGZ=$VENDOR/pulumi-language-python-$VER.tar.gz
if [ -x "$BIN/pulumi-language-python" ] && [ -x "$BIN/pulumi-language-python-exec" ]; then
  log "pulumi-language-python: cached in $BIN"
  LANG_OK=1
elif [ -f "$LANG_TGZ" ]; then
  need_go
  W=$VDIR/src/language-python
  rm -rf "$W" && mkdir -p "$W"
  log "pulumi-language-python: building from the vendored source $LANG_TGZ"
  tar -xzf "$LANG_TGZ" -C "$W" --strip-components=1
  (cd "$W" && go mod edit -dropreplace=$PKG -dropreplace=$SDK -require=$PKG@v$VER -require=$SDK@v$VER)
  tidy "$W"
  if build "$W" "$BIN/pulumi-language-python" . "$VERSION_X"; then
    install -m 0755 "$W/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec"
    LANG_OK=1
  else
    log "pulumi-language-python: build failed (see above)"
  fi
else
  log "pulumi-language-python: no vendored source at $LANG_TGZ (ENGINE_VENDOR_DIR names its folder)"
fi
if [ $LANG_OK = 1 ]; then
  status "pulumi-language-python ok $BIN/pulumi-language-python"
else
  status "pulumi-language-python missing (no vendored source, or its build failed: see the log)"
fi

# -- pieces that ship as scripts inside the sdk/v3 module (the official CLI archive carries them too)
copy_from_sdk() {  # copy_from_sdk SDKVERSION RELPATH DEST
  if [ ! -x "$3" ]; then
    need_go
    local d
    d=$(fetch "$SDK@v$1" | jfield Dir)
    [ -n "$d" ] && [ -f "$d/$2" ] || die "$2 not found in $SDK@v$1"
    install -m 0755 "$d/$2" "$3"
  fi
}
# Dynamic providers (pulumi.dynamic) run through pulumi-resource-pulumi-python, found beside `pulumi`.
copy_from_sdk "$VER" python/dist/pulumi-resource-pulumi-python "$BIN/pulumi-resource-pulumi-python"
status "pulumi-resource-pulumi-python ok $BIN/pulumi-resource-pulumi-python"

# Python policy packs: with a language host the CLI runs them itself (`python -m pulumi.policy`). Without
# one it falls back to an analyzer plugin named policy-python: Pulumi's own script, which it shipped
# until sdk/v3 3.220.0 and which runs the same `python -m pulumi.policy`.
if [ $LANG_OK = 0 ]; then
  AN=$VDIR/analyzer/pulumi-analyzer-policy-python
  mkdir -p "$(dirname "$AN")"
  copy_from_sdk "$ANALYZER_SDK_VER" python/dist/pulumi-analyzer-policy-python "$AN"
  plugin_install analyzer policy-python "$ANALYZER_SDK_VER" "$AN"
  status "analyzer-policy-python ok $PLUGINS/analyzer-policy-python-v$ANALYZER_SDK_VER (from sdk/v3 v$ANALYZER_SDK_VER)"
fi

# -- resource providers
# The official provider modules (pulumi-github, pulumi-random, pulumiverse-vercel) are refused by the module
# proxy here; the refusal is recorded as before. github and random are then built from what they wire (the
# upstream Terraform provider + Pulumi's terraform bridge) by our Go module in providers/ (providers/README.md).
official_module() {  # official_module NAME MODULE VERSION: sets OFFICIAL_NOTE; records a refusal
  local name=$1 mod=$2 ver=$3 j
  if refused_before "provider-$name"; then
    OFFICIAL_NOTE="official module refused, see $REFUSED/provider-$name"
    return 1
  fi
  if ! command -v go >/dev/null 2>&1; then
    OFFICIAL_NOTE="official module not checked (no Go toolchain)"
    return 1
  fi
  need_go
  if ! j=$(fetch "$mod@v$ver"); then
    refuse "provider-$name" "go mod download -json $mod@v$ver" "$(printf '%s' "$j" | jfield Error)"
    OFFICIAL_NOTE="official module refused, see $REFUSED/provider-$name"
    return 1
  fi
  OFFICIAL_NOTE="official module $mod@v$ver is served ($(printf '%s' "$j" | jfield Dir)); its build is not automated"
  return 0
}

provider() {  # provider NAME MODULE VERSION: a provider we cannot build (vercel: no upstream module either)
  local name=$1 mod=$2 ver=$3 pbin=$VDIR/providers/pulumi-resource-$1
  if plugin_installed resource "$name" "$ver"; then
    log "provider $name $ver: installed in $PLUGINS"
    status "provider-$name ok $PLUGINS/resource-$name-v$ver"
    return
  fi
  if official_module "$name" "$mod" "$ver"; then
    if [ -x "$pbin" ]; then
      plugin_install resource "$name" "$ver" "$pbin"
      status "provider-$name ok $PLUGINS/resource-$name-v$ver"
    else
      log "provider $name $ver: $OFFICIAL_NOTE, see docs/engine.md"
      status "provider-$name missing (module served, build not automated; binary expected at $pbin)"
    fi
    return
  fi
  [ -f "$REFUSED/provider-$name" ] && log "provider $name $ver: refused by the module proxy ($REFUSED/provider-$name; ENGINE_RETRY_REFUSED=1 asks again)"
  status "provider-$name refused (see $REFUSED/provider-$name)"
}

PROV_SRC=$ROOT/providers
# Cache key: the sources of providers/ (Go files, go.mod, go.sum), never the files tfgen generates;
# providers/vercel is its own module with its own cache (below).
prov_hash() {
  (cd "$PROV_SRC" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -not -path './bin/*' \
     -not -path './vercel/*' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
}
wired_version() {  # wired_version NAME: the official release providers/NAME reproduces (const Version)
  sed -n 's/^const Version = "\(.*\)"$/\1/p' "$PROV_SRC/$1/info.go" 2>/dev/null | head -n1
}
required() {  # required MODULE: its version in providers/go.mod
  sed -n "s#^[[:space:]]*\(require[[:space:]]*\)\{0,1\}$1 \(v[^[:space:]]*\).*#\2#p" "$PROV_SRC/go.mod" | head -n1
}

build_bridged() {  # build_bridged DIR: tfgen -> schema (+ metadata) -> provider binary, for github and random
  local pb=$1 t0=$SECONDS src=$1/provider n
  rm -rf "$pb" && mkdir -p "$pb/bin"
  # A copy of providers/ in a directory named "provider": go:embed reads the generated files inside the module,
  # and tfgen finds the upstream's docs (for descriptions) from a "provider" directory. The tree stays clean.
  (cd "$PROV_SRC" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -not -path './bin/*' \
     -not -path './vercel/*' | tar -cf - -T - | (mkdir -p "$src" && tar -xf - -C "$src"))
  log "provider plugins: fetching the upstream providers, the terraform bridge and their modules (first time: 236 modules, about 260 MB)"
  if ! (cd "$src" && go list -deps -f '{{with .Module}}{{.Path}}@{{.Version}}{{end}}' ./github/cmd/pulumi-tfgen-github ./random/cmd/pulumi-tfgen-random >"$pb/modules.txt" 2>"$pb/download.log"); then
    tail -n 20 "$pb/download.log" >&2
    return 1
  fi
  log "provider plugins: modules ready in $((SECONDS - t0))s ($(sort -u "$pb/modules.txt" | grep -c @) modules)"
  for n in github random; do
    local cmd=$src/$n/cmd/pulumi-resource-$n t1=$SECONDS
    log "provider $n: compiling pulumi-tfgen-$n (several minutes on 2 cores the first time)"
    build "$src" "$pb/bin/pulumi-tfgen-$n" "./$n/cmd/pulumi-tfgen-$n" "" || return 1
    log "provider $n: generating the Pulumi schema with tfgen"
    (cd "$src" && "$pb/bin/pulumi-tfgen-$n" schema --skip-examples --out "$cmd") >"$pb/tfgen-$n.log" 2>&1 \
      || { tail -n 20 "$pb/tfgen-$n.log" >&2; return 1; }
    rm -f "$cmd/Pulumi.yaml"
    mkdir -p "$pb/$n" && cp "$cmd"/*.json "$pb/$n/"
    build "$src" "$pb/bin/pulumi-resource-$n" "./$n/cmd/pulumi-resource-$n" "" || return 1
    rm -f "$pb/bin/pulumi-tfgen-$n"
    log "provider $n: built in $((SECONDS - t1))s"
  done
  touch "$pb/ok"
  log "provider plugins: built in $((SECONDS - t0))s into $pb"
}

bridged() {  # bridged NAME MODULE VERSION UPSTREAM
  local name=$1 mod=$2 ver=$3 upstream=$4 wired pbin plugdir
  official_module "$name" "$mod" "$ver" && log "provider $name $ver: $OFFICIAL_NOTE"
  wired=$(wired_version "$name")
  if [ "$wired" != "$ver" ]; then
    log "provider $name: providers/$name reproduces ${wired:-nothing} but constraints.txt pins $ver: not built"
    status "provider-$name missing (providers/$name wires ${wired:-?}, constraints.txt pins $ver; $OFFICIAL_NOTE)"
    return
  fi
  if [ ! -f "$PB/ok" ]; then
    if [ -n "${PB_FAILED:-}" ]; then
      status "provider-$name missing (build failed, see above; $OFFICIAL_NOTE)"
      return
    fi
    if ! command -v go >/dev/null 2>&1; then
      log "provider $name: the Go toolchain is needed to build it"
      status "provider-$name missing (Go toolchain needed to build it; $OFFICIAL_NOTE)"
      return
    fi
    need_go
    log "provider plugins: building github $GITHUB_VER and random $RANDOM_VER from providers/ (sources $PHASH)"
    if ! build_bridged "$PB"; then
      PB_FAILED=1
      log "provider plugins: build failed (logs in $PB)"
      status "provider-$name missing (build failed, logs in $PB; $OFFICIAL_NOTE)"
      return
    fi
    # Keep only this build of providers/.
    find "$VDIR/providers" -mindepth 1 -maxdepth 1 -type d ! -name "$PHASH" -exec rm -rf {} +
  fi
  pbin=$PB/bin/pulumi-resource-$name
  plugdir=$PLUGINS/resource-$name-v$ver
  if plugin_installed resource "$name" "$ver" && cmp -s "$pbin" "$plugdir/pulumi-resource-$name"; then
    log "provider $name $ver: built from providers/ ($PHASH), installed in $PLUGINS"
  else
    log "provider $name $ver: installing $pbin"
    pulumi_ plugin install resource "$name" "$ver" --file "$pbin" --reinstall >&2
  fi
  status "provider-$name ok $plugdir (built from $upstream $(required "$upstream") + pulumi-terraform-bridge $(required github.com/pulumi/pulumi-terraform-bridge/v3); $OFFICIAL_NOTE)"
  status "schema-$name ok $PB/$name/schema.json"
}

PHASH=$(prov_hash)
PB=$VDIR/providers/$PHASH
if [ -d "$PROV_SRC" ]; then
  bridged github github.com/pulumi/pulumi-github/provider/v${GITHUB_VER%%.*} "$GITHUB_VER" github.com/integrations/terraform-provider-github/v6
  bridged random github.com/pulumi/pulumi-random/provider/v${RANDOM_VER%%.*} "$RANDOM_VER" github.com/terraform-providers/terraform-provider-random
else
  provider github github.com/pulumi/pulumi-github/provider/v${GITHUB_VER%%.*} "$GITHUB_VER"
  provider random github.com/pulumi/pulumi-random/provider/v${RANDOM_VER%%.*} "$RANDOM_VER"
fi

# -- the Vercel plugin: the upstream Terraform provider's module is refused by the module proxy (every version),
# so it is built from the vendored source snapshot ($VENDOR, ../shared/vendor/README.md) by our wiring in
# providers/vercel (its own Go module: `replace ... => ./upstream`, the snapshot extracted into the build copy).
# Cached apart from github/random, keyed by providers/vercel's sources and the snapshot's sha256.
VERCEL_SRC=$PROV_SRC/vercel
VERCEL_TGZ=$VENDOR/terraform-provider-vercel-c8a6711.tar.gz
[ -d "$VENDOR" ] && VERCEL_TGZ=$(cd "$VENDOR" && pwd -P)/${VERCEL_TGZ##*/}
VERCEL_UPSTREAM=github.com/vercel/terraform-provider-vercel/v5

vercel_sources() {  # the files of providers/vercel that make the build (never generated ones)
  (cd "$VERCEL_SRC" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) \
     -not -path './upstream/*' -not -path './bin/*' | LC_ALL=C sort)
}

build_vercel() {  # build_vercel DIR: sources + extracted snapshot -> tfgen -> schema + metadata -> plugin
  local vb=$1 src=$1/provider t0=$SECONDS t1 cmd=$1/provider/cmd/pulumi-resource-vercel
  rm -rf "$vb" && mkdir -p "$vb/bin" "$src/upstream" "$vb/vercel"
  (cd "$VERCEL_SRC" && vercel_sources | tar -cf - -T - | tar -xf - -C "$src")
  tar -xzf "$VERCEL_TGZ" -C "$src/upstream" --strip-components=1
  log "provider vercel: fetching the terraform bridge and the modules of the upstream snapshot"
  if ! (cd "$src" && go list -deps -f '{{with .Module}}{{.Path}}@{{.Version}}{{end}}' ./cmd/pulumi-tfgen-vercel >"$vb/modules.txt" 2>"$vb/download.log"); then
    tail -n 20 "$vb/download.log" >&2
    return 1
  fi
  log "provider vercel: modules ready in $((SECONDS - t0))s ($(sort -u "$vb/modules.txt" | grep -c @) modules)"
  log "provider vercel: compiling pulumi-tfgen-vercel (about 5 minutes on 2 cores the first time)"
  build "$src" "$vb/bin/pulumi-tfgen-vercel" ./cmd/pulumi-tfgen-vercel "" || return 1
  t1=$SECONDS
  # tfgen runs in the module root: the ProviderInfo reads the upstream's docs from ./upstream.
  (cd "$src" && "$vb/bin/pulumi-tfgen-vercel" schema --skip-examples --out "$cmd") >"$vb/tfgen-vercel.log" 2>&1 \
    || { tail -n 20 "$vb/tfgen-vercel.log" >&2; return 1; }
  rm -f "$cmd/Pulumi.yaml"
  cp "$cmd"/*.json "$vb/vercel/"
  log "provider vercel: schema generated in $((SECONDS - t1))s ($(grep -o '^	[0-9]* total resources' "$vb/tfgen-vercel.log" | tr -d '\t'))"
  build "$src" "$vb/bin/pulumi-resource-vercel" ./cmd/pulumi-resource-vercel "" || return 1
  rm -f "$vb/bin/pulumi-tfgen-vercel"
  touch "$vb/ok"
  log "provider vercel: built in $((SECONDS - t0))s into $vb ($(($(stat -c %s "$vb/bin/pulumi-resource-vercel") / 1000000)) MB binary)"
}

vercel_plugin() {  # vercel_plugin VERSION: build (if needed) and install pulumi-resource-vercel
  local ver=$1 wired tsha vhash vb pbin plugdir bridge from
  local mod=github.com/pulumiverse/pulumi-vercel/provider/v${ver%%.*}
  if [ ! -f "$VERCEL_TGZ" ] || [ ! -d "$VERCEL_SRC" ]; then
    # A machine with internet gets the official plugin from the official-installer branch above.
    log "provider vercel: no vendored upstream source at $VERCEL_TGZ (ENGINE_VENDOR_DIR names its folder): not built"
    provider vercel "$mod" "$ver"
    # The installed plugin may be an earlier build of ours (the cache outlives checkouts): its schema is beside it.
    local built
    for built in "$VDIR"/providers-vercel/*/bin/pulumi-resource-vercel; do
      if [ -f "$built" ] && cmp -s "$built" "$PLUGINS/resource-vercel-v$ver/pulumi-resource-vercel"; then
        status "schema-vercel ok ${built%/bin/*}/vercel/schema.json"
        break
      fi
    done
    return
  fi
  official_module vercel "$mod" "$ver" && log "provider vercel $ver: $OFFICIAL_NOTE"
  wired=$(wired_version vercel)
  if [ "$wired" != "$ver" ]; then
    log "provider vercel: providers/vercel reproduces ${wired:-nothing} but constraints.txt pins $ver: not built"
    status "provider-vercel missing (providers/vercel wires ${wired:-?}, constraints.txt pins $ver; $OFFICIAL_NOTE)"
    return
  fi
  tsha=$(sha256sum "$VERCEL_TGZ" | cut -c1-64)
  if [ -n "${ENGINE_VENDOR_DIR:-}" ]; then from="ENGINE_VENDOR_DIR"; else from="found beside the checkout or its origin"; fi
  log "provider vercel: upstream source $VERCEL_TGZ (from $from; sha256 ${tsha:0:16}...)"
  vhash=$( { (cd "$VERCEL_SRC" && vercel_sources | xargs sha256sum); printf '%s  vendored\n' "$tsha"; } | sha256sum | cut -c1-16)
  vb=$VDIR/providers-vercel/$vhash
  pbin=$vb/bin/pulumi-resource-vercel
  plugdir=$PLUGINS/resource-vercel-v$ver
  if [ ! -f "$vb/ok" ]; then
    if ! command -v go >/dev/null 2>&1; then
      log "provider vercel: the Go toolchain is needed to build it"
      status "provider-vercel missing (Go toolchain needed to build it; $OFFICIAL_NOTE)"
      return
    fi
    need_go
    log "provider vercel: building $ver from providers/vercel + the vendored upstream (sources $vhash)"
    if ! build_vercel "$vb"; then
      log "provider vercel: build failed (logs in $vb)"
      status "provider-vercel missing (build failed, logs in $vb; $OFFICIAL_NOTE)"
      return
    fi
    # Keep only this build of providers/vercel.
    find "$VDIR/providers-vercel" -mindepth 1 -maxdepth 1 -type d ! -name "$vhash" -exec rm -rf {} +
  fi
  if plugin_installed resource vercel "$ver" && cmp -s "$pbin" "$plugdir/pulumi-resource-vercel"; then
    log "provider vercel $ver: built from providers/vercel ($vhash), installed in $PLUGINS"
  else
    log "provider vercel $ver: installing $pbin"
    pulumi_ plugin install resource vercel "$ver" --file "$pbin" --reinstall >&2
  fi
  bridge=$(sed -n 's#^[[:space:]]*github.com/pulumi/pulumi-terraform-bridge/v3 \(v[^[:space:]]*\).*#\1#p' "$VERCEL_SRC/go.mod" | head -n1)
  status "provider-vercel ok $plugdir (built from $VERCEL_UPSTREAM $(basename "$VERCEL_TGZ" .tar.gz | sed 's/.*-//') vendored in $VERCEL_TGZ + pulumi-terraform-bridge $bridge; $OFFICIAL_NOTE)"
  status "schema-vercel ok $vb/vercel/schema.json"
}

vercel_plugin "$VERCEL_VER"

mv -f "$STATUS.new" "$STATUS"
log "status ($STATUS):"
sed 's/^/[engine]   /' "$STATUS" >&2
emit "$BIN" offline
