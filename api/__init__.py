"""HTTP edge of Wangge: the FastAPI app factory, routers per resource and the CLI."""
