cm_bin="${CM_BIN:-$(command -v cicd-monitor || true)}"
if [ -z "$cm_bin" ]; then echo "cicd-monitor: warning: cicd-monitor not found (PATH, CM_BIN)" >&2; exit 127; fi
exec "$cm_bin" publish --to jenkins --dir '.cicd-monitor' --artifacts '.cicd-monitor/report'
