"""Snowflake: SQL files, the warehouse client, and the local emulation of pipes, streams and tasks."""
