"""The blog's lookup service on FastAPI, uvicorn (uvloop, httptools) and `databases`/aiomysql.

It implements CONTRACT.md in the repository root; the package is laid out like
fastapi/full-stack-fastapi-template's ``backend/app``, one small module per concern.
"""
