cm_bin="${CM_BIN:-$(command -v cicd-monitor || true)}"
if [ -n "$cm_bin" ]; then set -- "$cm_bin" wrap --stage 'build' --; else echo "cicd-monitor: warning: cicd-monitor not found (PATH, CM_BIN); running unmonitored" >&2; set --; fi
exec "$@" sh -xe -c 'printf '\''%s|'\'' "it'\''s" '\''$HOME'\'' "$CM_TEST_VAR"
exit 3'
