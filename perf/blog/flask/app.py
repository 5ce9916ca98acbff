import json
import random

import os
import dataset
from flask import Flask, Response

app = Flask(__name__)

# perf: the blog built this from DATABASE_USER/PASSWORD/HOST and a fixed ":3306/demo".
DATABASE_URL = os.environ["DATABASE_URL"]
db = dataset.connect(DATABASE_URL, engine_kwargs={"pool_size": 10000})

TEMP = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"


@app.route("/demo", methods=["GET"])
def demo_code():
    return Response(
        response=json.dumps(
            list(
                db.query(
                    f"select * from demo_data where name='{''.join(random.choices(TEMP, k=random.randrange(1, 254)))}'"
                )
            ),
            default=str
        ),
        status=200,
        content_type="application/json",
    )


# perf: not in the blog's listing; its "idle" test, in the same style.
@app.route("/idle", methods=["GET"])
def idle_code():
    return Response(
        response=json.dumps({"status": "idle"}),
        status=200,
        content_type="application/json",
    )


if __name__ == "__main__":
    app.run(debug=True)
