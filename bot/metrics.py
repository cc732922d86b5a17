"""Prometheus metrics, served at GET /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

ACK_SECONDS = Histogram("ftcheck_ack_seconds", "Time from receiving a Slack request to answering it",
                        ["kind"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5))
REQUESTS = Counter("ftcheck_requests_total", "Slack requests by kind and HTTP status", ["kind", "status"])
SLACK_API_ERRORS = Counter("ftcheck_slack_api_errors_total", "Slack Web API calls that failed", ["method", "error"])
SLACK_API_RETRIES = Counter("ftcheck_slack_api_retries_total", "Slack Web API retries", ["reason"])
REDIS_ERRORS = Counter("ftcheck_redis_errors_total", "Redis calls that failed (outage)")
LLM_CALLS = Counter("ftcheck_llm_calls_total", "Suggestion runs by engine", ["engine"])
LLM_TOKENS = Counter("ftcheck_llm_tokens_total", "LLM tokens", ["kind"])
LLM_COST = Counter("ftcheck_llm_cost_usd_total", "Estimated LLM cost in USD")
LLM_REQUESTS = Counter("ftcheck_llm_requests_total", "Requests sent to the LLM, retries included")
# quota, auth and not_found are configuration to fix (billing, OPENAI_API_KEY, FTCHECK_LLM_MODEL); watch the rate of
# the others (timeout, rate_limited, server_error …): the built-in reader stood in for each
LLM_FAILURES = Counter("ftcheck_llm_failures_total", "Suggestion runs whose LLM answer was not used, by why",
                       ["failure"])
REMINDERS_POSTED = Counter("ftcheck_reminders_posted_total", "Re-evaluation reminders posted")


def request_kind(body: str, content_type: str) -> str:
    """Classify a Slack request body cheaply, without parsing it fully."""
    if "json" in content_type:
        return "event"
    if body.startswith("payload=") or "&payload=" in body:
        return "interaction"
    if "command=" in body:
        return "command"
    return "other"
