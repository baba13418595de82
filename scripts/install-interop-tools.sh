#!/usr/bin/env bash
# Installs the independent tools the tests check our output with (formats.md):
# the Go toolchain with golang.org/x/mod (sumdb/note, sumdb/tlog) and Python
# jwcrypto for the Debian /usr/bin/python3 (test/interop), pdftotext and
# qpdf for the court report PDF, and Chromium to run the verifier in a browser. Idempotent and quiet when everything is present.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

XMOD_SRC=/usr/share/gocode/src/golang.org/x/mod/sumdb
PACKAGES=(golang-go golang-golang-x-mod-dev python3-jwcrypto poppler-utils qpdf chromium)

have_go() {
  command -v go >/dev/null 2>&1 || [ -x /usr/lib/go/bin/go ]
}

have_xmod() {
  [ -f "$XMOD_SRC/note/note.go" ] && [ -f "$XMOD_SRC/tlog/tlog.go" ]
}

have_jwcrypto() {
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import jwcrypto.jws, jwcrypto.jwk' >/dev/null 2>&1
}

have_pdf_tools() {
  command -v pdftotext >/dev/null 2>&1 && command -v qpdf >/dev/null 2>&1
}

have_chromium() {
  [ -x /usr/bin/chromium ]
}

all_present() {
  have_go && have_xmod && have_jwcrypto && have_pdf_tools && have_chromium
}

if all_present; then
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-interop-tools: missing tools and not root (and no sudo)" >&2
    exit 1
  fi
fi

echo "install-interop-tools: installing ${PACKAGES[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

if ! all_present; then
  have_go || echo "install-interop-tools: go still missing" >&2
  have_xmod || echo "install-interop-tools: golang.org/x/mod source still missing under $XMOD_SRC" >&2
  have_jwcrypto || echo "install-interop-tools: jwcrypto still missing for /usr/bin/python3" >&2
  have_pdf_tools || echo "install-interop-tools: pdftotext or qpdf still missing" >&2
  have_chromium || echo "install-interop-tools: chromium still missing" >&2
  exit 1
fi
