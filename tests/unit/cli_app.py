"""An app for the CLI tests: records which lifespan callbacks ran."""

import os

from orionis import Application, Controller
from orionis.foundation.enums.lifespan import Lifespan
from orionis.foundation.enums.runtimes import Runtime


def record(event: str) -> None:
    with open(os.environ["ORIONIS_CLI_LOG"], "a", encoding="utf-8") as handle:
        handle.write(event + "\n")


app = Application(title="CLI test")
app.on(Lifespan.STARTUP, lambda: record("startup:any"))
app.on(Lifespan.STARTUP, lambda: record("startup:cli"), runtime=Runtime.CLI)
app.on(Lifespan.STARTUP, lambda: record("startup:http"), runtime=Runtime.HTTP)
app.on(Lifespan.SHUTDOWN, lambda: record("shutdown:cli"), runtime=Runtime.CLI)


class Users(Controller):
    def index(self) -> list:
        return []


@app.get("/items/{id:int}", name="items.show")
async def show_item(id: int) -> dict:
    return {"id": id}


app.get("/users", (Users, "index"), name="users.index")
not_an_app = 42
