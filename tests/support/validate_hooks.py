#!/usr/bin/python3
"""validate_hooks.py SCHEMAS_DIR RECEIVER_LOG [MIN] -- every webhook the gateway really sent.

RECEIVER_LOG is tests/support/receiver.py's log (one JSON line per request, the body as text).
Each body is validated against SCHEMAS_DIR/webhook/<type>.schema.json, <type> being the body's
own "type" ("stream", "enroll", "verify"). Exit status 0 only when every body validates and at
least MIN (default 1) were checked. Used by tests/support/e2e.c.
"""
import json
import pathlib
import sys

import jsonschema


def main():
    root, log = pathlib.Path(sys.argv[1]) / "webhook", pathlib.Path(sys.argv[2])
    need = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    validators = {p.name[: -len(".schema.json")]:
                  jsonschema.Draft202012Validator(json.loads(p.read_text()))
                  for p in root.glob("*.schema.json")}
    n, failures, by_type = 0, 0, {}
    for line in log.read_text().splitlines():
        if not line.strip():
            continue
        body = json.loads(json.loads(line)["body"])
        kind = body.get("type") if isinstance(body, dict) else None
        n += 1
        by_type[kind] = by_type.get(kind, 0) + 1
        if kind not in validators:
            failures += 1
            print(f"no schema for type {kind!r}: {body}", file=sys.stderr)
            continue
        errs = [e.message for e in validators[kind].iter_errors(body)]
        if errs:
            failures += 1
            print(f"{kind}: {body}: {'; '.join(errs[:3])}", file=sys.stderr)
    print(f"validate_hooks: {n} webhooks {by_type}, {failures} invalid")
    return 0 if failures == 0 and n >= need else 1


if __name__ == "__main__":
    sys.exit(main())
