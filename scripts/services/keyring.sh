# shellcheck shell=bash
# Secret Service for tests (and for scripts/run on a bare server): a private
# D-Bus session bus plus gnome-keyring-daemon (secrets component only), its
# login keyring created on first use and unlocked with a password fed on
# stdin, no display. All state in $1/keyring (the bus socket is
# $1/keyring/run/bus); PIDs and logs are $1/dbus.* and $1/gnome-keyring.*.
# Exports SSLBOARD_TEST_DBUS_ADDRESS. Sourced after scripts/lib/common.sh.
# Usage: start_keyring DIR [PASSWORD]; stop_keyring DIR.

# keyring_envv DIR : sets the array KEYRING_ENV to an `env` command line for
# the keyring's private environment (no display, no outer session bus).
keyring_envv() {
  KEYRING_ENV=(env -u DISPLAY -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS
    HOME="$1/home" XDG_DATA_HOME="$1/data" XDG_RUNTIME_DIR="$1/run"
    XDG_CONFIG_HOME="$1/home/.config" XDG_CACHE_HOME="$1/home/.cache")
}

start_keyring() {
  local top=$1 password=${2:-sslboard-test-keyring}
  # shellcheck disable=SC2034 # read by die_service (common.sh)
  CURRENT_SERVICE=keyring
  local dir=$top/keyring addr pid probe writer ok
  need_apt gnome-keyring dbus libsecret-tools
  stop_keyring "$top"
  mkdir -p "$dir/home" "$dir/data" "$dir/run"
  chmod 700 "$dir" "$dir/run"
  rm -rf "$dir/run/bus" "$dir/run/keyring"
  addr="unix:path=$dir/run/bus"
  keyring_envv "$dir"
  # No service directories: nothing is D-Bus-activated behind our back (an
  # activated gnome-keyring would be a second, locked one).
  cat >"$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>$addr</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
  start_bg dbus "$top" "${KEYRING_ENV[@]}" dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile
  pid=$(bg_pid dbus "$top")
  WAIT_PID=$pid wait_for test -S "$dir/run/bus" || die_service dbus "$top" "no bus socket"

  # --foreground keeps the daemon in its own process group (stoppable by
  # PID); --unlock reads the password from stdin to create/unlock "login".
  # The password goes through a FIFO, never onto the disk.
  rm -f "$dir/password.fifo"
  mkfifo -m 600 "$dir/password.fifo"
  printf '%s' "$password" >"$dir/password.fifo" &
  writer=$!
  START_BG_STDIN="$dir/password.fifo" start_bg gnome-keyring "$top" \
    "${KEYRING_ENV[@]}" DBUS_SESSION_BUS_ADDRESS="$addr" \
    gnome-keyring-daemon --foreground --unlock --components=secrets
  pid=$(bg_pid gnome-keyring "$top")
  ok=0
  WAIT_PID=$pid wait_for keyring_has_owner "$addr" && ok=1
  kill "$writer" 2>/dev/null || true
  wait "$writer" 2>/dev/null || true
  rm -f "$dir/password.fifo"
  [ $ok = 1 ] || die_service gnome-keyring "$top" "org.freedesktop.secrets not on the bus"

  # A real write, read and delete: an open Secret Service is not necessarily
  # a usable one (a locked keyring fails only on write).
  probe=$(random_hex 8)
  if ! keyring_probe "$addr" "$probe" 2>"$dir/probe.log"; then
    cat "$dir/probe.log" >&2
    die_service gnome-keyring "$top" "secret-tool store/lookup/clear round trip failed (wrong keyring password?)"
  fi

  env_set "$top" keyring SSLBOARD_TEST_DBUS_ADDRESS "$addr"
}

# keyring_probe ADDR VALUE : stores VALUE, reads it back, clears it, and
# checks it is gone (needs KEYRING_ENV).
keyring_probe() {
  local addr=$1 v=$2
  printf '%s' "$v" | "${KEYRING_ENV[@]}" DBUS_SESSION_BUS_ADDRESS="$addr" \
    secret-tool store --label=sslboard-probe sslboard-probe "$v" || return 1
  [ "$("${KEYRING_ENV[@]}" DBUS_SESSION_BUS_ADDRESS="$addr" secret-tool lookup sslboard-probe "$v")" = "$v" ] || {
    echo "secret-tool lookup did not return the stored value" >&2; return 1; }
  "${KEYRING_ENV[@]}" DBUS_SESSION_BUS_ADDRESS="$addr" secret-tool clear sslboard-probe "$v" || return 1
  [ -z "$("${KEYRING_ENV[@]}" DBUS_SESSION_BUS_ADDRESS="$addr" secret-tool lookup sslboard-probe "$v" 2>/dev/null)" ] || {
    echo "probe still present after secret-tool clear" >&2; return 1; }
}

keyring_has_owner() {
  DBUS_SESSION_BUS_ADDRESS="$1" dbus-send --session --print-reply --dest=org.freedesktop.DBus \
    / org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}

stop_keyring() {
  local top=$1 p
  stop_bg gnome-keyring "$top"
  # A gnome-keyring-daemon that daemonized itself (older versions of this
  # script): find ours by its runtime dir.
  for p in $(pgrep -f '^gnome-keyring-daemon' 2>/dev/null); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qxF "XDG_RUNTIME_DIR=$top/keyring/run"; then
      kill -TERM "$p" 2>/dev/null || true
    fi
  done
  stop_bg dbus "$top"
  rm -f "$top/keyring/password.fifo"
  env_clear "$top" keyring
}
