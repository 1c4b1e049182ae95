"""Presenters: turning what an action read into something a person reads — transcripts as text,
HTML, CSV and JSON lines for exports, and the transcript a visitor is e-mailed. Pure functions of
their arguments (no database, no HTTP); the actions call them (actions/archive.py,
actions/satisfaction.py). What goes over the socket and the JSON API is in frontdesk/wire."""
