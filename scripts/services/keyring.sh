# Secret Service for tests: gnome-keyring in a private D-Bus session, its
# login keyring created and unlocked with a throwaway password, all state in
# $1/keyring (password $2, default a throwaway one). Exports
# SSLBOARD_TEST_DBUS_ADDRESS into $1/env.
start_keyring() {
  local dir=$1/keyring password=${2:-sslboard-test-keyring}
  need_apt gnome-keyring dbus libsecret-tools dbus-x11
  mkdir -p "$dir/home" "$dir/data" "$dir/run"
  chmod 700 "$dir/run"
  cat >"$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$dir/run/bus</listen>
  <standard_session_servicedirs/>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
  start_bg dbus "$1" env -u DISPLAY -u WAYLAND_DISPLAY HOME="$dir/home" XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir/run" \
    dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile
  local addr="unix:path=$dir/run/bus"
  WAIT_SECS=10 wait_for test -S "$dir/run/bus" || die_service dbus "$1"
  # gnome-keyring-daemon forks a daemon onto the bus and exits; it reads the
  # password from stdin to create/unlock the login keyring.
  printf '%s' "$password" | env -u DISPLAY -u WAYLAND_DISPLAY HOME="$dir/home" XDG_DATA_HOME="$dir/data" \
    XDG_RUNTIME_DIR="$dir/run" DBUS_SESSION_BUS_ADDRESS="$addr" \
    gnome-keyring-daemon --unlock --components=secrets >"$1/gnome-keyring.log" 2>&1 || die_service gnome-keyring "$1"
  WAIT_SECS=10 wait_for sh -c "DBUS_SESSION_BUS_ADDRESS='$addr' dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q 'boolean true'" \
    || die_service gnome-keyring "$1"
  # A real write, read and delete: an open Secret Service is not necessarily a usable one.
  local env_run=(env HOME="$dir/home" XDG_RUNTIME_DIR="$dir/run" DBUS_SESSION_BUS_ADDRESS="$addr")
  printf 'probe-value' | "${env_run[@]}" secret-tool store --label=probe sslboard-probe startup || die_service gnome-keyring "$1"
  [ "$("${env_run[@]}" secret-tool lookup sslboard-probe startup)" = probe-value ] || die_service gnome-keyring "$1"
  "${env_run[@]}" secret-tool clear sslboard-probe startup
  echo "export SSLBOARD_TEST_DBUS_ADDRESS='$addr'" >>"$1/env"
}

stop_keyring() {
  local dir=$1/keyring
  # gnome-keyring-daemon daemonized itself: find ours by its runtime dir.
  for p in $(pgrep -f gnome-keyring-daemon 2>/dev/null); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$dir/run"; then
      kill -TERM "$p" 2>/dev/null || true
    fi
  done
  stop_bg dbus "$1"
}
