#!/usr/bin/python3
"""validate_schemas.py -- check schemas/ against real messages.

1. Every schema under schemas/stream and schemas/webhook is itself a valid draft 2020-12
   schema.
2. Every example in tests/fixtures/twilio/<schema>.<case>.json (Twilio's documented examples,
   the Voice Verify manual's examples) validates against its schema; a Voice Verify inbound
   example also validates against the Twilio schema of the same event (the dialect is a
   Twilio-compatible subset).
3. Every file in tests/fixtures/twilio/invalid/<schema>.<case>.json is REJECTED by its schema.
4. The output of the program given with --messages (one "<schema>\t<json>" per line: what the
   tw_build_* / vv_build_* functions write) validates against the named schema.

Fixture name -> schema: "webhook-X" -> schemas/webhook/X.schema.json, anything else ->
schemas/stream/<name>.schema.json. Exit status 0 only when every check passes.
"""
import argparse
import json
import pathlib
import subprocess
import sys

import jsonschema

Validator = jsonschema.Draft202012Validator


def load_schemas(root):
    schemas = {}
    for sub in ("stream", "webhook"):
        for path in sorted((root / sub).glob("*.schema.json")):
            schema = json.loads(path.read_text())
            Validator.check_schema(schema)
            name = path.name[: -len(".schema.json")]
            schemas[name if sub == "stream" else "webhook-" + name] = Validator(schema)
    return schemas


def errors_of(validator, doc):
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(doc)]


class Checker:
    def __init__(self, schemas):
        self.schemas, self.failures, self.checks = schemas, 0, 0

    def expect(self, schema_name, doc, valid, where):
        self.checks += 1
        validator = self.schemas.get(schema_name)
        if validator is None:
            return self.fail(f"{where}: no schema named {schema_name!r}")
        errs = errors_of(validator, doc)
        if valid and errs:
            self.fail(f"{where}: rejected by {schema_name}: " + "; ".join(errs[:3]))
        elif not valid and not errs:
            self.fail(f"{where}: accepted by {schema_name} but must be rejected")

    def fail(self, text):
        self.failures += 1
        print("FAIL", text)


def fixture_schema(path):
    return path.name.split(".", 1)[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemas", required=True, type=pathlib.Path)
    ap.add_argument("--fixtures", required=True, type=pathlib.Path)
    ap.add_argument("--messages", help="program printing '<schema>\\t<json>' lines")
    args = ap.parse_args()

    schemas = load_schemas(args.schemas)
    c = Checker(schemas)
    if len(schemas) < 19:
        c.fail(f"only {len(schemas)} schemas under {args.schemas}")
    valid = sorted(args.fixtures.glob("*.json"))
    invalid = sorted((args.fixtures / "invalid").glob("*.json"))
    if not valid or not invalid:
        c.fail(f"no fixtures under {args.fixtures}")
    for path in valid:
        doc = json.loads(path.read_text())
        name = fixture_schema(path)
        c.expect(name, doc, True, path.name)
        twin = "twilio-" + name[3:]
        if name.startswith("vv-") and twin in schemas:
            c.expect(twin, doc, True, path.name + " (as Twilio)")
    for path in invalid:
        c.expect(fixture_schema(path), json.loads(path.read_text()), False, "invalid/" + path.name)

    if args.messages:
        out = subprocess.run([args.messages], check=True, capture_output=True, text=True).stdout
        lines = [l for l in out.splitlines() if l]
        if len(lines) < 10:
            c.fail(f"{args.messages} printed only {len(lines)} messages")
        for i, line in enumerate(lines, 1):
            name, _, text = line.partition("\t")
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as e:
                c.fail(f"builder message {i} ({name}) is not JSON: {e}")
                continue
            c.expect(name, doc, True, f"builder message {i} ({name})")
        # What the builders emit covers every outbound schema.
        emitted = {l.partition("\t")[0] for l in lines}
        for needed in ("twilio-out-media", "twilio-out-mark", "twilio-out-clear",
                       "vv-connected-ack", "vv-ping", "vv-reply"):
            if needed not in emitted:
                c.fail(f"builders printed no {needed} message")

    print(f"validate_schemas: {len(schemas)} schemas, {c.checks} checks, {c.failures} failures")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
