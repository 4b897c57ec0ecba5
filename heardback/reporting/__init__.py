"""Hear-back metrics: how reliably an org, a job or an owner answers its candidates.

Read-only functions over the hiring and messaging tables; no models of its own.
"""
