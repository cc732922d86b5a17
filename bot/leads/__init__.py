"""Leads' commands and views, one module per concern.

* :mod:`bot.leads.access` — who asks from where, what they may see, who may change things;
* :mod:`bot.leads.projects` — a project's evaluations grouped and scored;
* :mod:`bot.leads.summaries` — ``status``, ``summary``, ``list``, ``history``;
* :mod:`bot.leads.reminders` — ``remind``, and the reminder buttons (re-evaluate, snooze, stop);
* :mod:`bot.leads.exports` — ``export`` (the decision record as a file);
* :mod:`bot.leads.deletion` — ``delete``;
* :mod:`bot.leads.home` — the App Home tab.

Every read goes through :class:`bot.visibility.Visibility` (asked of Slack): an evaluation from a private
conversation never shows up in another channel or in a non-member's App Home.
"""
