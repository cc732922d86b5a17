"""Block Kit validation: slack_sdk's own models plus Slack's documented limits it does not check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_TEXT_MAX = 40_000
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
# A context block's elements are image elements and text objects, with no length limit of the block's own
# (https://docs.slack.dev/reference/block-kit/blocks/context-block); a text object's text is 1 to 3000 characters
# ("The minimum length is 1 and maximum length is 3000 characters.",
# https://docs.slack.dev/tools/node-slack-sdk/reference/types/interfaces/PlainTextElement, the text object reference).
CONTEXT_TEXT_MAX = 3000
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
ACTION_ID_MAX = 255
BLOCK_ID_MAX = 255
MODAL_TITLE_MAX = 24
PRIVATE_METADATA_MAX = 3000

_MODEL_ERRORS = (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError)

VIEW_FIELDS = frozenset(
    {
        "type", "title", "submit", "close", "blocks", "private_metadata", "callback_id",
        "clear_on_close", "notify_on_close", "external_id", "submit_disabled",
    }
)  # fmt: skip


def _text_of(obj: Any) -> str | None:
    if isinstance(obj, dict):
        text = obj.get("text")
        return text if isinstance(text, str) else None
    return obj if isinstance(obj, str) else None


def _dropped_keys(raw: Any, rendered: Any, path: str) -> Iterator[str]:
    """Keys present in the input but dropped by slack_sdk's round trip: unknown/misspelled fields."""
    if isinstance(raw, dict) and isinstance(rendered, dict):
        for key, value in raw.items():
            if value in (None, [], {}, ""):
                continue
            if key not in rendered:
                yield f"{path}.{key}"
            else:
                yield from _dropped_keys(value, rendered[key], f"{path}.{key}")
    elif isinstance(raw, list) and isinstance(rendered, list) and len(raw) == len(rendered):
        for i, (a, b) in enumerate(zip(raw, rendered, strict=True)):
            yield from _dropped_keys(a, b, f"{path}[{i}]")


def _check_with_slack_sdk(block: dict[str, Any], where: str) -> list[str]:
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"{where}: unknown block type {block.get('type')!r}"]
        parsed.validate_json()
        rendered = parsed.to_dict()  # to_dict() validates nested elements too; validate_json() does not
    except _MODEL_ERRORS as exc:
        return [f"{where}: {type(exc).__name__}: {exc}"]
    return [f"{where}: unknown field {key}" for key in _dropped_keys(block, rendered, "")]


def _elements(block: dict[str, Any]) -> list[Any]:
    elements = block.get("elements")
    return elements if isinstance(elements, list) else []


def _interactive_elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[Any] = []
    if block.get("type") == "actions":
        found = _elements(block)
    elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
        found = [block["accessory"]]
    elif block.get("type") == "input" and isinstance(block.get("element"), dict):
        found = [block["element"]]
    return [e for e in found if isinstance(e, dict)]


