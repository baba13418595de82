#!/usr/bin/python3
"""Verifies a compact JWS receipt with jwcrypto, a JOSE library that is not ours.

Reads {"jwks": {...}, "token": "<compact JWS>"} as JSON on stdin and prints
{"ok": true, "header": {...}, "payload": {...}} when the signature verifies with
the JWKS key named by the protected header's kid, else {"ok": false, "error": "..."}.
Exit status 0 either way; 2 when stdin is not usable JSON.

Run it with the Debian /usr/bin/python3 (package python3-jwcrypto).
"""

import json
import sys

from jwcrypto import jwk, jws


def verify(jwks_json, token):
    keys = jwk.JWKSet.from_json(json.dumps(jwks_json))
    signed = jws.JWS()
    signed.deserialize(token)
    # Compact serialisation carries one signature and only a protected header.
    header = signed.jose_header
    if not isinstance(header, dict):
        raise ValueError("expected exactly one signature")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise ValueError("protected header has no kid")
    key = keys.get_key(kid)
    if key is None:
        raise ValueError("no key with kid %r in the JWKS" % kid)
    alg = header.get("alg")
    if alg != "EdDSA":
        raise ValueError("unexpected alg %r" % alg)
    # Pin the algorithm: the token may not pick a weaker one for itself.
    signed.allowed_algs = ["EdDSA"]
    signed.verify(key, alg="EdDSA")
    payload = json.loads(signed.payload.decode("utf-8"))
    return {"ok": True, "header": header, "payload": payload}


def main():
    try:
        request = json.load(sys.stdin)
        jwks_json = request["jwks"]
        token = request["token"]
    except (ValueError, KeyError, TypeError) as error:
        print("verify_jws: bad input: %s" % error, file=sys.stderr)
        return 2
    try:
        result = verify(jwks_json, token)
    except Exception as error:  # every library failure is a verification failure
        result = {"ok": False, "error": "%s: %s" % (type(error).__name__, error)}
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
