"""The blog's lookup service on FastAPI, uvicorn (uvloop, httptools) and `databases`/aiomysql.

It implements the HTTP contract in README.md; the package is laid out like
fastapi/full-stack-fastapi-template's ``backend/app``, one small module per concern.
"""
