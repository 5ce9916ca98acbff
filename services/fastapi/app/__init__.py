"""A MySQL lookup service on FastAPI, uvicorn and SQLAlchemy's asyncio engine over asyncmy."""
