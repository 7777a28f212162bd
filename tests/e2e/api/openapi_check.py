#!/usr/bin/env python3
"""Checks schemas/openapi.json against the code (used by test_api.py; runnable alone).

1. Structure: openapi 3.x, info, paths; every operation has responses with valid status codes;
   every $ref resolves; every schema is a valid JSON Schema (2020-12 meta-schema, which is
   OpenAPI 3.1's dialect) -- python3-jsonschema. (Debian 12 packages no OpenAPI validator.)
2. Coverage: every route registered in gateway/**/*.c under /api/v2 (api_route / http_route calls,
   and the five routes of each api_phone_register call) and every path of the Voice Verify alias
   table (gateway/api/api_vv.c, entries {"METHOD", "/path", ...}) is documented with its method,
   and every documented operation is registered. A prefix
   route "/api/v2/x/" "*" covers documented paths "/api/v2/x/{...}..."; exact paths match with
   or without one trailing slash, as the router does.
"""
import glob
import json
import os
import re
import sys

import jsonschema

METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}
ROUTE_RE = re.compile(r'(?:api_route|http_route)\s*\([^;]*?"(GET|POST|PUT|PATCH|DELETE)"\s*,\s*'
                      r'(\w+)?\s*(?:"([^"]*)")?\s*,', re.S)
DEFINE_RE = re.compile(r'#define\s+(\w+)\s+API_PREFIX\s*"([^"]*)"')
ALIAS_RE = re.compile(r'^\s*\{"(GET|POST|PUT|PATCH|DELETE)", "(/[^"]*)",', re.M)
# A list keyed by phone number (gateway/api/api_phone.c) serves five routes on its path.
PHONE_RE = re.compile(r'api_phone_register\s*\(\s*\w+\s*,\s*API_PREFIX\s*"([^"]*)"')
PHONE_ROUTES = (("put", ""), ("post", ""), ("get", ""), ("get", "/*"), ("delete", "/*"))


def registered_routes(gateway_dir):
    routes = set()
    for f in glob.glob(os.path.join(gateway_dir, "**", "*.c"), recursive=True):
        with open(f, errors="replace") as fh:
            text = fh.read()
        macros = {"API_PREFIX": "/api/v2"}
        macros.update({k: "/api/v2" + v for k, v in DEFINE_RE.findall(text)})
        for m in ROUTE_RE.finditer(text):
            if m.group(2) and m.group(2) not in macros:
                continue
            path = macros.get(m.group(2) or "", "") + (m.group(3) or "")
            if path.startswith("/api/v2"):
                routes.add((m.group(1).lower(), path))
        for p in PHONE_RE.findall(text):
            routes.update((m, "/api/v2" + p + tail) for m, tail in PHONE_ROUTES)
        if os.path.basename(f).startswith("api_vv"):
            routes.update((m.lower(), p) for m, p in ALIAS_RE.findall(text))
    return routes


def covers(route_path, doc_path):
    if route_path.endswith("/*"):
        stem = route_path[:-1]
        return doc_path.startswith(stem) and doc_path[len(stem):].startswith("{")
    return route_path.rstrip("/") == doc_path.rstrip("/")


def resolve(doc, ref):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def walk_refs(node, doc, problems, where="#"):
    if isinstance(node, dict):
        if "$ref" in node:
            try:
                resolve(doc, node["$ref"])
            except (KeyError, TypeError):
                problems.append("%s: unresolved $ref %s" % (where, node["$ref"]))
        for k, v in node.items():
            walk_refs(v, doc, problems, where + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk_refs(v, doc, problems, "%s/%d" % (where, i))


def structure(doc):
    problems = []
    if not str(doc.get("openapi", "")).startswith("3."):
        problems.append("openapi version missing or not 3.x")
    for k in ("title", "version"):
        if k not in doc.get("info", {}):
            problems.append("info.%s missing" % k)
    for path, ops in doc.get("paths", {}).items():
        if not path.startswith("/"):
            problems.append("path %s does not start with /" % path)
        params = set(re.findall(r"\{([^}]+)\}", path))
        for method, op in ops.items():
            if method not in METHODS:
                continue
            if not op.get("responses"):
                problems.append("%s %s: no responses" % (method, path))
            for code in op.get("responses", {}):
                if not re.fullmatch(r"[1-5]\d\d|[1-5]XX|default", code):
                    problems.append("%s %s: bad status %s" % (method, path, code))
            declared = {p["name"] for p in op.get("parameters", []) if p.get("in") == "path"}
            if params - declared:
                problems.append("%s %s: path parameters %s not declared" % (method, path,
                                                                             params - declared))
    walk_refs(doc, doc, problems)
    schemas = list(doc.get("components", {}).get("schemas", {}).items())
    for name, s in schemas:
        try:
            jsonschema.Draft202012Validator.check_schema(s)
        except jsonschema.SchemaError as e:
            problems.append("components.schemas.%s: %s" % (name, e.message))
    return problems


def check(doc, gateway_dir):
    problems = structure(doc)
    routes = registered_routes(gateway_dir)
    documented = {(m, p) for p, ops in doc.get("paths", {}).items() for m in ops if m in METHODS}
    for method, path in sorted(routes):
        if not any(m == method and covers(path, p) for m, p in documented):
            problems.append("route %s %s is not in openapi.json" % (method.upper(), path))
    for method, path in sorted(documented):
        if not any(m == method and covers(r, path) for m, r in routes):
            problems.append("openapi.json documents %s %s but no route serves it" %
                            (method.upper(), path))
    return problems


if __name__ == "__main__":
    src = os.environ.get("CALLPRINT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    with open(os.path.join(src, "schemas", "openapi.json")) as fh:
        doc = json.load(fh)
    out = check(doc, os.path.join(src, "gateway"))
    print("\n".join(out) or "openapi.json: ok")
    sys.exit(1 if out else 0)
