"""Scheduled jobs: SLA reminders and escalations, complainants' windows, acknowledgement deadlines, digests."""
