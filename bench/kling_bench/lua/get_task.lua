-- get-task: GET the task in the URL (created by the harness before the run).
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

done = common.done
