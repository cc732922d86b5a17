"""What Slack's Web API accepts, used to check every call's arguments.

The facts (method names, argument names, required flags) come from Slack's published OpenAPI 2.0 spec of the Web
API, written to ``slack_api_facts.json`` beside this file by ``tools/make_slack_spec_facts.py``; that file says
which spec version it holds and carries the spec's MIT licence. Tests read only the facts file, never the spec.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "slack_api_facts.json"

# The spec (v1.7.0, 2021-09) predates these methods. (arguments, required arguments)
EXTRA_METHODS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # https://api.slack.com/methods/apps.connections.open (Socket Mode; app-level token only)
    "apps.connections.open": (frozenset(), frozenset()),
    # https://api.slack.com/methods/files.getUploadURLExternal
    "files.getUploadURLExternal": (
        frozenset({"filename", "length", "alt_txt", "snippet_type"}),
        frozenset({"filename", "length"}),
    ),
    # https://api.slack.com/methods/files.completeUploadExternal
    "files.completeUploadExternal": (
        frozenset({"files", "channel_id", "channels", "initial_comment", "thread_ts"}),
        frozenset({"files"}),
    ),
}

# Newer optional arguments of methods the spec does know, as listed on
# https://api.slack.com/methods/chat.postMessage, https://api.slack.com/methods/chat.update and
# https://api.slack.com/methods/chat.postEphemeral
EXTRA_ARGS: dict[str, frozenset[str]] = {
    # https://api.slack.com/methods/conversations.history and .../conversations.replies: include_all_metadata
    # (message metadata, 2022) returns each message's metadata; the outbox looks its own posts up by it
    "conversations.history": frozenset({"include_all_metadata"}),
    "conversations.replies": frozenset({"include_all_metadata"}),
    "chat.postMessage": frozenset({"metadata", "markdown_text"}),
    "chat.update": frozenset({"metadata", "markdown_text", "reply_broadcast", "file_ids"}),
    "chat.postEphemeral": frozenset({"markdown_text"}),
}

# Sent as the Authorization header, never checked as an argument.
AUTH_ARGS = frozenset({"token"})

# Accepted by every method: slack_bolt builds a client per request with team_id=<the request's team>,
# and slack_sdk then adds `team_id` to every call's arguments (org-wide app support).
GLOBAL_ARGS = frozenset({"team_id"})


@dataclass(frozen=True)
class MethodSpec:
    """Argument names a method accepts and requires."""

    name: str
    args: frozenset[str]
    required: frozenset[str]

    def problems(self, params: Mapping[str, Any]) -> list[str]:
        """Missing required arguments and unknown (e.g. misspelled) ones."""
        found: list[str] = []
        for name in sorted(self.required - AUTH_ARGS):
            value = params.get(name)
            if value is None or value == "":
                found.append(f"missing required argument `{name}`")
        for name in sorted(set(params) - self.args - AUTH_ARGS - GLOBAL_ARGS):
            found.append(f"unknown argument `{name}` (not in the spec; misspelled?)")
        return found


class SlackApiSpec:
    """Lookup of method specs from the facts file, plus the explicit allow-lists above."""

    def __init__(self, path: Path = DEFAULT_SPEC_PATH) -> None:
        with path.open(encoding="utf-8") as fh:
            raw: dict[str, Any] = json.load(fh)
        self.version: str = raw["version"]
        self.methods: dict[str, MethodSpec] = {}
        for name, facts in raw["methods"].items():
            args = frozenset(facts["args"]) | EXTRA_ARGS.get(name, frozenset())
            self.methods[name] = MethodSpec(name, args, frozenset(facts["required"]))
        for name, (extra_args, extra_required) in EXTRA_METHODS.items():
            self.methods.setdefault(name, MethodSpec(name, extra_args, extra_required))

    def get(self, method: str) -> MethodSpec | None:
        return self.methods.get(method)


@cache
def load_spec(path: Path = DEFAULT_SPEC_PATH) -> SlackApiSpec:
    """Parsed facts, cached per path."""
    return SlackApiSpec(path)
