"""Real-part stand-ins for tests: a redis-server subprocess and a local Slack Web API.

with RedisServer() as redis_server, SlackStandIn() as slack:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.base_url)
    ...  # point the app at redis_server.url and client; then assert on slack.messages(...)
    assert slack.violations == []
"""

from tests.standins.redis_server import RedisServer, bundled_redis_server, find_redis_server, free_port
from tests.standins.signing import (
    block_actions_body,
    decode_payload,
    event_body,
    payload_form,
    plain_text_value,
    post_signed,
    signed_headers,
    slash_command_body,
    static_select_value,
    view_submission_body,
)
from tests.standins.slack_api import SlackStandIn
from tests.standins.slack_records import Call, Ephemeral, Message, ResponsePost, UploadedFile

__all__ = [
    "Call",
    "Ephemeral",
    "Message",
    "RedisServer",
    "ResponsePost",
    "SlackStandIn",
    "UploadedFile",
    "block_actions_body",
    "bundled_redis_server",
    "decode_payload",
    "event_body",
    "find_redis_server",
    "free_port",
    "payload_form",
    "plain_text_value",
    "post_signed",
    "signed_headers",
    "slash_command_body",
    "static_select_value",
    "view_submission_body",
]
