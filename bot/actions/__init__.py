"""The assistant's custom actions (rasa_sdk). They reach cases only through the service's HTTP API.

Importing the package checks the configuration, so a misconfigured action server stops at start-up
with a message naming the variable, not at a citizen's first complaint.
"""

from actions import config

config.load()
