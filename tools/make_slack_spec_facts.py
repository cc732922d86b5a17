"""Write the facts the Slack stand-in checks (methods, their arguments, which are required) to a small JSON file.

Run by hand when Slack publishes a new spec; the tests read only the generated file, never the spec:

    python tools/make_slack_spec_facts.py path/to/slack-api-specs [tests/standins/slack_api_facts.json]

The first argument is Slack's published OpenAPI 2.0 spec of the Web API (``slack_web_openapi_v2.json`` from
https://github.com/slackapi/slack-api-specs) or the directory holding it and its ``LICENSE``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SPEC_NAME = "slack_web_openapi_v2.json"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "tests" / "standins" / "slack_api_facts.json"
PARAM_PLACES = ("formData", "query", "header")


def method_facts(spec: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """{method: {"args": [...], "required": [...]}} from the spec's paths (form, query and header parameters)."""
    facts: dict[str, dict[str, list[str]]] = {}
    for route, operations in sorted(spec["paths"].items()):
        args: set[str] = set()
        required: set[str] = set()
        for operation in operations.values():
            for param in operation.get("parameters", []):
                if param.get("in") not in PARAM_PLACES:
                    continue
                args.add(param["name"])
                if param.get("required"):
                    required.add(param["name"])
        facts[route.lstrip("/")] = {"args": sorted(args), "required": sorted(required)}
    return facts


def render(spec: dict[str, Any], license_text: str) -> str:
    """The facts file: provenance first, then one method per line so a new spec shows as a readable diff."""
    info = spec.get("info", {})
    head = {
        "source": "Slack's published OpenAPI 2.0 spec of the Web API, slack_web_openapi_v2.json, "
                  "https://github.com/slackapi/slack-api-specs",
        "title": info.get("title", ""),
        "version": info.get("version", ""),
        "generated_by": "tools/make_slack_spec_facts.py (only method names, argument names and required flags)",
        "license": license_text.strip(),
    }
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    lines.append('  "methods": {')
    entries = [f"    {json.dumps(name)}: {json.dumps(facts)}" for name, facts in method_facts(spec).items()]
    lines.append(",\n".join(entries))
    lines += ["  }", "}", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[0])
    spec_path = source / SPEC_NAME if source.is_dir() else source
    license_path = spec_path.parent / "LICENSE"
    if not spec_path.is_file() or not license_path.is_file():
        print(f"need {spec_path} and {license_path} (Slack's spec and its licence); pass the slack-api-specs "
              "checkout or the JSON file inside it", file=sys.stderr)
        return 2
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    out = Path(argv[1]) if len(argv) == 2 else DEFAULT_OUT
    out.write_text(render(spec, license_path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {out} ({len(spec['paths'])} methods, spec version {spec.get('info', {}).get('version')})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
