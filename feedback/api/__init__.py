"""The JSON API: citizens' channels open cases and check their status; staff read and work cases.

`feedback.api.app.create_app` builds it. Nothing is imported here, so commands that only need the views
(the `feedback case` commands, `feedback smtpd`) do not pay for loading the web framework.
"""
