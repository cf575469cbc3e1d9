"""The JSON API: citizens' channels open cases and check their status; staff read and work cases."""

from feedback.api.app import create_app

__all__ = ["create_app"]
