"""A MySQL lookup service on Starlette, uvicorn (uvloop, httptools) and `databases`/aiomysql.

Laid out as Starlette's docs lay out an application: https://www.starlette.io/config/.
"""
