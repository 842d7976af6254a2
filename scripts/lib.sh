# Shared helpers for the project's scripts. Sourced, not run.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"

# Install the project and its Python dependencies (idempotent, quiet).
install_project() {
    local extra="${1:-}"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check -e "$ROOT${extra:+[$extra]}"
}

odoo_available() {
    "$PYTHON" - <<'PY' >/dev/null 2>&1
import sys
import odoo.release as r
sys.exit(0 if r.version_info[0] == 19 else 1)
PY
}

odoo_missing_banner() {
    cat <<'MSG'
##########################################################################
#  Odoo 19.0 is NOT importable by this Python (python3 -c "import odoo")  #
#  The Odoo test suite did NOT run. Install Odoo 19.0 Community so that  #
#  "import odoo" works, then run this again.                             #
##########################################################################
MSG
}

# Make sure a PostgreSQL server answers for the current user.
ensure_postgres() {
    if pg_isready -q 2>/dev/null; then return 0; fi
    if command -v pg_lsclusters >/dev/null 2>&1; then
        local ver name
        read -r ver name _ < <(pg_lsclusters --no-header | head -n 1)
        if [ -n "${ver:-}" ]; then
            pg_ctlcluster "$ver" "$name" start || true
        fi
    fi
    for _ in $(seq 1 30); do pg_isready -q 2>/dev/null && break; sleep 1; done
    if ! pg_isready -q 2>/dev/null; then
        echo "PostgreSQL is not running and could not be started." >&2
        return 1
    fi
    if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
        # Odoo connects as the current OS user through the local socket.
        su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$(id -un)'\"" | grep -q 1 \
            || su postgres -c "createuser --superuser $(id -un)"
    fi
}

# Both addons reach Odoo through the odoo.addons namespace once the project is
# installed (pip install -e .): no addons path to set.
addons_visible() {
    "$PYTHON" - <<'PY' >/dev/null 2>&1
import importlib.util
import sys
sys.exit(0 if importlib.util.find_spec("odoo.addons.clarus_xero_connector") else 1)
PY
}
