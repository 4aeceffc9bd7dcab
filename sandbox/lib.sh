# Shared helpers for the sandbox scripts. Sourced, not run.

# Installs Debian packages (with sudo when not root), saying which.
apt_install() {
  echo "sandbox: installing $*" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

# Installs the Debian packages the build needs when they are missing.
ensure_system_packages() {
  local missing=()
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  if ! pkg-config --exists openssl 2>/dev/null || ! pkg-config --atleast-version=3.0 openssl 2>/dev/null; then
    missing+=(libssl-dev)
  fi
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
      export PATH="/opt/swift/usr/bin:$PATH"
    else
      echo "sandbox: Swift 6 is required (https://www.swift.org/install/linux/); 'swift' was not found on PATH." >&2
      exit 1
    fi
  fi
}

# Installs the command-line tools the sandbox walkthrough uses (curl, jq) when missing.
ensure_demo_tools() {
  local missing=()
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

# Installs the Python tools the test suite uses (the OpenAPI validator, schemathesis) when missing.
ensure_python_tools() {
  local missing=()
  python3 -c 'import openapi_spec_validator' >/dev/null 2>&1 || missing+=(openapi-spec-validator)
  python3 -c 'import schemathesis' >/dev/null 2>&1 || missing+=(schemathesis)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "sandbox: installing ${missing[*]} (pip)" >&2
    python3 -m pip install -q "${missing[@]}" 2>&1 | grep -v 'Running pip as the' || true
  fi
}

# Installs matplotlib (pip) when missing, for the plots of sandbox/soak.
ensure_plot_tools() {
  if ! python3 -c 'import matplotlib' >/dev/null 2>&1; then
    echo "sandbox: installing matplotlib (pip)" >&2
    python3 -m pip install -q matplotlib 2>&1 | grep -v 'Running pip as the' || true
  fi
}
