"""A MySQL lookup service: Starlette on uvicorn, MySQL through `databases` over aiomysql."""
