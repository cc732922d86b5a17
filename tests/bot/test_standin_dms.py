"""The Slack stand-in's DMs: ``conversations.open`` as https://api.slack.com/methods/conversations.open documents it
(``users`` with one user id opens the bot's 1:1 DM and answers ``{"ok": true, "channel": {"id": "D…"}}``, the same
id every time; ``return_im`` the whole IM object), and a post to a user id landing in that DM, where
``conversations.history`` of its D id finds it."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.standins.slack_api import SlackStandIn


@pytest.fixture
def client(slack: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.base_url)


async def test_conversations_open_gives_one_dm_per_person(slack: SlackStandIn, client: AsyncWebClient) -> None:
    first = await client.conversations_open(users="U7")
    dm = first["channel"]["id"]
    assert first.data == {"ok": True, "channel": {"id": dm}} and dm.startswith("D")
    again = await client.conversations_open(users=["U7"])  # slack_sdk joins a list with commas
    assert again.data == {"ok": True, "no_op": True, "already_open": True, "channel": {"id": dm}}
    assert (await client.conversations_open(users="U8"))["channel"]["id"] != dm
    resumed = await client.conversations_open(channel=dm)
    assert resumed["channel"] == {"id": dm} and resumed["already_open"] is True

    full = (await client.conversations_open(users="U7", return_im=True))["channel"]
    assert full["id"] == dm and full["is_im"] is True and full["user"] == "U7" and full["is_open"] is True
    info = (await client.conversations_info(channel=dm))["channel"]
    assert info["is_im"] is True and info["user"] == "U7"

    slack.reset()  # a new test: the same person's DM keeps its id, as in Slack
    assert (await client.conversations_open(users="U7"))["channel"]["id"] == dm


async def test_a_post_to_a_user_id_lands_in_their_dm(slack: SlackStandIn, client: AsyncWebClient) -> None:
    dm = (await client.conversations_open(users="U7"))["channel"]["id"]
    metadata = {"event_type": "ftcheck_message", "event_payload": {"ref": "told"}}
    posted = await client.chat_postMessage(channel="U7", text="by user id", metadata=metadata)
    assert posted["channel"] == dm  # Slack answers with the DM's id
    await client.chat_postMessage(channel=dm, text="by DM id")
    history = await client.conversations_history(channel=dm, include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["by DM id", "by user id"]
    assert history["messages"][1]["metadata"] == metadata and history["messages"][1]["ts"] == posted["ts"]
    assert [m.text for m in slack.messages("U7")] == [m.text for m in slack.messages(dm)] == ["by user id",
                                                                                            "by DM id"]
    assert slack.dm_channel("U7") == dm and slack.dm_channel("U9") is None


async def test_a_post_to_a_user_id_opens_the_dm(slack: SlackStandIn, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="U6", text="first words")
    assert (await client.conversations_open(users="U6"))["channel"]["id"] == posted["channel"] == slack.dm_channel("U6")


@pytest.mark.parametrize(("args", "error"), [
    ({}, "users_list_not_supplied"),
    ({"users": "nobody"}, "user_not_found"),
    ({"users": ",".join(f"U{i}" for i in range(9))}, "too_many_users"),
    ({"channel": "C1"}, "method_not_supported_for_channel_type"),
    ({"channel": "D0UNKNOWN"}, "channel_not_found"),
])
async def test_conversations_open_refuses_what_slack_refuses(slack: SlackStandIn, client: AsyncWebClient,
                                                             args: dict[str, str], error: str) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.api_call("conversations.open", json=args)
    assert err.value.response["error"] == error


async def test_conversations_open_checks_its_arguments(slack: SlackStandIn, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.api_call("conversations.open", json={"user": "U7"})  # misspelled: users
    assert err.value.response["error"] == "invalid_arguments"
    assert slack.take_violations("conversations.open: unknown argument `user`")
    with pytest.raises(SlackApiError) as err:
        await client.conversations_open(users="U7,U8")
    assert err.value.response["error"] == "method_not_supported_for_channel_type"
    assert slack.take_violations("conversations.open: the stand-in opens 1:1 DMs only")


async def test_a_deactivated_person_has_no_dm(slack: SlackStandIn, client: AsyncWebClient) -> None:
    slack.set_user("U0GONE", deleted=True)  # an id no other test uses: users outlive reset()
    with pytest.raises(SlackApiError) as err:
        await client.conversations_open(users="U0GONE")
    assert err.value.response["error"] == "user_disabled"
