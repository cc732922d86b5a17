"""Show ftcheck's Slack messages the way a person sees them: Block Kit into HTML, then a browser screenshot.

Developer tool only (not in the wheel). ``render_page`` is pure; ``screenshot`` needs Chromium;
``python -m tools.slack_render.capture`` runs the real bot against the stand-ins and writes both.
"""

from tools.slack_render.context import RenderContext
from tools.slack_render.mrkdwn import mrkdwn_to_html, plain_to_html
from tools.slack_render.page import render_page
from tools.slack_render.records import RenderMessage

__all__ = ["RenderContext", "RenderMessage", "mrkdwn_to_html", "plain_to_html", "render_page"]
