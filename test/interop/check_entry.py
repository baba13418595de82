#!/usr/bin/python3
"""Checks Custody Ledger log entries and their disclosures from the standards alone.

Written from formats.md §1 and §1.1 with the Python standard library, without
our code: the leaf hash is SHA-256(0x00 || JCS(entry)) (RFC 8785, RFC 6962
§2.1), and a disclosure is the base64url (no padding) of the UTF-8 JSON array
[salt, name, value], salt at least 128 bits of base64url, whose digest (the
base64url SHA-256 of the ASCII disclosure string) must be listed in the `_sd`
of the entry's actor or data (SD-JWT, RFC 9901).

Reads {"cases": [{"id", "entry", "disclosures"}]} as JSON on stdin and prints
{"results": [...]}, one per case in order: {"id", "ok": true, "leafHash"
(base64), "actor", "data" (clear and disclosed fields), "withheld": {"actor": n,
"data": n}} or {"id", "ok": false, "error"}. Exit status 0 either way; 2 when
stdin is not usable JSON.
"""

import base64
import binascii
import hashlib
import json
import re
import sys

BASE64URL = re.compile(r"\A[A-Za-z0-9_-]*\Z")
MIN_SALT_CHARS = 22  # 128 bits in base64url


def jcs(value):
    """RFC 8785 for the values entries hold: no floating-point numbers."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # ECMAScript JSON.stringify escaping, which RFC 8785 §3.2.2.2 prescribes.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(jcs(item) for item in value) + "]"
    if isinstance(value, dict):
        # Members sorted by their names' UTF-16 code units (RFC 8785 §3.2.3).
        names = sorted(value, key=lambda name: name.encode("utf-16-be"))
        return "{" + ",".join(jcs(name) + ":" + jcs(value[name]) for name in names) + "}"
    raise ValueError("entries hold no %s" % type(value).__name__)


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + jcs(entry).encode("utf-8")).digest()


def b64url_decode(text):
    """base64url without padding, one spelling only (RFC 4648 §5, §3.5)."""
    if not BASE64URL.match(text) or len(text) % 4 == 1:
        raise ValueError("not base64url without padding")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != text:
        raise ValueError("not canonical base64url")
    return raw


def digest(disclosure):
    return base64.urlsafe_b64encode(hashlib.sha256(disclosure.encode("ascii")).digest()).decode("ascii").rstrip("=")


def has_float(value):
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(has_float(item) for item in value)
    if isinstance(value, dict):
        return any(has_float(item) for item in value.values())
    return False


def read_disclosure(disclosure):
    if not isinstance(disclosure, str) or not disclosure:
        raise ValueError("a disclosure is a non-empty string")
    try:
        decoded = json.loads(b64url_decode(disclosure).decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise ValueError("not base64url of UTF-8 JSON: %s" % error)
    if not isinstance(decoded, list) or len(decoded) != 3:
        raise ValueError("a disclosure is [salt, name, value]")
    salt, name, value = decoded
    if not isinstance(salt, str) or len(salt) < MIN_SALT_CHARS or not BASE64URL.match(salt):
        raise ValueError("the salt is under 128 bits of base64url")
    if not isinstance(name, str) or name in ("", "_sd", "_sd_alg"):
        raise ValueError("not a field name")
    if has_float(value):
        raise ValueError("entries hold no floating-point numbers")
    return name, value


def reveal(entry, disclosures):
    withholding = entry.get("v") == 2
    parts = {}
    listed = {}
    for part in ("actor", "data"):
        members = entry[part]
        parts[part] = {k: v for k, v in members.items() if not withholding or k not in ("_sd", "_sd_alg")}
        listed[part] = list(members.get("_sd", [])) if withholding else []
    seen = set()
    for disclosure in disclosures:
        name, value = read_disclosure(disclosure)
        found = digest(disclosure)
        if found in seen:
            raise ValueError("a disclosure is given twice")
        seen.add(found)
        part = next((p for p in ("actor", "data") if found in listed[p]), None)
        if part is None:
            raise ValueError("digest %s is in no _sd of the entry" % found)
        if name in parts[part]:
            raise ValueError("%s.%s is already there" % (part, name))
        parts[part][name] = value
    withheld = {part: len([d for d in listed[part] if d not in seen]) for part in listed}
    return parts, withheld


def check(case):
    entry = case["entry"]
    parts, withheld = reveal(entry, case.get("disclosures", []))
    return {
        "ok": True,
        "leafHash": base64.b64encode(leaf_hash(entry)).decode("ascii"),
        "actor": parts["actor"],
        "data": parts["data"],
        "withheld": withheld,
    }


def main():
    try:
        cases = json.load(sys.stdin)["cases"]
    except (ValueError, KeyError, TypeError) as error:
        print("check_entry: bad input: %s" % error, file=sys.stderr)
        return 2
    results = []
    for case in cases:
        try:
            result = check(case)
        except Exception as error:  # every failure is a verdict on the case, never a crash
            result = {"ok": False, "error": "%s: %s" % (type(error).__name__, error)}
        results.append(dict(result, id=case.get("id")))
    json.dump({"results": results}, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
