"""Serving the journal: SSE, REST, auth, health and metrics (Starlette + uvicorn)."""
