"""Test helpers shipped with evalnb (a local OpenAI-compatible judge server)."""