def _check_element(element: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    action_id = element.get("action_id")
    if isinstance(action_id, str) and len(action_id) > ACTION_ID_MAX:
        problems.append(f"{where}: action_id longer than {ACTION_ID_MAX} chars ({len(action_id)})")
    if element.get("type") == "button":
        text = element.get("text")
        label = _text_of(text) or ""
        if isinstance(text, dict) and text.get("type") != "plain_text":
            problems.append(f"{where}: button text must be plain_text")
        if len(label) > BUTTON_TEXT_MAX:
            problems.append(f"{where}: button text longer than {BUTTON_TEXT_MAX} chars ({len(label)})")
        value = element.get("value")
        if isinstance(value, str) and len(value) > BUTTON_VALUE_MAX:
            problems.append(f"{where}: button value longer than {BUTTON_VALUE_MAX} chars ({len(value)})")
    return problems


def _check_context(block: dict[str, Any], where: str) -> list[str]:
    elements = _elements(block)
    problems = [f"{where}: context has {len(elements)} elements (max {CONTEXT_ELEMENTS_MAX})"] \
        if len(elements) > CONTEXT_ELEMENTS_MAX else []
    for i, element in enumerate(elements):
        text = _text_of(element) if isinstance(element, dict) and element.get("type") != "image" else None
        if text is not None and len(text) > CONTEXT_TEXT_MAX:
            problems.append(f"{where}.elements[{i}]: context text longer than {CONTEXT_TEXT_MAX} chars ({len(text)})")
    return problems


def _check_limits(block: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    kind = block.get("type")
    block_id = block.get("block_id")
    if isinstance(block_id, str) and len(block_id) > BLOCK_ID_MAX:
        problems.append(f"{where}: block_id longer than {BLOCK_ID_MAX} chars")
    if kind == "section":
        text = _text_of(block.get("text"))
        if text is not None and len(text) > SECTION_TEXT_MAX:
            problems.append(f"{where}: section text longer than {SECTION_TEXT_MAX} chars ({len(text)})")
        if text is not None and not text.strip():
            problems.append(f"{where}: section text is empty")
        fields = block.get("fields") or []
        if len(fields) > SECTION_FIELDS_MAX:
            problems.append(f"{where}: section has {len(fields)} fields (max {SECTION_FIELDS_MAX})")
        for i, field in enumerate(fields):
            field_text = _text_of(field) or ""
            if len(field_text) > SECTION_FIELD_TEXT_MAX:
                problems.append(f"{where}: field {i} longer than {SECTION_FIELD_TEXT_MAX} chars")
    elif kind == "header":
        text = _text_of(block.get("text")) or ""
        if len(text) > HEADER_TEXT_MAX:
            problems.append(f"{where}: header text longer than {HEADER_TEXT_MAX} chars ({len(text)})")
        if isinstance(block.get("text"), dict) and block["text"].get("type") != "plain_text":
            problems.append(f"{where}: header text must be plain_text")
    elif kind == "context":
        problems += _check_context(block, where)
    elif kind == "actions" and len(_elements(block)) > ACTIONS_ELEMENTS_MAX:
        problems.append(f"{where}: actions has {len(_elements(block))} elements (max {ACTIONS_ELEMENTS_MAX})")
    action_ids: set[str] = set()
    for i, element in enumerate(_interactive_elements(block)):
        problems += _check_element(element, f"{where}.element[{i}]")
        action_id = element.get("action_id")
        if isinstance(action_id, str):
            if action_id in action_ids:
                problems.append(f"{where}: duplicate action_id {action_id!r} in one block")
            action_ids.add(action_id)
    return problems


def check_blocks(blocks: Any, *, max_blocks: int, where: str) -> list[str]:
    """Problems with a `blocks` list (empty list = valid)."""
    if not isinstance(blocks, list):
        return [f"{where}: blocks must be a JSON array, got {type(blocks).__name__}"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"{where}: {len(blocks)} blocks (max {max_blocks})")
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"{where}.blocks[{i}]"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"{at}: a block must be an object with a type")
            continue
        problems += _check_with_slack_sdk(block, at)
        problems += _check_limits(block, at)
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if block_id in block_ids:
                problems.append(f"{at}: duplicate block_id {block_id!r}")
            block_ids.add(block_id)
    return problems


def check_text(text: Any, *, where: str) -> list[str]:
    """Problems with a message's top-level `text` (Slack answers msg_too_long)."""
    if text is None:
        return []
    if not isinstance(text, str):
        return [f"{where}: text must be a string, got {type(text).__name__}"]
    if len(text) > MESSAGE_TEXT_MAX:
        return [f"{where}: text longer than {MESSAGE_TEXT_MAX} chars ({len(text)})"]
    return []


def missing_fallback(*, text: Any, blocks: Any, markdown_text: Any = None, where: str) -> list[str]:
    """A message with blocks should carry a `text` fallback (used by notifications and screen readers)."""
    if not blocks:
        return []
    for candidate in (text, markdown_text):
        if isinstance(candidate, str) and candidate.strip():
            return []
    return [f"{where}: message has blocks but no `text` fallback (notifications would be empty)"]


def check_view(view: Any, *, where: str) -> list[str]:
    """Problems with a modal/home view object."""
    if not isinstance(view, dict):
        return [f"{where}: view must be a JSON object, got {type(view).__name__}"]
    problems: list[str] = [f"{where}: unknown view field {key!r}" for key in view if key not in VIEW_FIELDS]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        problems.append(f"{where}: view type must be 'modal' or 'home', got {kind!r}")
    try:
        model = View(**view)
        model.validate_json()
        if None in (model.blocks or []):
            problems.append(f"{where}: view contains an unknown block type")
        else:
            model.to_dict()
    except _MODEL_ERRORS as exc:
        problems.append(f"{where}: {type(exc).__name__}: {exc}")
    if kind == "modal":
        title = _text_of(view.get("title"))
        if not title:
            problems.append(f"{where}: modal needs a title")
        elif len(title) > MODAL_TITLE_MAX:
            problems.append(f"{where}: modal title longer than {MODAL_TITLE_MAX} chars ({len(title)})")
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and not view.get("submit"):
            problems.append(f"{where}: modal with input blocks needs a submit button")
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and len(metadata) > PRIVATE_METADATA_MAX:
        problems.append(f"{where}: private_metadata longer than {PRIVATE_METADATA_MAX} chars ({len(metadata)})")
    problems += check_blocks(view.get("blocks", []), max_blocks=VIEW_MAX_BLOCKS, where=where)
    return problems
