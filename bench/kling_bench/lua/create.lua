-- create: POST the same valid request body (BENCH_BODY_FILE) on every request.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

wrk.method = "POST"
wrk.body = common.read_file(os.getenv("BENCH_BODY_FILE"))
wrk.headers["Content-Type"] = "application/json"

done = common.done
