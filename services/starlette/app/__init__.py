"""The blog's lookup service on Starlette, uvicorn (uvloop, httptools) and `databases`/aiomysql.

The HTTP contract it implements is in README.md; this package is laid out
as Starlette's own docs lay out an application: https://www.starlette.io/config/ ("A full
example"), https://www.starlette.io/lifespan/.
"""
