# Helpers sourced by the scripts: idempotent installs, free ports, readiness
# waits, and background services started in their own process group so that
# they can be stopped by PID (no systemd anywhere).

# Installs the Debian packages that are missing (apt-get update once per run).
need_apt() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "${SSLBOARD_APT_UPDATED:-}" ]; then
    apt-get update -qq
    export SSLBOARD_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# A free TCP+UDP port on 127.0.0.1 in 20000-40000.
pick_port() {
  local p tries=0
  while [ $tries -lt 200 ]; do
    p=$(( 20000 + RANDOM % 20000 ))
    if [ -z "$(ss -Hlnut "sport = :$p" 2>/dev/null)" ]; then
      echo "$p"
      return 0
    fi
    tries=$((tries + 1))
  done
  return 1
}

# Polls a command for up to $WAIT_SECS (default 10) seconds.
wait_for() {
  local deadline=$(( $(date +%s) + ${WAIT_SECS:-10} ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}

# start_bg NAME DIR cmd... : runs cmd in a new session, pid in DIR/NAME.pid.
start_bg() {
  local name=$1 dir=$2
  shift 2
  setsid "$@" >"$dir/$name.log" 2>&1 < /dev/null &
  echo $! >"$dir/$name.pid"
}

# stop_bg NAME DIR : TERM the process group, KILL after 5 s.
stop_bg() {
  local name=$1 dir=$2 pid
  [ -f "$dir/$name.pid" ] || return 0
  pid=$(cat "$dir/$name.pid")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$dir/$name.pid"
}

# Fails with the service's log tail.
die_service() {
  local name=$1 dir=$2
  echo "service $name failed to start; log tail:" >&2
  tail -30 "$dir/$name.log" >&2 || true
  exit 1
}
