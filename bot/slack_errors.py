"""What Slack said when a Web API call failed: one reading of :class:`SlackApiError` for every caller."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError


def error_code(exc: SlackApiError) -> str:
    """Slack's ``error`` ("channel_not_found", "ratelimited" …); ``http_<status>`` when the body was no JSON object
    (an HTML page from Slack or a proxy during an outage), else ``unknown``."""
    response = exc.response
    data = getattr(response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    status = getattr(response, "status_code", None)
    return f"http_{status}" if status else "unknown"
