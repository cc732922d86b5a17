"""Benchmarks for ftcheck (``make bench``; not part of ``make test``).

``python -m tests.benchmarks`` starts its own redis-server (never the one on 6379), the Slack Web API
stand-in in a subprocess, the bot, the in-memory reference bot (the same thread contract, state in a dict)
and a bare Bolt app that only acks (the floor) in subprocesses served over HTTP exactly like ``ftcheck serve
--http``, drives them with Slack-signed requests from this process and prints one table (also written to
``tests/benchmarks/last_run.md``; docs/BENCHMARKS.md explains it). ``--quick`` is a smoke run.

Modules: :mod:`.common` (machine info, percentiles, child processes), :mod:`.bot_proc` (bot / reference /
floor runner), :mod:`.reference` (the in-memory reference bot), :mod:`.slack_proc` (stand-in runner with an
inspection endpoint), :mod:`.acks` (ack latency, CPU per request, throughput, RSS), :mod:`.store_figures`
(Redis round trips and memory), :mod:`.llm_figures` (prompt tokens and cost), :mod:`.reminder_proc` /
:mod:`.reminders_bench` (reminder dispatch).
"""
