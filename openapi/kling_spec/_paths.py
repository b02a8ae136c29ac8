"""The create operation's path, where the runtime finds the request schema and the queries."""

CREATE_PATH = "/kling/v1/images/editing/expand"
TASK_PATH = CREATE_PATH + "/{task_id}"
