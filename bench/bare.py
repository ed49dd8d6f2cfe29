"""The bare FastAPI baseline: one endpoint, one small JSON body, no database.

Served with the same uvicorn options as the service (:func:`bench.common.serve_bare`); its
p50 is the framework's and the loopback's share of any endpoint's latency.
"""

from __future__ import annotations

from fastapi import FastAPI, Request

app = FastAPI()


@app.get("/bare")
def bare() -> dict[str, str]:
    return {"micro_grid": "150621001001001001"}


@app.post("/bare")
async def bare_post(request: Request) -> dict[str, str]:
    await request.body()
    return {"code": "DLT-2026-000001"}
