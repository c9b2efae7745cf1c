"""The original api_rest, as the challenge shipped it: the baseline for bench/api.sh."""

from typing import Union

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def read_root():
    return {"Hello": "Shipay"}


@app.get("/items/{item_id}")
def read_item(item_id: int, q: Union[str, None] = None):
    return {"item_id": item_id, "q": q}
