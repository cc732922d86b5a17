"""Benchmarks for ftcheck (``make bench``; not part of ``make test``).

``python -m tests.benchmarks`` starts its own redis-server (never the one on 6379), the Slack Web API
stand-in in a subprocess, the bot (and a bare Bolt app that only acks, the floor) in subprocesses served
over HTTP exactly like ``ftcheck serve --http``, drives them with Slack-signed requests from this process
and prints one table (also written to ``tests/benchmarks/last_run.md``). ``--quick`` is a smoke run.

Modules: :mod:`.common` (machine info, percentiles, child processes), :mod:`.bot_proc` (bot / floor
runner), :mod:`.slack_proc` (stand-in runner with an inspection endpoint), :mod:`.acks` (ack latency,
throughput, RSS), :mod:`.store_figures` (Redis round trips and memory), :mod:`.llm_figures` (prompt
tokens and cost), :mod:`.reminder_proc` / :mod:`.reminders_bench` (reminder dispatch).
"""
